#!/usr/bin/env bash
# Installs what Liftoff needs on Debian/Ubuntu, skipping what is already there.
#   scripts/setup.sh run    build and run the app
#   scripts/setup.sh test   also what the tests and benchmarks need (Xvfb,
#                           x11-utils, xdotool (window sizes), WebKitWebDriver, tauri-driver,
#                           gnome-keyring, D-Bus, sqlite3, Python's venv
#                           and openssl for the SMTP tests)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
packages=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
          librsvg2-dev libssl-dev libxdo-dev libdbus-1-dev)
if [[ "$mode" == test ]]; then
  packages+=(xvfb xauth x11-utils xdotool webkit2gtk-driver gnome-keyring dbus-x11 libsecret-tools sqlite3 imagemagick
            python3 python3-venv openssl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== Installing system packages: ${missing[*]}"
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "Liftoff's front end needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none)). Install it, then run this again." >&2
  exit 1
fi

# npm packages, as locked, whenever the lock file changed. `npm install`
# rather than `npm ci`: the lock lists only the Tauri CLI binaries the
# registry here serves (Linux), and `npm ci` refuses a lock without the
# other platforms' entries.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== Installing npm packages"
  npm install --no-audit --no-fund
fi

if [[ "$mode" == test ]] && ! command -v tauri-driver >/dev/null; then
  echo "== Installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi
