#!/bin/sh
# Builds and tests git-credential-scoped for macOS and Windows on this Linux (Debian) machine,
# where rustup has no other targets: Debian's rustc-web with its std source (-Zbuild-std).
#
#   macOS (x86_64 and aarch64): type-checks the whole workspace, all targets (there is no
#     Apple SDK here, so nothing links; ring's C is compiled freestanding).
#   Windows (x86_64, mingw-w64): builds the library's unit tests and the integration tests
#     and runs them under wine, then the Credential Manager round trip (tests/it/os_keyring.rs:
#     a token added with the keyring store, served by `get`, gone after `remove`). The Windows
#     tests are built with `--cfg wine`, which ignores the tests that need git (wine has no
#     git.exe); libtest counts them as ignored. Unix-only tests are not built for Windows.
#
# Heavy, slow-changing things are cached outside the clone (see --help): the build
# directories, keyed by the toolchain, and the wine prefix with its ProcessPrng shim, keyed
# by wine, mingw-w64 and the shim's source. Ends with the counts per platform and the time.

set -eu

PROG=cross
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

PACKAGES="rustc-web cargo-web rust-web-src clang llvm gcc-mingw-w64-x86-64 wine64"
# Oldest Rust that builds the crate (Cargo.toml rust-version). bookworm's own rustc-web is
# 1.85; bookworm-security carries newer ones.
MIN_RUST_MINOR=89
RUSTC_DEBIAN=/usr/bin/rustc
RUSTDOC_DEBIAN=/usr/bin/rustdoc
CARGO_DEBIAN=/usr/bin/cargo
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
MACOS_TARGETS="x86_64-apple-darwin aarch64-apple-darwin"
WINDOWS_TARGET=x86_64-pc-windows-gnu
SHIM_SOURCE=$SCRIPT_DIR/cross/processprng.c
# Wine's own DLLs: when its bcryptprimitives.dll exists it has ProcessPrng, and no shim is needed.
WINE_DLLS=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
# Bump when the way the prefix is set up changes, so that cached prefixes are rebuilt.
PREFIX_RECIPE=1

usage() {
	cat <<EOF
Usage: scripts/cross.sh [--install] [--only macos|windows] [--keep-going]

Type-checks the workspace for macOS (x86_64 and aarch64, all targets) and builds and runs the
tests for Windows (x86_64-pc-windows-gnu) under wine: the library's unit tests, the
integration tests that drive the binary directly, and the Credential Manager round trip.
Exits non-zero if a check, build or test fails.

Options:
  --install      as root, apt-get install what is missing:
                   $PACKAGES
  --only WHAT    only macos, or only windows
  --keep-going   after a failed step, run the others before failing
  -h, --help     show this help

Environment:
  GIT_CREDENTIAL_SCOPED_CROSS_CACHE  the cache (default:
                 \${XDG_CACHE_HOME:-\$HOME/.cache}/git-credential-scoped/cross): the build
                 directories (about 2 GB, one per toolchain) and the wine prefix (about
                 0.5 GB, one per wine, mingw-w64 and shim); delete it to start afresh

The first run builds std for three targets and sets up wine (about 10 minutes on 2 cores,
plus the packages); later runs rebuild what changed.
EOF
}

install=
only=
keep_going=
while test $# -gt 0; do
	case $1 in
	--install) install=t; shift ;;
	--only) test $# -ge 2 || die "--only needs macos or windows"; only=$2; shift 2 ;;
	--only=*) only=${1#*=}; shift ;;
	--keep-going) keep_going=t; shift ;;
	-h | --help) usage; exit 0 ;;
	*) msg "unknown argument: $1 (try --help)"; exit 2 ;;
	esac
done
case $only in
'' | macos | windows) ;;
*) msg "--only must be macos or windows, not '$only'"; exit 2 ;;
esac
test "$(uname -s)" = Linux || die "this script cross-builds from Linux (Debian); on macOS and Windows run scripts/test.sh"

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------

# missing_tools: prints what this script needs and cannot find.
missing_tools() {
	for _f in "$RUSTC_DEBIAN" "$RUSTDOC_DEBIAN" "$CARGO_DEBIAN" "$WINE" "$WINESERVER"; do
		test -x "$_f" || printf '%s\n' "$_f"
	done
	missing_commands clang llvm-ar x86_64-w64-mingw32-gcc x86_64-w64-mingw32-ar sha256sum
	if test -x "$RUSTC_DEBIAN"; then
		test -f "$("$RUSTC_DEBIAN" --print sysroot)/lib/rustlib/src/rust/library/std/Cargo.toml" ||
			echo "std's source (rust-web-src)"
	fi
}

missing=$(missing_tools)
if test -n "$missing" && test -n "$install"; then
	# shellcheck disable=SC2086 # the package list is split on purpose
	apt_install $PACKAGES
	missing=$(missing_tools)
fi
test -z "$missing" ||
	die "missing $(echo "$missing" | tr '\n' ' ')- install the Debian packages: apt-get install -y $PACKAGES (or run with --install as root)"

rust_version=$("$RUSTC_DEBIAN" -V | sed -n 's/^rustc \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
rust_minor=$(echo "$rust_version" | cut -d. -f2)
case $rust_minor in
'' | *[!0-9]*) die "cannot read the version of $RUSTC_DEBIAN: $("$RUSTC_DEBIAN" -V)" ;;
esac
test "$rust_minor" -ge "$MIN_RUST_MINOR" ||
	die "$RUSTC_DEBIAN is Rust $rust_version; 1.$MIN_RUST_MINOR or newer is needed: enable bookworm-security in apt's sources and apt-get install rustc-web cargo-web rust-web-src"

# ---------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------
cache=${GIT_CREDENTIAL_SCOPED_CROSS_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/git-credential-scoped/cross}
mkdir -p "$cache"
# One run at a time per cache: two would share the build directories and the wine prefix.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# key TEXT...: a short hash of its arguments.
key() {
	printf '%s\n' "$@" | sha256sum | cut -c1-16
}

# keep_only DIR NAME: removes everything in DIR but NAME (stale keys).
keep_only() {
	for _old in "$1"/*; do
		test -e "$_old" || continue
		test "$(basename -- "$_old")" = "$2" || rm -rf "$_old"
	done
}

toolchain_key=$(key "$("$RUSTC_DEBIAN" -vV)" "$("$CARGO_DEBIAN" -V)")
mkdir -p "$cache/target"
keep_only "$cache/target" "$toolchain_key"
target_dir=$cache/target/$toolchain_key

wine_key=$(key "$PREFIX_RECIPE" "$("$WINE" --version)" "$(x86_64-w64-mingw32-gcc --version | head -n 1)" "$(cat "$SHIM_SOURCE")")
mkdir -p "$cache/wine"
keep_only "$cache/wine" "$wine_key"
wine_dir=$cache/wine/$wine_key

# linux_tests ARGS...: how many tests `cargo test ARGS` has on Linux (the caller's own
# toolchain and target directory; after scripts/test.sh's cargo test nothing is rebuilt).
# Empty when that cargo is missing or fails.
linux_tests() {
	command -v cargo >/dev/null 2>&1 || return 0
	_list=$(cargo test --locked -p git-credential-scoped "$@" -- --list --format terse </dev/null 2>/dev/null) ||
		return 0
	printf '%s\n' "$_list" | grep -c ': test$' || :
}

cd "$ROOT"
if test "$only" != macos; then
	msg "counting the tests on Linux, to compare with what is built for Windows"
	linux_unit=$(linux_tests --lib)
	linux_integration=$(linux_tests --test it)
fi

# The toolchain: Debian's compiler, not rustup's; RUSTC_BOOTSTRAP for -Zbuild-std. Nothing
# from the caller's build flags (RUSTFLAGS would override the target's --cfg wine).
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER
RUSTC=$RUSTC_DEBIAN
RUSTDOC=$RUSTDOC_DEBIAN
RUSTC_BOOTSTRAP=1
CARGO_TARGET_DIR=$target_dir
export RUSTC RUSTDOC RUSTC_BOOTSTRAP CARGO_TARGET_DIR
BUILD_STD=-Zbuild-std=std,panic_abort

start=$(date +%s)
status=0
summary=$cache/summary.$$
: >"$summary"
# shellcheck disable=SC2317 # called from the traps
cleanup() {
	rm -f "$summary"
	if test -n "${wineserver_started-}"; then
		WINEPREFIX=$wine_dir/prefix "$WINESERVER" -k 2>/dev/null || :
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# report LINE: one line of the summary printed at the end.
report() {
	printf '%s\n' "$*" >>"$summary"
	msg "$*"
}

# failed WHAT: records a failure; stops unless --keep-going.
failed() {
	status=1
	report "FAILED: $*"
	test -n "$keep_going" || exit 1
}

# elapsed SINCE: seconds since SINCE.
elapsed() {
	echo $(($(date +%s) - $1))
}

# ---------------------------------------------------------------------------
# macOS: type-check only
# ---------------------------------------------------------------------------
check_macos() {
	# ring's C: no SDK, so compile it freestanding, with the one Apple header it includes.
	_stub=$cache/macos-include
	mkdir -p "$_stub"
	printf '%s\n' '#pragma once' '#define TARGET_OS_MAC 1' '#define TARGET_OS_OSX 1' \
		'#define TARGET_OS_IPHONE 0' '#define TARGET_OS_IOS 0' >"$_stub/TargetConditionals.h"
	for _t in $MACOS_TARGETS; do
		_since=$(date +%s)
		_v=$(echo "$_t" | tr '-' '_')
		msg "macOS $_t: cargo check --workspace --all-targets --locked"
		# -D warnings: the macOS CI job's clippy denies them too; this finds them first.
		_tv=$(echo "$_v" | tr '[:lower:]' '[:upper:]')
		if env "CC_$_v=clang" "AR_$_v=llvm-ar" "CARGO_TARGET_${_tv}_RUSTFLAGS=-D warnings" \
			"CFLAGS_$_v=-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $_stub" \
			"$CARGO_DEBIAN" check "$BUILD_STD" --target "$_t" --workspace --all-targets --locked </dev/null; then
			report "macos $_t: type-check of the workspace, all targets: ok ($(elapsed "$_since") s)"
		else
			failed "macos $_t: type-check of the workspace (see above)"
		fi
	done
}

# ---------------------------------------------------------------------------
# Windows: build, then run under wine
# ---------------------------------------------------------------------------

# ensure_wine_prefix: a wine prefix with the ProcessPrng shim where wine lacks it.
ensure_wine_prefix() {
	WINEPREFIX=$wine_dir/prefix
	WINEDEBUG=-all
	# No Mono or Gecko install dialogs: nothing here needs .NET or HTML.
	WINEDLLOVERRIDES="mscoree,mshtml="
	export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
	unset DISPLAY WAYLAND_DISPLAY
	test -f "$wine_dir/ready" && return 0
	rm -rf "$wine_dir"
	mkdir -p "$wine_dir"
	msg "setting up a wine prefix in $WINEPREFIX"
	"$WINE" wineboot --init </dev/null >"$wine_dir/wineboot.log" 2>&1 || {
		cat "$wine_dir/wineboot.log" >&2
		die "wineboot --init failed"
	}
	"$WINESERVER" -w
	if test -f "$WINE_DLLS/bcryptprimitives.dll"; then
		msg "wine has its own bcryptprimitives.dll: no ProcessPrng shim needed"
	else
		# Rust's std imports bcryptprimitives!ProcessPrng; wine 8 has no such DLL.
		msg "building the ProcessPrng shim ($SHIM_SOURCE)"
		x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -Wl,--no-insert-timestamp \
			-o "$wine_dir/bcryptprimitives.dll" "$SHIM_SOURCE" -ladvapi32 ||
			die "building the ProcessPrng shim failed"
		cp "$wine_dir/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
	fi
	: >"$wine_dir/ready"
}

# counts LOG: "RUN PASSED FAILED IGNORED" summed over the libtest results in LOG.
counts() {
	sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$1" |
		awk '{ p += $1; f += $2; i += $3 } END { printf "%d %d %d %d\n", p + f, p, f, i }'
}

# Under load, wine 8 now and then fails to start a process: the child exits with
# STATUS_DLL_INIT_FAILED (0xC0000142, seen by the test as exit -1073741502) or CreateProcess
# fails with ERROR_INTERNAL_ERROR (1359). No Windows has done that; a test that failed with one
# of these (and nothing else failed) is run once more, and the summary says so.
WINE_START_FAILURES='exit -1073741502|code: 1359,'

# wine_start_failures LOG: the names of the failed tests in LOG, one a line, when every one of
# them failed with a wine start failure; nothing otherwise.
wine_start_failures() {
	awk -v sig="$WINE_START_FAILURES" '
		/^---- .* stdout ----$/ { name = $2; failed[name] = 0; next }
		/^failures:$/ { name = "" }
		name != "" && $0 ~ sig { failed[name] = 1 }
		END {
			n = 0
			for (t in failed) { n++; if (!failed[t]) exit }
			for (t in failed) print t
		}' "$1"
}

# wine_test LABEL LOG LINUX-COUNT CARGO-ARGS [LIBTEST-ARGS]: runs `cargo test CARGO-ARGS --
# LIBTEST-ARGS` for Windows under wine (both are lists of plain words); output into LOG, and
# shown when it fails. LINUX-COUNT (may be empty): how many tests the same target has on Linux.
wine_test() {
	_label=$1 _log=$2 _linux=$3 _cargo_args=$4 _test_args=${5-}
	_since=$(date +%s)
	msg "windows: $_label: cargo test $_cargo_args${_test_args:+ -- $_test_args}"
	_rc=0
	# shellcheck disable=SC2086 # the argument lists are split on purpose
	"$CARGO_DEBIAN" test "$BUILD_STD" --target "$WINDOWS_TARGET" --locked -p git-credential-scoped \
		$_cargo_args -- $_test_args </dev/null >"$_log" 2>&1 || _rc=$?
	# shellcheck disable=SC2046 # four numbers
	set -- $(counts "$_log")
	_run=$1 _passed=$2 _failed=$3 _ignored=$4
	_retried=
	_again=
	test "$_rc" -eq 0 || _again=$(wine_start_failures "$_log")
	if test -n "$_again"; then
		_n=$(printf '%s\n' "$_again" | wc -l)
		msg "windows: $_label: $_n test(s) failed because wine could not start a process; running them once more"
		_rc=0
		# shellcheck disable=SC2086 # one filter per test name
		"$CARGO_DEBIAN" test "$BUILD_STD" --target "$WINDOWS_TARGET" --locked -p git-credential-scoped \
			$_cargo_args -- $_test_args --exact $_again </dev/null >"$_log.again" 2>&1 || _rc=$?
		# shellcheck disable=SC2046 # four numbers
		set -- $(counts "$_log.again")
		_passed=$((_passed + $2)) _failed=$3
		_retried=", $_n run again after wine failed to start a process ($2 passed then)"
		cat "$_log.again" >>"$_log"
	fi
	_line="windows $_label: $_run run, $_passed passed, $_failed failed$_retried"
	if test "$_ignored" -ne 0; then
		# "test NAME ... ignored, REASON": how many for each reason.
		_why=$(sed -n 's/^test .* \.\.\. ignored, \(.*\)$/\1/p' "$_log" | sort | uniq -c |
			sed 's/^ *\([0-9]*\) /\1: /' | paste -s -d '|' - | sed 's/|/; /g')
		_line="$_line, $_ignored ignored ($_why)"
	fi
	if test -n "$_linux"; then
		_line="$_line; $((_run + _ignored)) built for Windows, $_linux on Linux"
	fi
	if test "$_rc" -ne 0 || test "$_failed" -ne 0 || test "$_run" -eq 0; then
		sed -n '/^failures:$/,$p' "$_log" >&2
		test -s "$_log" && tail -n 40 "$_log" >&2
		failed "$_line (exit status $_rc; log: $_log)"
	else
		report "$_line ($(elapsed "$_since") s)"
	fi
}

check_windows() {
	_since=$(date +%s)
	ensure_wine_prefix
	# One wineserver for the whole run instead of one per test binary; stopped at exit.
	"$WINESERVER" -p
	wineserver_started=t
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$WINE
	# -D warnings: the Windows CI job's clippy denies them too; this finds them first.
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="--cfg wine -D warnings"
	CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
	AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
	export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER \
		CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS CC_x86_64_pc_windows_gnu AR_x86_64_pc_windows_gnu
	msg "windows: building the binary and the tests ($WINDOWS_TARGET)"
	if ! "$CARGO_DEBIAN" test "$BUILD_STD" --target "$WINDOWS_TARGET" --locked \
		-p git-credential-scoped --lib --test it --no-run </dev/null; then
		failed "windows: building the tests (see above)"
		return
	fi
	report "windows: built the binary, the unit tests and the integration tests ($(elapsed "$_since") s)"
	_logs=$cache/logs
	mkdir -p "$_logs"
	wine_test "unit tests" "$_logs/windows-unit.log" "$linux_unit" --lib
	wine_test "integration tests" "$_logs/windows-integration.log" "$linux_integration" "--test it"
	wine_test "Credential Manager round trip" "$_logs/windows-keyring.log" "" \
		"--test it" "os_keyring --ignored"
}

if test "$only" != windows; then
	check_macos
fi
if test "$only" != macos; then
	check_windows
fi

msg "summary (toolchain: Debian's Rust $rust_version with -Zbuild-std; cache: $cache)"
sed 's/^/  /' "$summary"
msg "took $(elapsed "$start") s"
exit "$status"
