#!/bin/sh
# Builds the release binary for Linux with musl as a static-pie executable (no interpreter,
# no shared library, loaded at a random address, relocations read-only after start-up:
# BIND_NOW and GNU_RELRO) with Debian's own Rust, for machines whose rustup cannot download
# the musl target. scripts/build-release.sh --target x86_64-unknown-linux-musl runs it there.
# Prints the binary's path on stdout (its only line there).
#
# How: Debian's rustc-web with its std source (RUSTC_BOOTSTRAP=1 -Zbuild-std), musl-tools'
# C library, and Debian's LLVM libunwind (the musl target links -lunwind). Rust's own musl
# start files are not in Debian's package (-C link-self-contained=no), and musl-gcc's specs
# know no -static-pie: so gcc links with a specs file of our own that gives -static-pie
# musl's rcrt1.o (the start file that relocates the program itself) and no interpreter.
# The build directory is cached outside the clone, keyed by the toolchain, the C library
# and that specs file, so a change of any of them builds afresh.

set -eu

PROG=musl
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

PACKAGES="rustc-web cargo-web rust-web-src musl-tools libunwind-14-dev"
RUSTC_DEBIAN=/usr/bin/rustc
CARGO_DEBIAN=/usr/bin/cargo
LIBUNWIND_DIR=/usr/lib/llvm-14/lib
BIN=git-credential-scoped
# Bump when the specs file or the flags change, so that cached builds are redone.
RECIPE=1

usage() {
	cat <<EOF
Usage: scripts/musl.sh [--install] [--target TRIPLE]

Builds $BIN for TRIPLE (default: x86_64-unknown-linux-musl) as a static-pie musl
executable with Debian's Rust and prints its path.

Options:
  --install       as root, apt-get install what is missing: $PACKAGES
  --target TRIPLE an ARCH-unknown-linux-musl triple whose musl (musl-tools) is installed
  -h, --help      show this help

Environment:
  GIT_CREDENTIAL_SCOPED_MUSL_CACHE  the cache (default:
                 \${XDG_CACHE_HOME:-\$HOME/.cache}/git-credential-scoped/musl): the build
                 directory, one per toolchain (about 1 GB); delete it to start afresh

The first build compiles std and every dependency (about 8 minutes on 2 cores).
EOF
}

install=
target=x86_64-unknown-linux-musl
while test $# -gt 0; do
	case $1 in
	--install) install=t; shift ;;
	--target) test $# -ge 2 || die "--target needs a target triple"; target=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) msg "unknown argument: $1 (try --help)"; exit 2 ;;
	esac
done
case $target in
*-linux-musl) ;;
*) msg "'$target' is not a Linux musl target"; exit 2 ;;
esac
arch=${target%%-*}
case $arch in
'' | *[!a-z0-9_]*) die "'$target' is not a target triple" ;;
esac
musl_lib=/usr/lib/$arch-linux-musl
musl_include=/usr/include/$arch-linux-musl

# missing_tools: prints what this script needs and cannot find.
missing_tools() {
	for _f in "$RUSTC_DEBIAN" "$CARGO_DEBIAN" "$musl_lib/rcrt1.o" "$musl_lib/libc.a" "$LIBUNWIND_DIR/libunwind.a"; do
		test -e "$_f" || printf '%s\n' "$_f"
	done
	missing_commands gcc sha256sum
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

cache=${GIT_CREDENTIAL_SCOPED_MUSL_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/git-credential-scoped/musl}
case $cache in
*[[:space:]]*) die "the cache's path has a space, which RUSTFLAGS cannot carry: $cache" ;;
esac
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# specs: musl-gcc's specs, plus -static-pie: rcrt1.o and no interpreter.
specs() {
	cat <<EOF
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $musl_include -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $musl_include -isystem include%s

*link_libgcc:
-L$musl_lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{static-pie: $musl_lib/rcrt1.o} %{!static-pie:%{!shared: $musl_lib/Scrt1.o}} $musl_lib/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $musl_lib/crtn.o

*link:
%{!static-pie:-dynamic-linker /lib/ld-musl-$arch.so.1} -nostdlib %{shared:-shared} %{static:-static} %{static-pie:-static -pie --no-dynamic-linker -z text} %{rdynamic:-export-dynamic}
EOF
}

musl_version=$(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null || sha256sum "$musl_lib/libc.a")
key=$(printf '%s\n' "$RECIPE" "$target" "$("$RUSTC_DEBIAN" -vV)" "$("$CARGO_DEBIAN" -V)" "$(gcc --version | head -n 1)" \
	"$musl_version" "$(sha256sum "$LIBUNWIND_DIR/libunwind.a")" "$(specs)" | sha256sum | cut -c1-16)
for _old in "$cache"/*; do
	test -e "$_old" || continue
	test "$(basename -- "$_old")" = "$key" || rm -rf "$_old"
done
dir=$cache/$key
mkdir -p "$dir"
specs >"$dir/musl-static-pie.specs"
# The C compiler and linker for the target: gcc with the specs above.
cat >"$dir/cc" <<EOF
#!/bin/sh
exec gcc "\$@" -specs "$dir/musl-static-pie.specs"
EOF
chmod 755 "$dir/cc"

# Debian's compiler, not rustup's; RUSTC_BOOTSTRAP for -Zbuild-std. Nothing from the
# caller's build flags.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER
tv=$(echo "$target" | tr '-' '_')
tu=$(echo "$tv" | tr '[:lower:]' '[:upper:]')
cd "$ROOT"
# +crt-static with the target's default (position-independent) code: rustc links -static-pie,
# with -z relro -z now.
env RUSTC="$RUSTC_DEBIAN" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$dir/target" \
	"CC_$tv=$dir/cc" "AR_$tv=ar" "CARGO_TARGET_${tu}_LINKER=$dir/cc" \
	"CARGO_TARGET_${tu}_RUSTFLAGS=-C target-feature=+crt-static -C link-self-contained=no -L $LIBUNWIND_DIR" \
	"$CARGO_DEBIAN" build -Zbuild-std=std,panic_abort --release --locked --bin "$BIN" \
	--target "$target" </dev/null >&2 || die "the build for $target failed (see above)"
printf '%s\n' "$dir/target/$target/release/$BIN"
