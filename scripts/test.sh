#!/bin/sh
# The project's one test command (README; .ci/run calls it). On a fresh Debian machine it
# installs what the tests need when it runs as root (CI does), then runs, in order:
#   formatting and lints, every Rust test of the workspace (unit, integration, end-to-end,
#   the Secret Service tests against a private gnome-keyring), a release build, and git's
#   own credential-helper conformance suite (t0303) with the file and the keyring store;
#   then the crate's package, the release archive, the GitHub workflows (actionlint),
#   macOS and Windows (scripts/cross.sh: a macOS type-check, the Windows tests under wine),
#   and the musl static-pie release binary with its round trips, a release install and the
#   Debian package.
# On macOS and Windows (the GitHub workflow's runners) it runs what applies there: formatting,
# lints, the release build, every cargo test and the Keychain / Credential Manager round trip;
# the parts that need Debian's packages are Linux's.
# Any failure stops it with a non-zero exit.

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

usage() {
	cat <<'USAGE'
Usage: scripts/test.sh [--quick]

Runs the whole test suite. As root with apt-get, installs missing system packages first
(gnome-keyring, dbus, dbus-x11 for the Secret Service tests; build tools for git's suite;
Debian's Rust, clang, mingw-w64 and wine for scripts/cross.sh).

  --quick   only fmt, clippy and cargo test (no release build, no t0303 conformance,
            no package, workflow or macOS/Windows checks)
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

os=$(uname -s)
case "$os" in
	Linux) ;;
	Darwin) os=macOS ;;
	MINGW* | MSYS* | CYGWIN*) os=Windows ;;
esac

# System packages (Linux): the Secret Service tests start their own dbus-daemon and
# gnome-keyring; the completion tests run bash's and zsh's completion of git.
missing=
[ "$os" != Linux ] || command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus dbus-x11"
[ "$os" != Linux ] || command -v gnome-keyring-daemon >/dev/null 2>&1 || missing="$missing gnome-keyring"
[ "$os" != Linux ] || command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
# Tab completion through git's own completion: bash's file comes with git, zsh's _git with zsh.
[ "$os" != Linux ] || command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
[ "$os" != Linux ] || [ -f /usr/share/bash-completion/completions/git ] || missing="$missing git"
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
	# Position-independent, full RELRO, no executable stack (tests/it/hardening.rs checks
	# the same in detail; this says it up front).
	if [ "$os" = Linux ] && command -v readelf >/dev/null; then
		case $(readelf -h "$release_bin" | sed -n 's/^ *Type: *//p') in
			DYN*) ;;
			*) echo "test.sh: the release binary is not position-independent (a PIE or static-pie)" >&2; exit 1 ;;
		esac
		readelf -d "$release_bin" | grep -q 'BIND_NOW\|FLAGS_1.*NOW' ||
			{ echo "test.sh: the release binary is not linked with BIND_NOW (full RELRO)" >&2; exit 1; }
		readelf -lW "$release_bin" | grep -q GNU_RELRO ||
			{ echo "test.sh: the release binary has no GNU_RELRO segment" >&2; exit 1; }
		readelf -lW "$release_bin" | grep GNU_STACK | grep -q ' RW  ' ||
			{ echo "test.sh: the release binary's stack is executable" >&2; exit 1; }
		say "release binary: position-independent, full RELRO, non-executable stack"
	fi
fi
say "cargo test (workspace)"
cargo test --workspace --locked
if [ -n "$quick" ]; then
	say "done in $(($(date +%s) - start)) s (quick)"
	exit 0
fi
if [ "$os" != Linux ]; then
	# The OS keyring for real: it writes to this user's keyring, so it is not in the plain
	# cargo test run (tests/it/os_keyring.rs).
	say "the $os keyring round trip (cargo test --test it os_keyring -- --ignored)"
	cargo test --locked -p git-credential-scoped --test it os_keyring -- --ignored
	say "skipped on $os: git's t0303 suite (built from Debian's git source), the crate package, workflow and macOS/Windows cross checks (Linux CI runs them)"
	say "all passed on $os in $(($(date +%s) - start)) s"
	exit 0
fi
say "git's t0303 conformance suite, file store"
scripts/conformance.sh --install --store file --bin-dir "$release_dir"
say "git's t0303 conformance suite, keyring store"
scripts/conformance.sh --install --store keyring --bin-dir "$release_dir"
say "the crate package (scripts/check-package.sh)"
scripts/check-package.sh
say "the release archive of this build (scripts/release-archive.sh)"
archive=$(scripts/release-archive.sh "$release_bin" "$(rustc -vV | sed -n 's/^host: //p')" "$release_dir/dist")
tar -tzf "$archive" | grep -q '/git-credential-scoped$' || { say "$archive lacks the binary"; exit 1; }
(cd "$(dirname -- "$archive")" && sha256sum -c "$(basename -- "$archive").sha256")
say "the GitHub workflows (scripts/lint-workflows.sh: actionlint)"
scripts/lint-workflows.sh --install
say "macOS and Windows (scripts/cross.sh)"
scripts/cross.sh --install
# The Linux release binary as it ships: static-pie musl (x86_64 here; the release workflow
# builds aarch64 too), the very binary put through the round trips, installed by install.sh
# from a loopback release, and packaged as a .deb that is installed, used and removed.
if [ "$(uname -m)" = x86_64 ]; then
	musl_start=$(date +%s)
	say "the musl static-pie release binary (scripts/build-release.sh --target x86_64-unknown-linux-musl)"
	scripts/musl.sh --install >/dev/null
	musl_bin=$(scripts/build-release.sh --target x86_64-unknown-linux-musl)
	scripts/check-static-pie.sh "$musl_bin"
	say "its round trips, and install.sh installing it from a release (cargo test musl:: release_install::)"
	GIT_CREDENTIAL_SCOPED_MUSL_BIN=$musl_bin cargo test --locked -p git-credential-scoped --test it -- musl:: release_install::
	say "the Debian package (scripts/build-deb.sh; scripts/check-deb.sh: dpkg -i, use, dpkg -r)"
	[ "$(id -u)" = 0 ] || { say "installing the .deb needs root: run scripts/test.sh as root"; exit 2; }
	command -v dpkg-deb >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev >/dev/null
	deb=$(scripts/build-deb.sh --binary "$musl_bin" --arch amd64 "$release_dir/dist")
	scripts/check-deb.sh "$deb"
	say "musl binary, its tests and the .deb: $(($(date +%s) - musl_start)) s"
fi
say "all passed in $(($(date +%s) - start)) s"
