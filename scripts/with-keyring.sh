#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring: the real Secret
# Service, isolated from the user's own keychain. The keyring files go to a throw-away folder, never
# into ~/.local/share/keyrings, and the app uses a keychain service name of its own.
set -euo pipefail
export AUXILIUM_KEYCHAIN_SERVICE="${AUXILIUM_KEYCHAIN_SERVICE:-auxilium-test-$$}"
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
dbus-run-session -- bash -c '
  printf "test-keyring-password" | XDG_DATA_HOME="$1" gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null
  shift
  exec "$@"
' with-keyring "$keyring_home" "$@"
