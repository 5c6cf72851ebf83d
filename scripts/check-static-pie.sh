#!/bin/sh
# Checks that a Linux binary is a static-pie executable with the hardening the release
# promises, and prints the lines of `file` and `readelf -hld` that show it: ELF type DYN
# (position-independent: loaded at a random address), no INTERP (no dynamic loader, no
# shared library), BIND_NOW with GNU_RELRO (relocations read-only after start-up) and a
# GNU_STACK without the execute bit. scripts/test.sh runs it on the musl release binary,
# the release workflow on every Linux binary it ships.
#
# Usage: scripts/check-static-pie.sh BINARY

set -eu

PROG=check-static-pie
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

case "${1:-}" in
-h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
test $# -eq 1 || { msg "usage: scripts/check-static-pie.sh BINARY"; exit 2; }
bin=$1
test -f "$bin" || die "no binary at $bin"
command -v readelf >/dev/null 2>&1 || die "readelf is missing (Debian: apt-get install binutils)"

headers=$(readelf -hld "$bin") || die "readelf cannot read $bin"
if command -v file >/dev/null 2>&1; then
	file "$bin"
fi
# The ELF type, the dynamic flags, and each segment of interest with its flags (next line).
printf '%s\n' "$headers" | awk '/INTERP|GNU_RELRO|GNU_STACK/ { print; getline; print; next }
	/^ *Type:|\(FLAGS\)|\(FLAGS_1\)/ { print }'

failed=
# fail WHY: records one failed property.
fail() {
	msg "$bin: $*"
	failed=t
}
printf '%s\n' "$headers" | grep -q '^ *Type: *DYN' || fail "not position-independent (ELF type is not DYN)"
printf '%s\n' "$headers" | grep -q 'INTERP' && fail "has an INTERP header: it needs a dynamic loader"
printf '%s\n' "$headers" | grep -q '(NEEDED)' && fail "needs shared libraries"
printf '%s\n' "$headers" | grep -q 'GNU_RELRO' || fail "has no GNU_RELRO segment"
printf '%s\n' "$headers" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' || fail "is not linked with BIND_NOW"
# GNU_STACK's flags are on the line after it in readelf's wide-less layout: RW, never RWE.
stack=$(printf '%s\n' "$headers" | grep -A1 'GNU_STACK' | tr '\n' ' ')
case $stack in
*GNU_STACK*) ;;
*) fail "has no GNU_STACK segment (an executable stack by default)" ;;
esac
case $stack in
*RWE* | *' E '*) fail "has an executable stack" ;;
esac
test -z "$failed" || exit 1
msg "$bin: static-pie, BIND_NOW, GNU_RELRO, non-executable stack"
