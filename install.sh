#!/bin/sh
# Builds git-credential-scoped from this checkout and installs it for the current user: the
# binary into a directory on PATH, shell completions and man pages generated from the binary
# itself, and git's settings for github.com (`git-credential-scoped setup`). Every step
# compares before it writes, so a second run changes nothing and says so; --uninstall
# reverses all of it. It never prompts, so it is safe in scripts and on headless machines.
# See --help.

set -eu

PROG=install.sh
BIN=git-credential-scoped
HOST=github.com

usage() {
	cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--uninstall]

Builds git-credential-scoped (scripts/build-release.sh: cargo build --release --locked,
reusing target/, linked statically on Linux with glibc for a faster start),
installs it, and makes git use it for https://github.com:

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
  --prefix DIR   install the binary into DIR (default: ~/.local/bin)
  --uninstall    undo everything above: `git-credential-scoped setup --uninstall`
                 first (every host setup set up, also with --host or --local, and
                 cargo's setting if setup --cargo set it), then remove the binary,
                 completions and man pages
  -h, --help     show this help

Needs: git, and cargo (Rust 1.89 or newer) to build.
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


install() {
	case $(uname -s) in
	MINGW* | MSYS* | CYGWIN*)
		die "on Windows, install with: cargo install --path . --locked, then: git credential-scoped setup (README.md, \"Windows\")" ;;
	esac
	have git || die "git is not installed; install it (Debian/Ubuntu: apt-get install git; macOS: xcode-select --install), then run ./install.sh again"
	have cargo || die "cargo is not installed; install Rust 1.89+ (https://rustup.rs, or your distribution's rustc and cargo), then run ./install.sh again"
	msg "building $BIN (scripts/build-release.sh: cargo build --release --locked, static on Linux/glibc)"
	built=$("$ROOT/scripts/build-release.sh" </dev/null) ||
		die "the build failed (see above)"
	[ -x "$built" ] || die "the build did not produce $built"

	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
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
