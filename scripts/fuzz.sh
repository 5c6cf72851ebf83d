#!/bin/sh
# Coverage-guided fuzzing of the two input boundaries with libFuzzer through cargo fuzz:
#   decode  the protocol decoder on arbitrary stdin bytes, and the answer built from it
#   remote  URL / path -> owner/repo -> token resolution on a fixed registry
# Each target runs for SECONDS (default 60); the script prints the executions run and the
# crashes found per target and exits 1 if any target crashed. Not part of scripts/test.sh
# (CI time); every crash it finds becomes a regression test in tests/it/hostile.rs.
#
# cargo fuzz needs nightly-only flags (-Zsanitizer, sancov passes). The project's machines
# are only sure to have the stable toolchain, so the build runs with RUSTC_BOOTSTRAP=1, which
# lets stable rustc accept them (libFuzzer and AddressSanitizer both work that way).

set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

usage() {
	cat <<'USAGE'
Usage: scripts/fuzz.sh [SECONDS] [TARGET...]

Runs each fuzz target (default: decode remote) for SECONDS (default 60) and prints
executions and crashes. Installs cargo-fuzz from crates.io when it is missing.

Environment:
  FUZZ_SANITIZER   address (default) or none
  FUZZ_JOBS        libFuzzer -jobs/-workers per target (default 1)

Crash inputs land in fuzz/artifacts/TARGET/; reproduce one with
  RUSTC_BOOTSTRAP=1 cargo fuzz run -a TARGET fuzz/artifacts/TARGET/crash-...
USAGE
}

case "${1:-}" in
	-h | --help) usage; exit 0 ;;
esac

seconds=60
if [ $# -gt 0 ]; then
	case "$1" in
		*[!0-9]* | "") usage >&2; exit 2 ;;
		*) seconds=$1; shift ;;
	esac
fi
targets=${*:-decode remote}
sanitizer=${FUZZ_SANITIZER:-address}
jobs=${FUZZ_JOBS:-1}

say() { printf 'fuzz.sh: %s\n' "$*"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
	say "installing cargo-fuzz from crates.io"
	cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
dict_of() {
	case "$1" in
		decode) echo fuzz/dict/protocol.dict ;;
		*) echo "fuzz/dict/$1.dict" ;;
	esac
}

failed=0
summary=""
for t in $targets; do
	say "building $t (sanitizer: $sanitizer)"
	cargo fuzz build -a --sanitizer "$sanitizer" "$t"
	corpus="fuzz/corpus/$t"
	artifacts="fuzz/artifacts/$t"
	mkdir -p "$corpus" "$artifacts"
	log=$(mktemp)
	find "$artifacts" -type f | sort >"$log.before"
	say "running $t for $seconds s"
	set +e
	cargo fuzz run -a --sanitizer "$sanitizer" "$t" "$corpus" "fuzz/seeds/$t" -- \
		-max_total_time="$seconds" -dict="$(dict_of "$t")" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -jobs="$jobs" -workers="$jobs" >"$log" 2>&1
	rc=$?
	set -e
	# With -jobs > 1 each worker writes fuzz-N.log; add their final stats up.
	execs=$(cat "$log" fuzz-[0-9]*.log 2>/dev/null |
		sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {print s + 0}')
	rm -f fuzz-[0-9]*.log
	find "$artifacts" -type f | sort | comm -13 "$log.before" - >"$log.new"
	crashes=$(wc -l <"$log.new" | tr -d ' ')
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		# A failure that left no artifact (a build or start-up error): show it.
		tail -n 30 "$log" >&2
		crashes="?"
	fi
	grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY)' "$log" | head -n 5 || true
	sed 's/^/  artifact: /' "$log.new"
	rm -f "$log" "$log.before" "$log.new"
	cov=$(find "$corpus" -type f | wc -l)
	line="$t: $execs executions in $seconds s, $crashes crashes, corpus $cov inputs"
	say "$line"
	summary="$summary
  $line"
	[ "$crashes" = 0 ] || failed=1
done
say "summary:$summary"
exit "$failed"
