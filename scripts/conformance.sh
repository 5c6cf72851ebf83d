#!/bin/sh
# Run git's own test suite for external credential helpers (t/t0303-credential-external.sh
# with t/lib-credential.sh, git 2.47 or newer) against git-credential-scoped.
#
# git's source comes from Debian's source package (trixie), fetched with apt-get through a
# private sources/lists directory (the machine's own apt setup is left untouched), and is
# unpacked and built once under .conformance/ (or $CONFORMANCE_DIR); later runs reuse it
# without touching the network. See --help.

set -eu

PROG=conformance
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# Oldest git whose t0303 has the password_expiry_utc and oauth_refresh_token tests we want.
MIN_GIT_MAJOR=2
MIN_GIT_MINOR=47
DEBIAN_SUITE=${CONFORMANCE_DEBIAN_SUITE:-trixie}
MAKE_FLAGS="NO_CURL=1 NO_EXPAT=1 NO_GETTEXT=1 NO_TCLTK=1 NO_PERL=1 NO_PYTHON=1"
# What t0303 needs from the tree: git itself (credential, credential-cache and
# credential-store are built-ins), test-tool, the bin-wrappers and the build options.
MAKE_TARGETS="git t/helper/test-tool bin-wrappers/git bin-wrappers/test-tool GIT-BUILD-OPTIONS"
BUILD_COMMANDS="make cc tar xz perl"
BUILD_PACKAGES="make gcc libc6-dev zlib1g-dev xz-utils perl"
TEST=t0303-credential-external

usage() {
	cat <<'EOF'
Usage: scripts/conformance.sh [OPTIONS]

Runs git's external credential-helper test suite (t/t0303-credential-external.sh,
git 2.47 or newer) against git-credential-scoped and ends with a line
"conformance-STORE: N passed, N failed". Exits non-zero if a test fails or the
suite cannot run.

Options:
  --store file|keyring  the helper's secret store, exported to the helper as
                        GIT_CREDENTIAL_SCOPED_SECRET_STORE (default: file).
                        keyring runs the suite inside scripts/with-secret-service.sh
                        (a private D-Bus session with a throw-away gnome-keyring).
  --bin-dir DIR         directory holding git-credential-scoped, put first on PATH
                        (default: target/release, or $CARGO_TARGET_DIR/release;
                        a relative DIR is taken from the repository root)
  --helper NAME         test git-credential-NAME instead of scoped, e.g. "cache"
                        (passes all tests) or "store" (fails 3): checks the harness
  --install             as root, apt-get install what is missing (build tools,
                        and gnome-keyring etc. for --store keyring)
  -v, --verbose         print the suite's verbose log even when all tests pass
                        (it is always printed when a test fails)
  --keep                keep the suite's trash directory and log
  -h, --help            show this help

Environment:
  CONFORMANCE_DIR       cache for git's source and build (default: .conformance
                        at the repository root); delete it to fetch and build again
  CONFORMANCE_DEBIAN_MIRROR  Debian mirror (default: the one in /etc/apt, else
                        http://deb.debian.org/debian)
  CONFORMANCE_DEBIAN_SUITE   suite whose git source package is used (default: trixie)
  CONFORMANCE_JOBS      make -j (default: nproc)
  GIT_TEST_CREDENTIAL_HELPER_SETUP, GIT_TEST_CREDENTIAL_HELPER_TIMEOUT
                        passed to t0303 (the setup is run after this script's own)

The first run downloads git's source (about 8 MB) and builds the parts the suite
needs (a few minutes on 2 cores); later runs take seconds.
EOF
}

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------
store='file'
bin_dir=
helper=scoped
install=
verbose=
keep=
while test $# -gt 0; do
	case $1 in
	--store) test $# -ge 2 || die "--store needs a value"; store=$2; shift 2 ;;
	--store=*) store=${1#*=}; shift ;;
	--bin-dir) test $# -ge 2 || die "--bin-dir needs a value"; bin_dir=$2; shift 2 ;;
	--bin-dir=*) bin_dir=${1#*=}; shift ;;
	--helper) test $# -ge 2 || die "--helper needs a value"; helper=$2; shift 2 ;;
	--helper=*) helper=${1#*=}; shift ;;
	--install) install=t; shift ;;
	-v | --verbose) verbose=t; shift ;;
	--keep) keep=t; shift ;;
	-h | --help) usage; exit 0 ;;
	*) msg "unknown argument: $1 (try --help)"; exit 2 ;;
	esac
done

case $store in
file | keyring) ;;
*) msg "--store must be file or keyring, not '$store'"; exit 2 ;;
esac
case $helper in
'' | *[!A-Za-z0-9_.-]*) msg "--helper must be one word such as cache or store, not '$helper'"; exit 2 ;;
esac

if test -z "$bin_dir"; then
	if test -n "${CARGO_TARGET_DIR-}"; then
		bin_dir=$CARGO_TARGET_DIR/release
	else
		bin_dir=target/release
	fi
fi
case $bin_dir in
/*) ;;
*) bin_dir=$ROOT/$bin_dir ;;
esac

if test "$helper" = scoped; then
	test -x "$bin_dir/git-credential-scoped" ||
		die "$bin_dir/git-credential-scoped not found: build it first (cargo build --release) or pass --bin-dir"
	label=$store
else
	label=$helper
fi

cache_dir=${CONFORMANCE_DIR:-$ROOT/.conformance}
case $cache_dir in
/*) ;;
*) cache_dir=$(pwd)/$cache_dir ;;
esac

# ---------------------------------------------------------------------------
# git's source tree, fetched and built once
# ---------------------------------------------------------------------------

# debian_mirror: the Debian archive this machine's apt uses (not the security one).
debian_mirror() {
	if test -n "${CONFORMANCE_DEBIAN_MIRROR-}"; then
		printf '%s\n' "$CONFORMANCE_DEBIAN_MIRROR"
		return
	fi
	_mirror=$(
		{
			cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
				sed -n 's/^[[:space:]]*URIs:[[:space:]]*//p' | tr -s '[:blank:]' '\n'
			cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
				sed -n 's/^[[:space:]]*deb\(-src\)\{0,1\}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\3/p'
		} | grep -E '^(https?|mirror|mirror\+https?)://[^ ]*/debian/?$' | head -n 1
	) || :
	printf '%s\n' "${_mirror:-http://deb.debian.org/debian}"
}

# fetch_source DIR: downloads git's Debian source package from $DEBIAN_SUITE into DIR
# (apt checks it against the signed index).
fetch_source() {
	_dl=$1
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script fetches git's source from Debian"
	_keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	test -r "$_keyring" || die "$_keyring missing: apt-get install debian-archive-keyring"
	_mirror=$(debian_mirror)
	_apt=$cache_dir/apt
	rm -rf "$_apt"
	mkdir -p "$_apt/sources.list.d" "$_apt/preferences.d" "$_apt/lists/partial" \
		"$_apt/cache/archives/partial"
	cat >"$_apt/sources.list.d/git-source.sources" <<EOF
Types: deb-src
URIs: $_mirror
Suites: $DEBIAN_SUITE
Components: main
Signed-By: $_keyring
EOF
	set -- \
		-o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$_apt/sources.list.d" \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts="$_apt/preferences.d" \
		-o Dir::State::Lists="$_apt/lists" \
		-o Dir::Cache="$_apt/cache" \
		-o Debug::NoLocking=true \
		-o Acquire::Languages=none \
		-o APT::Get::Only-Source=true
	# As root apt drops to the _apt user for downloads, which cannot write here.
	if is_root; then
		set -- "$@" -o APT::Sandbox::User=root
	fi
	msg "fetching git's source package from $_mirror ($DEBIAN_SUITE)"
	apt-get -q "$@" update </dev/null >"$_apt/update.log" 2>&1 || {
		cat "$_apt/update.log" >&2
		die "apt-get update of the private $DEBIAN_SUITE source list failed"
	}
	(cd "$_dl" && apt-get -q "$@" source --download-only git </dev/null) >"$_apt/source.log" 2>&1 || {
		cat "$_apt/source.log" >&2
		die "apt-get source git failed"
	}
}

# build_tree DIR: builds what t0303 needs in git's source tree DIR.
build_tree() {
	_jobs=${CONFORMANCE_JOBS:-$(nproc 2>/dev/null || echo 2)}
	msg "building git in $1 (make -j$_jobs; the log is $1/conformance-build.log)"
	# shellcheck disable=SC2086 # the flag and target lists are split on purpose
	if ! (
		cd "$1" &&
			make -j"$_jobs" $MAKE_FLAGS $MAKE_TARGETS &&
			make -C templates SHELL_PATH=/bin/sh PERL_PATH=/usr/bin/perl
	) </dev/null >"$1/conformance-build.log" 2>&1; then
		tail -n 40 "$1/conformance-build.log" >&2
		die "building git failed (see $1/conformance-build.log)"
	fi
}

# ensure_git_tree: sets $tree to a built git source tree, fetching and building if needed.
ensure_git_tree() {
	if test -f "$cache_dir/current"; then
		tree=$cache_dir/$(cat "$cache_dir/current")
		test -f "$tree/.conformance-built" && return 0
	fi

	# shellcheck disable=SC2086
	_missing=$(missing_commands $BUILD_COMMANDS)
	if test -n "$_missing" && test -n "$install"; then
		# shellcheck disable=SC2086
		apt_install $BUILD_PACKAGES
		# shellcheck disable=SC2086
		_missing=$(missing_commands $BUILD_COMMANDS)
	fi
	test -z "$_missing" ||
		die "missing $(echo "$_missing" | tr '\n' ' ')- install the Debian packages: apt-get install -y $BUILD_PACKAGES (or run with --install as root)"

	_dl=$cache_dir/download
	rm -rf "$_dl"
	mkdir -p "$_dl"
	fetch_source "$_dl"

	_orig=
	for _f in "$_dl"/git_*.orig.tar.*; do
		test -f "$_f" && _orig=$_f
	done
	test -n "$_orig" || die "no git_*.orig.tar.* among the downloaded files: $(ls "$_dl")"
	_version=$(basename "$_orig")
	_version=${_version#git_}
	_version=${_version%%.orig.tar.*}
	_major=$(echo "$_version" | cut -d. -f1)
	_minor=$(echo "$_version" | cut -d. -f2)
	case $_major$_minor in
	'' | *[!0-9]*) die "cannot read git's version from $(basename "$_orig")" ;;
	esac
	if test "$_major" -lt "$MIN_GIT_MAJOR" ||
		{ test "$_major" -eq "$MIN_GIT_MAJOR" && test "$_minor" -lt "$MIN_GIT_MINOR"; }; then
		die "$DEBIAN_SUITE has git $_version; $MIN_GIT_MAJOR.$MIN_GIT_MINOR or newer is needed (set CONFORMANCE_DEBIAN_SUITE)"
	fi

	tree=$cache_dir/git-$_version
	if ! test -f "$tree/Makefile"; then
		rm -rf "$tree" "$tree.unpack"
		mkdir -p "$tree.unpack"
		tar -xf "$_orig" -C "$tree.unpack" || die "unpacking $_orig failed"
		test -f "$tree.unpack/git-$_version/t/lib-credential.sh" ||
			die "$(basename "$_orig") has no git-$_version/t/lib-credential.sh"
		mv "$tree.unpack/git-$_version" "$tree"
		rmdir "$tree.unpack"
	fi
	build_tree "$tree"
	: >"$tree/.conformance-built"
	printf '%s\n' "git-$_version" >"$cache_dir/current"
	rm -rf "$_dl" "$cache_dir/apt"
	msg "git $_version is built in $tree"
}

mkdir -p "$cache_dir"
if command -v flock >/dev/null 2>&1; then
	# One fetch and build at a time when several runs share the cache.
	exec 9>"$cache_dir/.lock"
	flock 9
fi
start=$(date +%s)
ensure_git_tree
if command -v flock >/dev/null 2>&1; then
	flock -u 9
fi
exec 9>&-
test -f "$tree/t/$TEST.sh" || die "$tree/t/$TEST.sh not found"

# ---------------------------------------------------------------------------
# The suite
# ---------------------------------------------------------------------------
if test "$store" = keyring; then
	wrap=$SCRIPT_DIR/with-secret-service.sh
	if test -n "$install"; then
		set -- "$wrap" --install --
	else
		set -- "$wrap" --
	fi
else
	set --
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/conformance.XXXXXX")
# shellcheck disable=SC2317 # called from the traps
cleanup() {
	test -n "$keep" || rm -rf "$run"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
mkdir -m 700 "$run/runtime"

# git's test-lib sets HOME to the trash directory, unsets XDG_CONFIG_HOME and
# XDG_CACHE_HOME, sets GIT_CONFIG_NOSYSTEM (no /etc/gitconfig) and unsets every GIT_*
# variable except GIT_TEST_* and a few others (GIT_SSL_CAINFO included, and
# GIT_CREDENTIAL_SCOPED_SECRET_STORE too: the setup below exports it again inside the
# suite). Keep the rest of the helper's state away from this machine's as well.
unset XDG_DATA_HOME XDG_STATE_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
XDG_RUNTIME_DIR=$run/runtime
GIT_TEST_CREDENTIAL_HELPER=$helper
GIT_CREDENTIAL_SCOPED_SECRET_STORE=$store
setup="GIT_CREDENTIAL_SCOPED_SECRET_STORE=$store; export GIT_CREDENTIAL_SCOPED_SECRET_STORE"
if test "$helper" = cache; then
	# Put git's cache daemon's socket where this script can stop the daemon afterwards.
	setup="$setup; XDG_CACHE_HOME=\$CONFORMANCE_RUN_DIR/helper-cache; export XDG_CACHE_HOME"
fi
if test -n "${GIT_TEST_CREDENTIAL_HELPER_SETUP-}"; then
	setup="$setup; $GIT_TEST_CREDENTIAL_HELPER_SETUP"
fi
GIT_TEST_CREDENTIAL_HELPER_SETUP=$setup
# Where test-lib puts its trash directory and test-results (its log).
TEST_OUTPUT_DIRECTORY_OVERRIDE=$run
CONFORMANCE_RUN_DIR=$run
PATH=$bin_dir:$PATH
export XDG_RUNTIME_DIR GIT_TEST_CREDENTIAL_HELPER GIT_CREDENTIAL_SCOPED_SECRET_STORE \
	GIT_TEST_CREDENTIAL_HELPER_SETUP TEST_OUTPUT_DIRECTORY_OVERRIDE CONFORMANCE_RUN_DIR PATH

git_version=${tree##*/git-}
if test "$helper" = scoped; then
	msg "running $TEST (git $git_version) against $bin_dir/git-credential-scoped, store $store"
else
	msg "running $TEST (git $git_version) against git-credential-$helper"
fi

# -v into a regular file, not a pipe: a daemon that a helper leaves behind (git's
# credential-cache--daemon) would hold a pipe open and stall the run.
rc=0
(cd "$tree/t" && "$@" ./"$TEST".sh -v </dev/null) >"$run/out" 2>&1 || rc=$?
if test "$helper" = cache; then
	# Stop the cache daemon that the suite started (its socket is under $run).
	HOME=$run XDG_CACHE_HOME=$run/helper-cache GIT_CONFIG_NOSYSTEM=1 \
		"$tree/bin-wrappers/git" credential-cache exit </dev/null >/dev/null 2>&1 || :
fi

passed=$(grep -c '^ok [0-9][0-9]* - ' "$run/out") || :
failed=$(grep -c '^not ok [0-9][0-9]* - ' "$run/out") || :
skipped=$(grep -c '^ok [0-9][0-9]* # skip' "$run/out") || :

if test -n "$verbose" || test "$rc" -ne 0 || test "$failed" -ne 0; then
	cat "$run/out"
else
	# TAP lines only: the results, test-lib's comments and the plan.
	grep -E '^(ok [0-9]|not ok [0-9]|# |1\.\.[0-9])' "$run/out" || :
fi

status=0
if test "$rc" -ne 0 || test "$failed" -ne 0 || test "$passed" -eq 0; then
	status=1
	if test "$failed" -ne 0; then
		msg "failed:"
		grep '^not ok [0-9][0-9]* - ' "$run/out" | sed 's/^/  /' >&2
	else
		msg "the suite did not run to the end (exit status $rc)"
	fi
fi
if test -n "$keep"; then
	msg "kept the trash directory and the log ($run/out) in $run"
fi
elapsed=$(($(date +%s) - start))
msg "took ${elapsed}s"
if test "$skipped" -ne 0; then
	echo "conformance-$label: $passed passed, $failed failed, $skipped skipped"
else
	echo "conformance-$label: $passed passed, $failed failed"
fi
exit "$status"
