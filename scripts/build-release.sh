#!/bin/sh
# Builds the release binary the way it is shipped and prints its path on stdout (its only
# line there; cargo's messages go to stderr). install.sh, test.sh and bench.sh all use it, so
# what is tested and measured is what gets installed.
#
# Every build is position-independent with full RELRO (BIND_NOW) and a non-executable stack:
# rustc's defaults for these targets, kept (tests/it/hardening.rs checks them with readelf).
# On Linux with glibc, and when the static C library is installed (libc6-dev), the binary is
# also linked statically (`-C target-feature=+crt-static`, a static-pie: placed at a random
# address like any PIE): git starts the helper for every authenticated request, and such a
# binary resolves no shared library at start-up (scripts/bench.sh measures it). The price: the
# build for that target goes to target/TRIPLE/release, and glibc's name lookups (used only by
# the online checks) need the same glibc at run time, which a binary built on the machine
# that runs it has. GIT_CREDENTIAL_SCOPED_DYNAMIC=1 builds the ordinary dynamically linked
# binary.
# `--target TRIPLE` builds for that target (the release workflow builds each platform's
# binary this way); the path printed then ends in .exe for Windows.

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
BIN=git-credential-scoped

target=
case "${1:-}" in
	-h | --help)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--target)
		[ $# -ge 2 ] || { echo "build-release: --target needs a target triple" >&2; exit 2; }
		target=$2
		;;
	"") ;;
	*) echo "build-release: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" </dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p' | sed 's|\\\\|/|g')  # JSON's C:\\x on Windows
[ -n "$target_dir" ] || { echo "build-release: cargo metadata printed no target directory" >&2; exit 1; }

host=$(rustc -vV | sed -n 's/^host: //p')
[ -n "$target" ] || target=$host
# Linux musl (the Linux release binaries): a static-pie executable, whose name lookups need
# no C library of the machine it runs on (scripts/check-static-pie.sh checks it). With rustup's
# own target (the release workflow: rustup target add, musl-tools' musl-gcc for the C code),
# Rust's musl start files link it; where rustup has no such target (this project's machines),
# scripts/musl.sh builds it with Debian's Rust.
case "$target" in
	*-linux-musl)
		if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
			exec "$ROOT/scripts/musl.sh" --target "$target" </dev/null
		fi
		tv=$(echo "$target" | tr '-' '_')
		cd "$ROOT"
		env "CC_$tv=${CC:-musl-gcc}" RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
			cargo build --release --locked --bin "$BIN" --target "$target" </dev/null >&2
		echo "$target_dir/$target/release/$BIN"
		exit 0
		;;
esac
exe=
case "$target" in
	*-windows-*) exe=.exe ;;
esac
static=
case "$target" in
	*-linux-gnu)
		libc_a=$(${CC:-cc} -print-file-name=libc.a 2>/dev/null || true)
		if [ "${GIT_CREDENTIAL_SCOPED_DYNAMIC:-}" != 1 ] && [ -f "$libc_a" ]; then
			static=t
		fi
		;;
esac

cd "$ROOT"
if [ -n "$static" ]; then
	# --target keeps the flag away from build scripts and proc-macros, which must stay dynamic.
	RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
		cargo build --release --locked --bin "$BIN" --target "$target" </dev/null >&2
	echo "$target_dir/$target/release/$BIN"
elif [ "$target" != "$host" ]; then
	cargo build --release --locked --bin "$BIN" --target "$target" </dev/null >&2
	echo "$target_dir/$target/release/$BIN$exe"
else
	cargo build --release --locked --bin "$BIN" </dev/null >&2
	echo "$target_dir/release/$BIN$exe"
fi
