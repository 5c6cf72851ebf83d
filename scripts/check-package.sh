#!/bin/sh
# Checks the crate that `cargo publish` would upload, the one `cargo install
# git-credential-scoped` builds: its file list holds the sources, the lock file and the
# documents and nothing else (no tests, scripts, fuzz targets or test server), and
# `cargo package` builds it from that list alone, with the lock file (--locked). Reuses the
# workspace's target directory, so after a build it takes seconds.

set -eu

PROG=check-package
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

# Files the package must have, and path prefixes it must not.
REQUIRED="Cargo.toml Cargo.lock README.md docs/GUIDE.md docs/FAQ.md src/main.rs src/lib.rs"
FORBIDDEN="tests/ scripts/ fuzz/ tools/ .ci/ .github/ install.sh target/"
# A bound that a stray data file would break: the package is about 110 KiB today.
MAX_KIB=400

case "${1:-}" in
-h | --help)
	sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac

cd "$ROOT"
# --allow-dirty: a developer's uncommitted change is checked too (a clean clone has none).
list=$(cargo package --list --locked --allow-dirty </dev/null) || die "cargo package --list failed"
for f in $REQUIRED; do
	printf '%s\n' "$list" | grep -qx "$f" || die "the package lacks $f (Cargo.toml include)"
done
for p in $FORBIDDEN; do
	if printf '%s\n' "$list" | grep -q "^$p"; then
		die "the package holds $(printf '%s\n' "$list" | grep "^$p" | head -n 1) (Cargo.toml include)"
	fi
done
msg "cargo package --list: $(printf '%s\n' "$list" | wc -l | tr -d ' ') files, the sources and documents only"

cargo package --locked --allow-dirty </dev/null || die "cargo package failed"
crate=$(cargo metadata --format-version 1 --no-deps </dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/package/git-credential-scoped-$(sed -n 's/^version = "\([^"]*\)"$/\1/p' Cargo.toml | head -n 1).crate
test -f "$crate" || die "cargo package made no $crate"
kib=$(($(wc -c <"$crate") / 1024))
test "$kib" -le "$MAX_KIB" || die "$crate is $kib KiB, more than $MAX_KIB KiB: what grew?"
msg "cargo package: built from the package alone; $crate is $kib KiB"
