#!/bin/sh
# Packs a release binary for download: git-credential-scoped-VERSION-TARGET.tar.gz (a .zip
# for Windows targets) holding the binary, README.md and docs/, plus a NAME.sha256 file beside
# it in the format of `sha256sum` (check with `sha256sum -c` or `shasum -a 256 -c`). Prints
# the archive's path. The release workflow (.github/workflows/release.yml) runs it for every
# platform; scripts/test.sh runs it for the Linux build, so it is tested on every change.
#
# Usage: scripts/release-archive.sh BINARY TARGET OUT-DIR

set -eu

PROG=release-archive
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(CDPATH='' cd -- "$SCRIPT_DIR/.." && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

case "${1:-}" in
-h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
test $# -eq 3 || { msg "usage: scripts/release-archive.sh BINARY TARGET OUT-DIR"; exit 2; }
bin=$1
target=$2
out=$3
test -f "$bin" || die "no binary at $bin"
case $target in
'' | *[!A-Za-z0-9_.-]*) die "'$target' is not a target triple" ;;
esac

version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1)
test -n "$version" || die "no version in $ROOT/Cargo.toml"
name=git-credential-scoped-$version-$target

# sha256 FILE: prints "HASH  NAME" as sha256sum does.
sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		(cd "$(dirname -- "$1")" && sha256sum "$(basename -- "$1")")
	elif command -v shasum >/dev/null 2>&1; then
		(cd "$(dirname -- "$1")" && shasum -a 256 "$(basename -- "$1")")
	else
		die "neither sha256sum nor shasum is installed"
	fi
}

mkdir -p "$out"
out=$(CDPATH='' cd -- "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/docs"
case $target in
*-windows-*) exe=.exe ;;
*) exe= ;;
esac
cp "$bin" "$stage/$name/git-credential-scoped$exe"
chmod 755 "$stage/$name/git-credential-scoped$exe"
cp "$ROOT/README.md" "$stage/$name/"
cp "$ROOT/docs/GUIDE.md" "$ROOT/docs/FAQ.md" "$stage/$name/docs/"

case $target in
*-windows-*)
	archive=$out/$name.zip
	# Python's zipfile is on every runner and here; zip and 7z are not.
	py=
	for _p in python3 python; do
		if command -v "$_p" >/dev/null 2>&1 && "$_p" -c 'import zipfile' 2>/dev/null; then
			py=$_p
			break
		fi
	done
	test -n "$py" || die "making a .zip needs Python 3 (python3 or python on PATH)"
	rm -f "$archive"
	(cd "$stage" && "$py" -m zipfile -c "$archive" "$name") || die "zip failed"
	;;
*)
	archive=$out/$name.tar.gz
	(cd "$stage" && tar -cf - "$name" | gzip -9 >"$archive") || die "tar failed"
	;;
esac
sha256 "$archive" >"$archive.sha256"
msg "$(cat "$archive.sha256")"
printf '%s\n' "$archive"
