#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service: gnome-keyring in a
# private D-Bus session, its keyrings in a throw-away folder.
#   scripts/with-keyring.sh cargo test ...
set -euo pipefail
if [[ -z "${LIFTOFF_IN_KEYRING_SESSION:-}" ]]; then
  export LIFTOFF_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
keyring_home="$(mktemp -d -t liftoff-keyring-XXXXXX)"
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/share"
mkdir -p "$XDG_DATA_HOME/keyrings"
# --unlock creates the login keyring with this password and unlocks it.
eval "$(printf 'liftoff-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
