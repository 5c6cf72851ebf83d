#!/bin/sh
# Installs git-credential-scoped for the current user: the release binary of this checkout's
# version for this platform, downloaded and checked against the release's SHA256SUMS (or,
# with --from-source or when no release is reachable, built from this checkout), into a
# directory on PATH, shell completions and man pages generated from the binary itself, and
# git's settings for github.com (`git-credential-scoped setup`). Nothing is installed until
# the download is verified. Every step compares before it writes, so a second run changes
# nothing and says so; --uninstall reverses all of it. It never prompts, so it is safe in
# scripts and on headless machines. See --help.

set -eu

PROG=install.sh
BIN=git-credential-scoped
HOST=github.com

usage() {
	cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--from-source] [--attestation] [--uninstall]

Downloads the release binary of this checkout's version (Cargo.toml) for this platform with
SHA256SUMS from the same place, checks its SHA-256 and what the archive holds, installs it,
and makes git use it for https://github.com. Without a release for this platform, or when
none is reachable, it says so and builds from source instead (scripts/build-release.sh:
cargo build --release --locked, reusing target/). A wrong sum, a cut-short download or an
archive holding anything unexpected installs nothing and leaves what is installed as it is.

  DIR/git-credential-scoped                     the binary (default DIR: ~/.local/bin)
  ~/.local/share/bash-completion/completions/git-credential-scoped
  ~/.local/share/zsh/site-functions/_git-credential-scoped     (if zsh is installed)
  ~/.config/fish/completions/git-credential-scoped.fish        (if fish is installed)
  ~/.local/share/man/man1/git-credential-scoped*.1             (man pages)
  git config --global: credential.https://github.com.helper = "" and
                         "DIR/git-credential-scoped" (its absolute path),
                       credential.https://github.com.useHttpPath = true
                       (written by: DIR/git-credential-scoped setup)

($XDG_DATA_HOME and $XDG_CONFIG_HOME replace ~/.local/share and ~/.config when set.)
Running it again changes nothing unless the build changed. It never prompts.
Your registered tokens are never touched, not even by --uninstall.

Options:
  --prefix DIR     install the binary into DIR (default: ~/.local/bin)
  --from-source    build from this checkout; download nothing
  --attestation    also verify the archive's build provenance with GitHub's CLI
                   (gh attestation verify; needs gh, logged in); refuse it if that fails
  --uninstall      undo everything above: `git-credential-scoped setup --uninstall`
                   first (every host setup set up, also with --host or --local, and
                   cargo's setting if setup --cargo set it), then remove the binary,
                   completions and man pages
  -h, --help       show this help

Environment:
  GIT_CREDENTIAL_SCOPED_RELEASE_URL  where the archives and SHA256SUMS are (a mirror; an
                   https:// URL; default: the GitHub release of this version, REPOSITORY/
                   releases/download/vVERSION with REPOSITORY from Cargo.toml)
  CURL_CA_BUNDLE   a PEM file of the certificate authorities to trust for the download
                   instead of the system's (read by curl, and passed to wget)

Needs: git; for a release: curl or wget, sha256sum or shasum, tar and gzip; to build:
cargo (Rust 1.89 or newer). Release binaries: Linux x86_64 and aarch64 (static musl), macOS
x86_64 and aarch64.
Exit codes: 0 done (or nothing to do), 1 a step failed, 2 usage error.
EOF
}

msg() {
	printf '%s: %s\n' "$PROG" "$*"
}

warn() {
	printf '%s: warning: %s\n' "$PROG" "$*" >&2
}

die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

usage_error() {
	printf '%s: %s\nTry: ./install.sh --help\n' "$PROG" "$*" >&2
	exit 2
}

PREFIX=
UNINSTALL=0
FROM_SOURCE=0
ATTESTATION=0
while [ $# -gt 0 ]; do
	case $1 in
	--prefix)
		[ $# -ge 2 ] || usage_error "--prefix needs a directory"
		PREFIX=$2
		shift 2
		;;
	--prefix=*)
		PREFIX=${1#--prefix=}
		shift
		;;
	--uninstall)
		UNINSTALL=1
		shift
		;;
	--from-source)
		FROM_SOURCE=1
		shift
		;;
	--attestation)
		ATTESTATION=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) usage_error "unknown argument: $1" ;;
	esac
done

[ -n "${HOME:-}" ] || die "HOME is not set; set it to your home directory and run this again"
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
[ -n "$PREFIX" ] || PREFIX=$HOME/.local/bin
case $PREFIX in
/*) ;;
*) PREFIX=$(pwd)/$PREFIX ;;
esac
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}
BASH_DIR=${BASH_COMPLETION_USER_DIR:-$DATA/bash-completion}/completions
ZSH_DIR=$DATA/zsh/site-functions
FISH_DIR=$CONFIG/fish/completions
MAN_DIR=$DATA/man/man1
CHANGES=0

have() {
	command -v "$1" >/dev/null 2>&1
}

# place SRC DEST MODE: installs SRC as DEST unless DEST already has the same bytes; the new
# file is written beside DEST and renamed over it, so DEST is never half-written.
place() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		return 0
	fi
	if [ -e "$2" ]; then verb=updated; else verb=installed; fi
	mkdir -p "$(dirname -- "$2")"
	tmp=$(dirname -- "$2")/.$(basename -- "$2").tmp.$$
	cp "$1" "$tmp"
	chmod "$3" "$tmp"
	mv -f "$tmp" "$2"
	msg "$verb $2"
	CHANGES=$((CHANGES + 1))
}

# unplace FILE: removes FILE if it exists.
unplace() {
	if [ -e "$1" ]; then
		rm -f "$1"
		msg "removed $1"
		CHANGES=$((CHANGES + 1))
	fi
}

# setup ARGS...: runs the installed binary's setup and counts whether it changed anything.
run_setup() {
	out=$(PATH="$PREFIX:$PATH" "$@") || die "\`$*\` failed (see above); fix that and run ./install.sh again"
	printf '%s\n' "$out"
	case $out in
	"already set up"* | "nothing to remove"*) ;;
	*) CHANGES=$((CHANGES + 1)) ;;
	esac
}


# ---------------------------------------------------------------------------
# A release binary: download, verify, unpack (into $stage; nothing is installed here)
# ---------------------------------------------------------------------------

# cargo_field KEY: the value of `KEY = "..."` in the [package] table of Cargo.toml.
cargo_field() {
	sed -n '/^\[package\]/,/^\[/s/^'"$1"' = "\([^"]*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

# release_target: this platform's release target triple; nothing where there is no release.
release_target() {
	case $(uname -s)/$(uname -m) in
	Linux/x86_64 | Linux/amd64) echo x86_64-unknown-linux-musl ;;
	Linux/aarch64 | Linux/arm64) echo aarch64-unknown-linux-musl ;;
	Darwin/x86_64) echo x86_64-apple-darwin ;;
	Darwin/arm64 | Darwin/aarch64) echo aarch64-apple-darwin ;;
	esac
}

# download URL FILE: fetches URL (https only) into FILE; fails on any HTTP error or a
# transfer cut short.
download() {
	if have curl; then
		curl --proto '=https' --proto-redir '=https' --tlsv1.2 -fsSL --retry 2 -o "$2" "$1"
	else
		wget -q --https-only ${CURL_CA_BUNDLE:+"--ca-certificate=$CURL_CA_BUNDLE"} -O "$2" "$1"
	fi
}

# sha256_of FILE: the SHA-256 of FILE in lower-case hex.
sha256_of() {
	if have sha256sum; then
		sha256sum "$1" | cut -d ' ' -f 1
	else
		shasum -a 256 "$1" | cut -d ' ' -f 1
	fi
}

# expected_sum SUMS NAME: the hash SUMS gives for NAME (sha256sum's text or binary form).
expected_sum() {
	awk -v n="$2" '$2 == n || $2 == "*" n { print $1; exit }' "$1"
}

# check_listing ARCHIVE NAME: fails unless the archive holds exactly release-archive.sh's
# files under NAME/, as plain files and directories (no links, devices or other paths).
check_listing() {
	tar -tzf "$1" >"$stage/listing" 2>/dev/null || return 1
	while IFS= read -r entry; do
		case $entry in
		"$2/" | "$2/$BIN" | "$2/README.md" | "$2/docs/" | "$2/docs/GUIDE.md" | "$2/docs/FAQ.md") ;;
		*) return 1 ;;
		esac
	done <"$stage/listing"
	grep -qx "$2/$BIN" "$stage/listing" || return 1
	tar -tvzf "$1" 2>/dev/null | cut -c 1 >"$stage/types" || return 1
	! grep -qv '^[-d]$' "$stage/types"
}

# fetch_release: sets $built to a verified release binary unpacked into $stage; returns 1
# (having said why) when no release can be had here, so that the caller builds instead.
# A release that is there but fails a check stops the script: nothing is installed.
fetch_release() {
	target=$(release_target)
	[ -n "$target" ] || { msg "no release binary for $(uname -s) $(uname -m)"; return 1; }
	have curl || have wget || { msg "neither curl nor wget is installed, so no release can be downloaded"; return 1; }
	have sha256sum || have shasum || { msg "neither sha256sum nor shasum is installed, so no download can be checked"; return 1; }
	if ! have tar || ! have gzip; then
		msg "tar or gzip is missing, so no release can be unpacked"
		return 1
	fi
	version=$(cargo_field version)
	[ -n "$version" ] || die "no version in $ROOT/Cargo.toml"
	base=${GIT_CREDENTIAL_SCOPED_RELEASE_URL:-$(cargo_field repository)/releases/download/v$version}
	base=${base%/}
	name=$BIN-$version-$target
	msg "downloading $base/SHA256SUMS"
	download "$base/SHA256SUMS" "$stage/SHA256SUMS" || { msg "no release reachable at $base"; return 1; }
	want=$(expected_sum "$stage/SHA256SUMS" "$name.tar.gz")
	[ -n "$want" ] || { msg "the release at $base has no $name.tar.gz"; return 1; }
	case $want in
	*[!0-9a-f]* | '') die "SHA256SUMS from $base is malformed; nothing was installed" ;;
	esac
	[ ${#want} -eq 64 ] || die "SHA256SUMS from $base is malformed; nothing was installed"
	msg "downloading $base/$name.tar.gz"
	download "$base/$name.tar.gz" "$stage/$name.tar.gz" ||
		die "the download of $name.tar.gz failed or was cut short; nothing was installed"
	got=$(sha256_of "$stage/$name.tar.gz")
	[ "$got" = "$want" ] ||
		die "$name.tar.gz has SHA-256 $got, but SHA256SUMS says $want: refused, nothing was installed"
	msg "SHA-256 verified: $got"
	if [ "$ATTESTATION" -eq 1 ]; then
		repo=$(cargo_field repository)
		gh attestation verify "$stage/$name.tar.gz" --repo "${repo#https://github.com/}" >&2 ||
			die "gh attestation verify refused $name.tar.gz: nothing was installed"
		msg "build provenance verified (gh attestation verify)"
	fi
	check_listing "$stage/$name.tar.gz" "$name" ||
		die "$name.tar.gz holds something else than $BIN, README.md and docs/: refused, nothing was installed"
	mkdir "$stage/unpacked"
	tar -xzf "$stage/$name.tar.gz" -C "$stage/unpacked" ||
		die "unpacking $name.tar.gz failed; nothing was installed"
	built=$stage/unpacked/$name/$BIN
	if [ ! -f "$built" ] || [ -L "$built" ]; then
		die "$name.tar.gz has no $BIN; nothing was installed"
	fi
	chmod 755 "$built"
	ran=$("$built" --version 2>/dev/null) || ran=
	[ "$ran" = "$BIN $version" ] ||
		die "the downloaded $BIN does not run here or is not version $version; nothing was installed"
}

# build_from_source: sets $built to a binary built from this checkout.
build_from_source() {
	have cargo || die "cargo is not installed; install Rust 1.89+ (https://rustup.rs, or your distribution's rustc and cargo), then run ./install.sh again"
	msg "building $BIN (scripts/build-release.sh: cargo build --release --locked)"
	built=$("$ROOT/scripts/build-release.sh" </dev/null) ||
		die "the build failed (see above)"
	[ -x "$built" ] || die "the build did not produce $built"
}

install() {
	case $(uname -s) in
	MINGW* | MSYS* | CYGWIN*)
		die "on Windows, install with: cargo install --path . --locked, then: git credential-scoped setup (README.md, \"Windows\")" ;;
	esac
	have git || die "git is not installed; install it (Debian/Ubuntu: apt-get install git; macOS: xcode-select --install), then run ./install.sh again"
	[ "$ATTESTATION" -eq 0 ] || [ "$FROM_SOURCE" -eq 0 ] || usage_error "--attestation verifies a download; --from-source downloads nothing"
	[ "$ATTESTATION" -eq 0 ] || have gh || die "--attestation needs GitHub's CLI (gh), which is not installed"

	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	if [ "$FROM_SOURCE" -eq 1 ]; then
		build_from_source
	elif ! fetch_release; then
		[ "$ATTESTATION" -eq 0 ] || die "--attestation: no release to verify; nothing was installed"
		msg "building from source instead"
		build_from_source
	fi

	"$built" completions bash >"$stage/bash"
	"$built" completions zsh >"$stage/zsh"
	"$built" completions fish >"$stage/fish"
	mkdir "$stage/man"
	"$built" man --out-dir "$stage/man" >/dev/null

	place "$built" "$PREFIX/$BIN" 755
	place "$stage/bash" "$BASH_DIR/$BIN" 644
	if have zsh || [ -e "$ZSH_DIR/_$BIN" ]; then place "$stage/zsh" "$ZSH_DIR/_$BIN" 644; fi
	if have fish || [ -e "$FISH_DIR/$BIN.fish" ]; then place "$stage/fish" "$FISH_DIR/$BIN.fish" 644; fi
	for page in "$stage"/man/*.1; do
		place "$page" "$MAN_DIR/$(basename -- "$page")" 644
	done
	# Pages of commands that no longer exist.
	for page in "$MAN_DIR/$BIN".1 "$MAN_DIR/$BIN"-*.1; do
		[ -e "$page" ] || continue
		[ -e "$stage/man/$(basename -- "$page")" ] || unplace "$page"
	done

	run_setup "$PREFIX/$BIN" setup --host "$HOST"

	case ":$PATH:" in
	*":$PREFIX:"*)
		found=$(command -v "$BIN" || true)
		[ "$found" = "$PREFIX/$BIN" ] ||
			warn "$found comes before $PREFIX/$BIN on PATH, so git runs that one; remove it or reorder PATH"
		;;
	*) warn "$PREFIX is not on PATH: git still runs $BIN (setup wrote its full path), but your shell cannot run \`git credential-scoped\` or $BIN by name; add this line to ~/.profile (macOS's zsh: ~/.zprofile; or your shell's rc file) and log in again:
  export PATH=\"$PREFIX:\$PATH\"" ;;
	esac

	version=$("$PREFIX/$BIN" --version)
	if [ "$CHANGES" -eq 0 ]; then
		msg "nothing to do: $version is already installed in $PREFIX and git is set up for $HOST"
	else
		msg "done: $version installed in $PREFIX ($CHANGES change(s)); git now asks it for https://$HOST"
		msg "next: register a token: git credential-scoped add --help (create one: git credential-scoped new-token-url --help)"
	fi
}

uninstall() {
	installed=$PREFIX/$BIN
	if [ -x "$installed" ]; then
		have git || die "git is not installed, so git's settings cannot be removed; install git, then run ./install.sh --uninstall again"
		run_setup "$installed" setup --uninstall
	else
		warn "no $installed, so git's settings were not checked; these list what setup wrote and remove it for $HOST:
  git config --global --get-regexp '^credential\..*\.helper\$' 'git-credential-scoped'
  git config --global --unset-all credential.https://$HOST.helper '^\$|git-credential-scoped'
  git config --global --unset credential.https://$HOST.useHttpPath
(the same two lines with each other URL the first one lists)"
	fi
	unplace "$installed"
	unplace "$BASH_DIR/$BIN"
	unplace "$ZSH_DIR/_$BIN"
	unplace "$FISH_DIR/$BIN.fish"
	for page in "$MAN_DIR/$BIN".1 "$MAN_DIR/$BIN"-*.1; do
		unplace "$page"
	done
	if [ "$CHANGES" -eq 0 ]; then
		msg "nothing to do: $BIN is not installed in $PREFIX"
	else
		msg "uninstalled ($CHANGES change(s)); registered tokens and their secrets were kept (where they are, to delete them by hand: docs/GUIDE.md, section 9)"
	fi
}

if [ "$UNINSTALL" -eq 1 ]; then uninstall; else install; fi
