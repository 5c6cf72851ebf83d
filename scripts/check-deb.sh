#!/bin/sh
# Installs a package made by scripts/build-deb.sh with `dpkg -i`, uses it and removes it
# with `dpkg -r`, as root (scripts/test.sh runs it in CI). Fails unless:
#   - the files are in their system places (binary, man pages, bash/zsh/fish completions,
#     /usr/share/doc/git-credential-scoped/{README.md,GUIDE.md,FAQ.md});
#   - `git credential-scoped --version` runs the installed binary, and a user (a temporary
#     HOME) gets a protocol round trip through git: store, get, erase, with the file store,
#     and registers a token with `add`;
#   - after `dpkg -r` the files are gone and that user's git config, registry and secrets
#     are byte for byte as they were.
# Refuses to run when the package is installed already (it would remove it).
#
# Usage: scripts/check-deb.sh DEB

set -eu

PROG=check-deb
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

BIN=git-credential-scoped
SECRET=github_pat_11DEBCHECK0000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRST

case "${1:-}" in
-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
test $# -eq 1 || { msg "usage: scripts/check-deb.sh DEB"; exit 2; }
deb=$1
test -f "$deb" || die "no package at $deb"
is_root || die "dpkg -i needs root"
if dpkg-query -W -f '${Status}' "$BIN" 2>/dev/null | grep -q ' installed$'; then
	die "$BIN is installed already; remove it first (dpkg -r $BIN)"
fi

user=$(mktemp -d)
installed=
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	test -z "$installed" || dpkg -r "$BIN" >/dev/null 2>&1 || :
	rm -rf "$user"
}
trap cleanup EXIT

start=$(date +%s)
dpkg -i "$deb" >/dev/null || die "dpkg -i $deb failed"
installed=t
for _f in /usr/bin/$BIN /usr/share/man/man1/$BIN.1.gz /usr/share/man/man1/$BIN-setup.1.gz \
	/usr/share/bash-completion/completions/$BIN /usr/share/zsh/vendor-completions/_$BIN \
	/usr/share/fish/vendor_completions.d/$BIN.fish /usr/share/doc/$BIN/README.md \
	/usr/share/doc/$BIN/GUIDE.md /usr/share/doc/$BIN/FAQ.md; do
	test -f "$_f" || die "the package did not install $_f"
done

# A user with a HOME of their own; git isolated from the machine's config.
as_user() {
	env -i HOME="$user/home" PATH=/usr/bin:/bin LANG=C GIT_CONFIG_NOSYSTEM=1 \
		GIT_CONFIG_GLOBAL="$user/home/.gitconfig" GIT_TERMINAL_PROMPT=0 \
		GIT_CREDENTIAL_SCOPED_SECRET_STORE=file "$@"
}
mkdir -p "$user/home"
version=$(as_user git credential-scoped --version) || die "git credential-scoped --version failed"
msg "installed: $version"
as_user git config --global credential.helper scoped
printf 'url=https://example.com\nusername=u\npassword=p\n\n' | as_user git credential approve ||
	die "git credential approve through the package's binary failed"
got=$(printf 'url=https://example.com\n\n' | as_user git credential fill) || die "git credential fill failed"
test "$got" = "$(printf 'protocol=https\nhost=example.com\nusername=u\npassword=p')" ||
	die "git credential fill got something else than was stored"
printf 'url=https://example.com\nusername=u\npassword=p\n\n' | as_user git credential reject
if printf 'url=https://example.com\n\n' | as_user git credential fill >/dev/null 2>&1; then
	die "the credential is still there after git credential reject"
fi
printf '%s\n' "$SECRET" | as_user git credential-scoped add deb --owner alta3 --repo labs --no-expiry >/dev/null ||
	die "git credential-scoped add failed"
msg "protocol round trip (store, get, erase) and add: ok"

# Everything the user has, to compare after the removal.
state() {
	(cd "$user/home" && find . -type f -print | LC_ALL=C sort | while IFS= read -r _f; do
		printf '%s %s\n' "$(sha256sum <"$_f" | cut -d ' ' -f 1)" "$_f"
	done)
}
before=$(state)
printf '%s\n' "$before" | grep -q 'config.toml$' || die "no registry was written"
printf '%s\n' "$before" | grep -q 'secrets.d/' || die "no secret was written"
dpkg -r "$BIN" >/dev/null || die "dpkg -r $BIN failed"
installed=
test ! -e "/usr/bin/$BIN" || die "dpkg -r left /usr/bin/$BIN"
test "$(state)" = "$before" || die "dpkg -r changed the user's files"
msg "dpkg -i, use, dpkg -r: ok; the user's config, registry and secrets kept ($(($(date +%s) - start)) s)"
