#!/bin/sh
# The project's one test command (README; .ci/run calls it). On a fresh Debian machine it
# installs what the tests need when it runs as root (CI does), then runs, in order:
#   formatting and lints, every Rust test of the workspace (unit, integration, end-to-end,
#   the Secret Service tests against a private gnome-keyring), a release build, and git's
#   own credential-helper conformance suite (t0303) with the file and the keyring store.
# Any failure stops it with a non-zero exit.

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

usage() {
	cat <<'USAGE'
Usage: scripts/test.sh [--quick]

Runs the whole test suite. As root with apt-get, installs missing system packages first
(gnome-keyring, dbus, dbus-x11 for the Secret Service tests; build tools for git's suite).

  --quick   only fmt, clippy and cargo test (no release build, no t0303 conformance)
  -h        this help
USAGE
}

quick=
case "${1:-}" in
	--quick) quick=t ;;
	-h | --help) usage; exit 0 ;;
	"") ;;
	*) usage >&2; exit 2 ;;
esac

say() { printf 'test.sh: %s\n' "$*"; }

# System packages: the Secret Service tests start their own dbus-daemon and gnome-keyring.
missing=
command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus dbus-x11"
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing="$missing gnome-keyring"
command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086 # word splitting of the package list is intended
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing libsecret-tools >/dev/null
	else
		say "missing Debian packages:$missing (run as root, or: sudo apt-get install -y$missing)"
		exit 2
	fi
fi

start=$(date +%s)
say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
if [ -z "$quick" ]; then
	# Before the tests: the install and README tests build the release binary too, and
	# the conformance suite below uses it.
	say "release build (scripts/build-release.sh, as install.sh builds it)"
	release_bin=$(scripts/build-release.sh)
	release_dir=$(dirname -- "$release_bin")
fi
say "cargo test (workspace)"
cargo test --workspace --locked
if [ -n "$quick" ]; then
	say "done in $(($(date +%s) - start)) s (quick)"
	exit 0
fi
say "git's t0303 conformance suite, file store"
scripts/conformance.sh --install --store file --bin-dir "$release_dir"
say "git's t0303 conformance suite, keyring store"
scripts/conformance.sh --install --store keyring --bin-dir "$release_dir"
say "all passed in $(($(date +%s) - start)) s"
