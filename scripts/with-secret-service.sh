#!/bin/sh
# Run a command inside a private D-Bus session bus that has an unlocked gnome-keyring
# Secret Service (org.freedesktop.secrets), for tests and CI on headless Linux.
#
# The keyring daemon keeps its files in a fresh temporary directory (its HOME,
# XDG_DATA_HOME, XDG_RUNTIME_DIR, ...), removed at exit: a run never reads or writes the
# user's real keyring. The command itself keeps the caller's environment (HOME included),
# plus DBUS_SESSION_BUS_ADDRESS of the private bus. The command's exit status is passed
# through.

set -eu

PROG=with-secret-service
SCRIPT_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
SCRIPT=$SCRIPT_DIR/$(basename -- "$0")

# shellcheck source=scripts/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"

PACKAGES_NEEDED="gnome-keyring dbus dbus-x11"
PACKAGES_INSTALL="gnome-keyring dbus dbus-x11 libsecret-tools"
COMMANDS_NEEDED="gnome-keyring-daemon dbus-run-session dbus-daemon dbus-send dbus-update-activation-environment"
# Password of the throw-away login keyring.
KEYRING_PASSWORD=pass
# How long to wait for the daemon to own org.freedesktop.secrets, in tenths of a second.
READY_TENTHS=100

usage() {
	cat <<EOF
Usage: scripts/with-secret-service.sh [--install] [--] CMD [ARGS...]

Runs CMD inside a private D-Bus session (dbus-run-session) with an unlocked
gnome-keyring Secret Service whose keyring files live in a temporary directory
that is removed at exit. Exits with CMD's exit status.

Options:
  --install   if the tools are missing and this runs as root, install them first:
              apt-get update && apt-get install -y $PACKAGES_INSTALL
  -h, --help  show this help

Exit status: CMD's; 2 if the tools are missing (the message names the Debian
packages); 1 if the Secret Service could not be started.

Example:
  scripts/with-secret-service.sh secret-tool lookup service demo
  scripts/with-secret-service.sh --install cargo test
EOF
}

# ---------------------------------------------------------------------------
# Inner part: runs inside dbus-run-session (re-invoked as `$0 --inner TMPDIR CMD...`).
# ---------------------------------------------------------------------------
bus_has_owner() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
		string:"$1" 2>/dev/null | grep -q 'boolean true'
}

inner() {
	tmp=$1
	shift
	daemon_pid=

	stop_daemon() {
		if test -n "$daemon_pid"; then
			kill "$daemon_pid" 2>/dev/null || :
			wait "$daemon_pid" 2>/dev/null || :
			daemon_pid=
		fi
	}
	trap 'stop_daemon' EXIT
	trap 'stop_daemon; exit 130' INT
	trap 'stop_daemon; exit 143' TERM

	mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
	chmod 700 "$tmp/run"

	# Anything the bus starts by activation (e.g. a second gnome-keyring-daemon if ours
	# died) gets the throw-away directories too, never the caller's HOME.
	dbus-update-activation-environment \
		HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
		XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" >/dev/null 2>&1 ||
		die "could not set the bus's activation environment"

	# --foreground in the background (instead of --daemonize) so that this script knows
	# the daemon's pid and stops it when CMD is done.
	printf '%s' "$KEYRING_PASSWORD" |
		HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
			XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" \
			gnome-keyring-daemon --foreground --unlock --components=secrets \
			>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!

	tenths=0
	until bus_has_owner org.freedesktop.secrets; do
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			daemon_pid=
			cat "$tmp/daemon.log" >&2 || :
			die "gnome-keyring-daemon exited before it owned org.freedesktop.secrets"
		fi
		tenths=$((tenths + 1))
		if test "$tenths" -ge "$READY_TENTHS"; then
			cat "$tmp/daemon.log" >&2 || :
			die "gnome-keyring-daemon did not own org.freedesktop.secrets within $((READY_TENTHS / 10)) s"
		fi
		sleep 0.1
	done

	status=0
	"$@" || status=$?
	stop_daemon
	exit "$status"
}

# dbus-run-session starts this script as its --dbus-daemon: dbus-daemon as root warns on
# stderr that it may not raise its fd limit (in containers); keep its noise in a log file.
if test -n "${_WSS_DBUS_DAEMON_LOG-}"; then
	log=$_WSS_DBUS_DAEMON_LOG
	unset _WSS_DBUS_DAEMON_LOG
	exec dbus-daemon "$@" 2>>"$log"
fi

if test "${1-}" = --inner; then
	shift
	inner "$@"
fi

# ---------------------------------------------------------------------------
# Outer part.
# ---------------------------------------------------------------------------
install=
while test $# -gt 0; do
	case $1 in
	--install) install=t; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) msg "unknown option: $1 (try --help)"; exit 2 ;;
	*) break ;;
	esac
done
test $# -gt 0 || { usage >&2; exit 2; }

# shellcheck disable=SC2086 # word splitting of the lists is intended
missing=$(missing_commands $COMMANDS_NEEDED)
if test -n "$missing" && test -n "$install" && is_root; then
	# shellcheck disable=SC2086
	apt_install $PACKAGES_INSTALL
	# shellcheck disable=SC2086
	missing=$(missing_commands $COMMANDS_NEEDED)
fi
if test -n "$missing"; then
	msg "missing $(echo "$missing" | tr '\n' ' ')- install the Debian packages: apt-get install -y $PACKAGES_NEEDED (or run with --install as root)"
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/secret-service.XXXXXX")
# shellcheck disable=SC2317 # called from the traps
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

status=0
_WSS_DBUS_DAEMON_LOG=$tmp/dbus-daemon.log dbus-run-session --dbus-daemon="$SCRIPT" -- \
	env -u _WSS_DBUS_DAEMON_LOG "$SCRIPT" --inner "$tmp" "$@" || status=$?
exit "$status"
