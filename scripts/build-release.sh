#!/bin/sh
# Builds the release binary the way it is shipped and prints its path on stdout (its only
# line there; cargo's messages go to stderr). install.sh, test.sh and bench.sh all use it, so
# what is tested and measured is what gets installed.
#
# On Linux with glibc, and when the static C library is installed (libc6-dev), the binary is
# linked statically and at a fixed address (`-C target-feature=+crt-static -C
# relocation-model=static`): git starts the helper for every authenticated request, and such
# a binary neither resolves symbols nor relocates itself at start-up, which is most of a
# Rust program's start-up cost (scripts/bench.sh measures it). The price: the build for that
# target goes to target/TRIPLE/release; the program's own image is not placed at a random
# address (its heap, stack and libraries' mappings still are), as with Go's default builds;
# and glibc's name lookups (used only by the online checks) need the same glibc at run time,
# which a binary built on the machine that runs it has. On x86_64 the functions a request
# runs are also laid out together (scripts/hot-symbols.txt; see scripts/hot-symbols.sh).
# GIT_CREDENTIAL_SCOPED_DYNAMIC=1 builds the ordinary dynamically linked binary.
# `--target TRIPLE` builds for that target (the release workflow builds each platform's
# binary this way); the path printed then ends in .exe for Windows.

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
BIN=git-credential-scoped

target=
case "${1:-}" in
	-h | --help)
		sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
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

# x86_64 Linux links with rust-lld from Rust 1.90 on: there the functions a request runs are
# laid out together (scripts/hot-symbols.txt, made by scripts/hot-symbols.sh), so that a
# process start touches a few pages of code instead of the whole binary's.
order=
minor=$(rustc -V | sed -n 's/^rustc 1\.\([0-9]*\)\..*/\1/p')
if [ "$target" = x86_64-unknown-linux-gnu ] && [ "${minor:-0}" -ge 90 ] && [ -n "$static" ]; then
	order="-C link-arg=-Wl,--symbol-ordering-file=$ROOT/scripts/hot-symbols.txt -C link-arg=-Wl,--no-warn-symbol-ordering"
	case $ROOT in *[[:space:]]*) order= ;; esac  # RUSTFLAGS splits at spaces
fi

cd "$ROOT"
if [ -n "$static" ]; then
	# --target keeps the flag away from build scripts and proc-macros, which must stay dynamic.
	RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static $order" \
		cargo build --release --locked --bin "$BIN" --target "$target" </dev/null >&2
	echo "$target_dir/$target/release/$BIN"
elif [ "$target" != "$host" ]; then
	cargo build --release --locked --bin "$BIN" --target "$target" </dev/null >&2
	echo "$target_dir/$target/release/$BIN$exe"
else
	cargo build --release --locked --bin "$BIN" </dev/null >&2
	echo "$target_dir/release/$BIN$exe"
fi
