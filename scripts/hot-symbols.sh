#!/bin/sh
# Regenerates scripts/hot-symbols.txt, the order in which build-release.sh asks the linker
# to lay out the functions a warm `get` and `store` run (lld's --symbol-ordering-file).
#
# Why: git starts the helper for every request, and a process start pays for every page of
# the program it touches. Laid out as the compiler leaves it, the few hundred functions a
# `get` runs are spread over the whole 4 MiB of code, and the kernel maps (and at exit
# unmaps) 64 KiB around each; packed together at the front they take a few pages.
# Measured with scripts/bench.sh: a warm `get` 2.7 -> 1.2 MiB resident, about 0.07 ms (7%)
# faster, and `git credential fill` through setup's configuration with it.
#
# How: builds the release binary exactly as build-release.sh does (same profile and target,
# so the same symbol names: RUSTFLAGS other than these link arguments do not change them),
# with a linker map; runs a warm get (a hit, a miss on another host, a token of 10,000
# repositories) and store under valgrind's lackey; maps each instruction run to its
# function (scripts/bench/hot_symbols.py). Needs valgrind and python3; Linux x86_64 only.
#
# Run it after changing the code a request runs, the dependencies or the toolchain (symbol
# names carry a hash of the crate graph). A stale file is harmless:
# names the linker does not find are skipped, and the price is only the speed above (the
# "max RSS" of `get` in scripts/bench.sh shows it).

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
HERE=$ROOT/scripts/bench
target=x86_64-unknown-linux-gnu
case "${1:-}" in
	-h | --help)
		sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	"") ;;
	*) echo "hot-symbols: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac
for tool in valgrind python3; do
	command -v "$tool" >/dev/null || { echo "hot-symbols: needs $tool" >&2; exit 1; }
done
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "hot-symbols: Linux x86_64 only" >&2; exit 1; }

tdir=$ROOT/target/hot-symbols
map=$tdir/link.map
mkdir -p "$tdir"
cd "$ROOT"
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static -C link-arg=-Wl,-Map=$map -C link-arg=-Wl,--no-demangle" \
	CARGO_TARGET_DIR=$tdir cargo build --release --locked --bin git-credential-scoped --target "$target" </dev/null
bin=$tdir/$target/release/git-credential-scoped

work=$(mktemp -d "${TMPDIR:-/tmp}/gcs-hot.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$HERE/gen_registry.py" registry "$work/r1000" --tokens 1000 --repos-per-token 10 --owners 100
python3 "$HERE/gen_registry.py" registry "$work/r1" --tokens 1 --repos-per-token 10000 --owners 1
python3 "$HERE/gen_registry.py" request "$work/request-miss" --host git.example.org --path team/project.git

n=0
hermetic() { # COMMAND...: in the registry $home, nothing from this environment
	env -i PATH=/usr/bin:/bin HOME="$home" XDG_CONFIG_HOME="$home/.config" \
		XDG_DATA_HOME="$home/.local/share" GIT_CREDENTIAL_SCOPED_SECRET_STORE=file "$@"
}
run() { # REGISTRY ACTION REQUEST: once to build the registry cache, then traced
	home=$work/$1/home
	n=$((n + 1))
	hermetic "$bin" "$2" <"$3" >/dev/null
	hermetic valgrind --tool=lackey --trace-mem=yes --log-file="$work/trace.$n" "$bin" "$2" <"$3" >/dev/null
}
run r1000 get "$work/r1000/request-hit"
run r1000 store "$work/r1000/request-store"
run r1000 get "$work/request-miss"
run r1 get "$work/r1/request-hit"

traces=
i=1
while [ "$i" -le "$n" ]; do traces="$traces $work/trace.$i"; i=$((i + 1)); done
# shellcheck disable=SC2086 # the trace paths hold no spaces (mktemp's)
python3 "$HERE/hot_symbols.py" "$map" $traces >"$work/hot-symbols.txt"
mv "$work/hot-symbols.txt" "$ROOT/scripts/hot-symbols.txt"
echo "hot-symbols: wrote scripts/hot-symbols.txt ($(wc -l <"$ROOT/scripts/hot-symbols.txt") functions)" >&2
