#!/bin/sh
# The benchmark of issues 8 and 13 (SPEC §9 "Speed"): builds the release binary, two spawn
# floors and the loopback test server, generates registries of 1 to 100,000 tokens, and times
# side by side with git's own credential-store, in one run: whole-process `get` (1, 100, 1,000
# tokens over 10,000 repositories; 10,000 tokens over 100,000 with the file store and with
# secret_env), `git credential fill` through each form of the helper's configuration (as
# `setup` writes it, `scoped`, an absolute path), `store` of a registered token (1, 1,000,
# 10,000 tokens), the first `get` after a config change (1,000 to 100,000 tokens), six
# parallel `git clone`s over HTTPS, strace of get and store, peak memory and instruction
# counts; then issue 13's table with this run's figures. Prints a report and exits 0: a
# benchmark, not a test (it stops only when a command answers wrongly).
#
# Helpers in scripts/bench/: harness.py (timing and report), gen_registry.py (inputs; what it
# knows of the binary's stored-secret formats is in its binary_formats block), floor.c and
# floor.rs (the spawn floors); tools/gh-test-server/examples/bench_server.rs (the clone row).

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
HERE="$ROOT/scripts/bench"

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--quick] [--runs N] [--keep]

Benchmarks git-credential-scoped's get, store, first get after a config change, `git
credential fill` and six parallel clones against git's credential-store (and get against a
trivial compiled program, the process-spawn floor), and prints a report with issue 13's
table. Builds with `scripts/build-release.sh` (the binary install.sh installs; reusing
target/) and the gh-test-server example bench_server. Everything else runs in a temporary
directory with its own HOME, XDG dirs, git config and the file secret store; nothing of the
user's is read or written.

  --quick    fewer runs; a first call stops after 20 s, not 180 s (about a minute once built)
  --runs N   timed rounds of the side-by-side get table (default 400, --quick 100)
  --keep     keep the temporary directory and print its path
  -h         this help

Needs cargo, gcc (or cc), python3 and git; uses rustc (the Rust floor), strace (what get
and store open), GNU time (peak memory) and valgrind (instruction counts) when present. As
root with apt-get, installs the missing ones of time, strace and valgrind first. The work
directory takes about 100 MB (the 100,000-token registry).
USAGE
}

quick=
runs=
keep=
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) quick=t ;;
		--runs)
			[ $# -ge 2 ] || { echo "bench.sh: --runs needs a number" >&2; exit 2; }
			runs=$2
			shift
			;;
		--keep) keep=t ;;
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
	warmup=10 fill_runs=40 store_runs=40 cold_runs=3 cold_cap=20 cold_budget=8 clone_rounds=3 rss_runs=1
else
	: "${runs:=400}"
	warmup=30 fill_runs=200 store_runs=150 cold_runs=10 cold_cap=180 cold_budget=30 clone_rounds=10 rss_runs=3
fi

say() { printf '%s\n' "bench: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

for tool in cargo python3 git; do
	have "$tool" || { say "needs $tool"; exit 2; }
done
CC=${CC:-}
if [ -z "$CC" ]; then
	if have gcc; then CC=gcc; elif have cc; then CC=cc; else say "needs gcc or cc"; exit 2; fi
fi

# Optional tools; as root, install the missing ones (Debian package names).
gnu_time=
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && gnu_time=/usr/bin/time
missing=
[ -n "$gnu_time" ] || missing="$missing time"
have strace || missing="$missing strace"
have valgrind || missing="$missing valgrind"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && have apt-get; then
	say "installing:$missing"
	# shellcheck disable=SC2086 # a list of package names
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
			say "could not install$missing; those sections are skipped"
	fi
	[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && gnu_time=/usr/bin/time
fi
strace_bin=$(command -v strace || true)
valgrind_bin=$(command -v valgrind || true)

start=$(date +%s)

say "scripts/build-release.sh (the binary install.sh installs)"
cd "$ROOT"
t0=$(date +%s)
bin=$("$ROOT/scripts/build-release.sh" 2>/dev/null)
[ -x "$bin" ] || { say "no binary at $bin"; exit 2; }
say "the test server (gh-test-server example bench_server)"
server=
target_dir=$(cargo metadata --format-version 1 --no-deps </dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if cargo build --release --locked -p gh-test-server --example bench_server </dev/null >/dev/null 2>&1 &&
	[ -x "$target_dir/release/examples/bench_server" ]; then
	server="$target_dir/release/examples/bench_server"
else
	say "could not build the bench_server example: no clone row"
fi
build_s=$(($(date +%s) - t0))

work=$(mktemp -d "${TMPDIR:-/tmp}/gcs-bench.XXXXXX")
work=$(CDPATH='' cd -- "$work" && pwd -P)
cleanup() {
	if [ -n "$keep" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "spawn floors"
"$CC" -O2 -o "$work/floor-c" "$HERE/floor.c"
floor_rs=
if have rustc; then
	if rustc -O -C strip=symbols --edition 2021 -o "$work/floor-rs" "$HERE/floor.rs" 2>/dev/null; then
		floor_rs="$work/floor-rs"
	else
		say "rustc failed: no Rust floor"
	fi
fi

# git finds the helper `scoped` as git-credential-scoped on PATH.
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/git-credential-scoped"

say "registries and stores"
gen() { python3 "$HERE/gen_registry.py" "$@"; }
# The 1-token registry is registered by the binary itself, which also checks the generator's
# idea of the stored-secret formats (gen_registry.py, binary_formats) before the rest relies on it.
PATH="$work/bin:$PATH" gen registry "$work/r1" --tokens 1 --repos-per-token 10000 --owners 1 --via-add "$bin"
gen registry "$work/r100" --tokens 100 --repos-per-token 100 --owners 10
gen registry "$work/r1000" --tokens 1000 --repos-per-token 10 --owners 100
gen registry "$work/r1000-1secret" --tokens 1000 --repos-per-token 10 --owners 100 --secrets hit
gen registry "$work/r10000" --tokens 10000 --repos-per-token 10 --owners 100
gen registry "$work/r10000-env" --tokens 10000 --repos-per-token 10 --owners 100 --secrets env
gen registry "$work/r100000" --tokens 100000 --repos-per-token 10 --owners 100
gen store "$work/store-1" --lines 1
gen store "$work/store-10000" --lines 10000
gen request "$work/request-miss" --host git.example.org --path team/project.git

say "measuring"
cat <<EOF
git-credential-scoped benchmark, issues 8 and 13 ($(date -u +%Y-%m-%dT%H:%M:%SZ)$([ -n "$quick" ] && printf ', --quick'))
build: scripts/build-release.sh and bench_server, ${build_s}s, $bin; floors: $("$CC" --version | head -n 1)$([ -n "$floor_rs" ] && printf '; %s' "$(rustc --version)")
EOF
python3 "$HERE/harness.py" \
	--work "$work" --bin "$bin" --git "$(command -v git)" \
	--floor-c "$work/floor-c" --floor-rs "$floor_rs" --server "$server" \
	--gnu-time "$gnu_time" --strace "$strace_bin" --valgrind "$valgrind_bin" \
	--runs "$runs" --warmup "$warmup" --fill-runs "$fill_runs" --store-runs "$store_runs" \
	--cold-runs "$cold_runs" --cold-cap "$cold_cap" --cold-budget "$cold_budget" \
	--clone-rounds "$clone_rounds" --rss-runs "$rss_runs"
echo
echo "total $(($(date +%s) - start))s (build ${build_s}s)"
