# shellcheck shell=sh
# Shell helpers shared by the scripts in scripts/ (sourced, not run). The caller sets PROG,
# the name its messages start with.

msg() {
	printf '%s: %s\n' "$PROG" "$*" >&2
}

die() {
	msg "$@"
	exit 1
}

is_root() {
	test "$(id -u)" = 0
}

# missing_commands CMD...: prints those of the commands that are not on PATH.
missing_commands() {
	for _cmd in "$@"; do
		command -v "$_cmd" >/dev/null 2>&1 || printf '%s\n' "$_cmd"
	done
}

# apt_install PKG...: apt-get update && apt-get install -y PKG..., non-interactively, as root.
apt_install() {
	is_root || die "installing packages needs root: apt-get install -y $*"
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: $*"
	msg "installing Debian packages: $*"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null ||
		die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null ||
		die "apt-get install failed: $*"
}
