#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring: the real Secret
# Service, isolated from the user's own keychain. The keyring files go to a throw-away folder, never
# into ~/.local/share/keyrings, and the app uses a keychain service name of its own.
#
# The daemon is started by D-Bus activation from a service file of this session's own, so that if
# it dies mid-run (gnome-keyring-daemon has aborted on a GLib assertion under a full test run) the
# next keychain call starts it again on the same keyring files, unlocked, and the passwords saved so
# far are still there. Without this, D-Bus would start Debian's default service instead: the user's
# own ~/.local/share/keyrings, with no unlocked collection, and every later test would fail with
# "Secret Service: no result found". A restart is announced on stderr with the daemon's last words.
set -euo pipefail
export AUXILIUM_KEYCHAIN_SERVICE="${AUXILIUM_KEYCHAIN_SERVICE:-auxilium-test-$$}"
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT

mkdir -p "$keyring_home/dbus-1/services"
cat >"$keyring_home/start-secret-service.sh" <<EOF
#!/bin/sh
# The first start is expected; any later one means the previous daemon died.
if [ -e "$keyring_home/started" ]; then
  echo "with-keyring: the Secret Service stopped during the run and is being started again. Its last words:" >&2
  tail -n 20 "$keyring_home/daemon.log" >&2
fi
touch "$keyring_home/started"
printf 'test-keyring-password' | XDG_DATA_HOME="$keyring_home" exec gnome-keyring-daemon --unlock --foreground --components=secrets >>"$keyring_home/daemon.log" 2>&1
EOF
cat >"$keyring_home/dbus-1/services/org.freedesktop.secrets.service" <<EOF
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=/bin/sh $keyring_home/start-secret-service.sh
EOF

# The bus looks for service files in \$XDG_DATA_HOME/dbus-1/services before the system's folders; the
# command itself gets the caller's XDG_DATA_HOME back.
caller_data_home="${XDG_DATA_HOME-}"
XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash -c '
  if [ -n "$1" ]; then export XDG_DATA_HOME="$1"; else unset XDG_DATA_HOME; fi
  shift
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.StartServiceByName string:org.freedesktop.secrets uint32:0 >/dev/null
  exec "$@"
' with-keyring "$caller_data_home" "$@"
