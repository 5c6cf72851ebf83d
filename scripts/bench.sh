#!/bin/sh
# The benchmark of issue 21 (SPEC §9 "Speed"): builds the binaries as they are installed —
# the source build, and on x86_64 Linux the Linux release binary (musl static-pie) — and
# generates two registries of the envelope (50 and 1,000 tokens, each covering 10,000
# repositories, file store). For each binary in turn it times side by side with git's own
# credential-store, in one run: `get` vs `credential-store get`, `git credential fill`
# through `setup`'s configuration vs the same fill through credential-store, `store` of a
# registered token vs `credential-store store`, and the first `get` after a config change at
# 1,000 tokens. Prints a report ending in issue 21's rows with their targets, per binary, and
# exits 0: a benchmark, not a test (it stops only when a command answers wrongly).
#
# Helpers in scripts/bench/: harness.py (timing and report), gen_registry.py (inputs; what it
# knows of the binary's stored-secret formats is in its binary_formats block).

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
HERE="$ROOT/scripts/bench"

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--quick] [--runs N] [--keep] [--source-only]

Benchmarks git-credential-scoped's get, store, first get after a config change and `git
credential fill` against git's credential-store, at 50 and 1,000 tokens, and prints issue
21's rows, for two builds in turn: the source build (`scripts/build-release.sh`, what
install.sh builds where it compiles: glibc static-pie on Linux) and, on x86_64 Linux, the
Linux release binary (`scripts/build-release.sh --target x86_64-unknown-linux-musl`: musl
static-pie, what install.sh downloads and the release archives hold). Each is timed as
installed, a copy in the work directory; target/ is reused. Everything else runs in a
temporary directory with its own HOME, XDG dirs, git config and the file secret store;
nothing of the user's is read or written.

  --quick        fewer runs (a few seconds once built)
  --runs N       timed rounds of the get table (default 400, --quick 100)
  --keep         keep the temporary directory and print its path
  --source-only  time the source build alone (the musl build needs Debian's Rust and
                 musl-tools: scripts/musl.sh --install)
  -h             this help

Needs cargo, python3 and git.
USAGE
}

quick=
runs=
keep=
source_only=
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) quick=t ;;
		--runs)
			[ $# -ge 2 ] || { echo "bench.sh: --runs needs a number" >&2; exit 2; }
			runs=$2
			shift
			;;
		--keep) keep=t ;;
		--source-only) source_only=t ;;
		-h | --help) usage; exit 0 ;;
		*) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$runs" in
	'') ;;
	0 | *[!0-9]*) echo "bench.sh: --runs needs a number from 1" >&2; exit 2 ;;
esac

if [ -n "$quick" ]; then
	: "${runs:=100}"
	warmup=10 fill_runs=40 store_runs=40 cold_runs=3 cold_cap=20
else
	: "${runs:=400}"
	warmup=30 fill_runs=400 store_runs=300 cold_runs=10 cold_cap=60
fi

say() { printf '%s\n' "bench: $*" >&2; }
for tool in cargo python3 git; do
	command -v "$tool" >/dev/null 2>&1 || { say "needs $tool"; exit 2; }
done

start=$(date +%s)
say "scripts/build-release.sh (the source build install.sh makes where it compiles)"
cd "$ROOT"
bin=$("$ROOT/scripts/build-release.sh" 2>/dev/null)
[ -x "$bin" ] || { say "no binary at $bin"; exit 2; }
musl=
if [ -z "$source_only" ] && [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ]; then
	say "scripts/build-release.sh --target x86_64-unknown-linux-musl (the Linux release binary)"
	musl=$("$ROOT/scripts/build-release.sh" --target x86_64-unknown-linux-musl 2>/dev/null) || musl=
	[ -x "$musl" ] || {
		say "the musl release binary did not build (scripts/musl.sh --install sets up its toolchain); timing the source build alone"
		musl=
	}
fi
build_s=$(($(date +%s) - start))

work=$(mktemp -d "${TMPDIR:-/tmp}/gcs-bench.XXXXXX")
work=$(CDPATH='' cd -- "$work" && pwd -P)
cleanup() {
	if [ -n "$keep" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A build is timed as installed: copied as install.sh's place() copies (cp, then rename), so
# what runs is a copy, as on a user's machine. Measured here: the same bytes started from
# the file the linker wrote in target/ took about 0.2 ms longer a start (with about the same
# number of page faults), so a link to target/ would time the build directory, not the
# installed helper. git finds the helper `scoped` as git-credential-scoped on PATH.
mkdir -p "$work/bin"
install_copy() {
	cp "$1" "$work/bin/.git-credential-scoped.tmp"
	mv -f "$work/bin/.git-credential-scoped.tmp" "$work/bin/git-credential-scoped"
}
install_copy "$bin"

say "registries and stores"
gen() { python3 "$HERE/gen_registry.py" "$@"; }
# Two tokens registered by the binary itself, which checks the generator's idea of the
# stored-secret formats (gen_registry.py, binary_formats) before the rest relies on it.
PATH="$work/bin:$PATH" gen registry "$work/r2-add" --tokens 2 --repos-per-token 3 --owners 1 --via-add "$work/bin/git-credential-scoped"
gen registry "$work/r50" --tokens 50 --repos-per-token 200 --owners 10
gen registry "$work/r1000" --tokens 1000 --repos-per-token 10 --owners 100
gen store "$work/store-1"

cat <<HEAD
git-credential-scoped benchmark, issue 21 ($(date -u +%Y-%m-%dT%H:%M:%SZ)$([ -n "$quick" ] && printf ', --quick'))
builds: ${build_s}s; source build $bin${musl:+; release binary $musl}
HEAD

# measure BINARY LABEL: installs BINARY as the helper and times it.
measure() {
	install_copy "$1"
	say "measuring the $2"
	python3 "$HERE/harness.py" \
		--work "$work" --bin "$work/bin/git-credential-scoped" --git "$(command -v git)" --label "$2" \
		--runs "$runs" --warmup "$warmup" --fill-runs "$fill_runs" --store-runs "$store_runs" \
		--cold-runs "$cold_runs" --cold-cap "$cold_cap"
}
measure "$bin" "source build ($(file -b "$bin" 2>/dev/null | grep -o 'static-pie linked\|dynamically linked' || echo built here))"
[ -z "$musl" ] || { echo; measure "$musl" "Linux release binary (musl static-pie)"; }
echo
echo "total $(($(date +%s) - start))s (builds ${build_s}s)"
