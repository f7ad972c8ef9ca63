#!/usr/bin/env bash
# `npm test`: sets up everything the tests need on a fresh Debian machine, then runs every check:
# lint (ESLint + Prettier), type-check, unit, integration (real Dovecot + Postfix and Cyrus IMAP,
# real Secret Service) and end-to-end (the web host in Debian's Chromium). Exits non-zero when
# anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# The second IMAP server, Cyrus, conflicts with dovecot-imapd as a package: the tests unpack it into
# .cache/cyrus/ themselves (test/mailstack/cyrus.ts). Only the libraries it links against and
# saslpasswd2 (its users' password file) are installed here; none of them conflicts with anything.
CYRUS_LIBRARIES=(libclamav12 libical3 libxapian30 libzephyr4 libpcre3 sasl2-bin)
SYSTEM_PACKAGES=(dovecot-imapd dovecot-lmtpd postfix dbus gnome-keyring chromium openssl "${CYRUS_LIBRARIES[@]}")
missing=()
for cmd in dovecot postfix dbus-run-session gnome-keyring-daemon chromium openssl saslpasswd2; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$cmd")
done
for pkg in "${CYRUS_LIBRARIES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test prerequisites (missing: ${missing[*]})"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Run as root, or install them first: sudo apt-get install -y ${SYSTEM_PACKAGES[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  # policy-rc.d keeps the packages from starting the system's own Postfix and Dovecot: tests run
  # their own servers on high loopback ports and never use the machine's mail configuration.
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy -eq 1 ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${SYSTEM_PACKAGES[@]}" >/dev/null
  [ $had_policy -eq 1 ] || rm -f /usr/sbin/policy-rc.d
fi

# The tests need no Electron binary (it cannot be downloaded everywhere); the app's `npm start` does.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Lint first: the layering rules, the code rules and the formatting (eslint.config.js, .prettierrc.json).
npm run --silent lint
npx tsc --noEmit -p tsconfig.json
npx electron-vite build >/dev/null

# Integration and end-to-end tests use the real Secret Service, in a private session.
scripts/with-keyring.sh npx vitest run "$@"
