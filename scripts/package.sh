#!/usr/bin/env bash
# Builds Liftoff's installable package: `tauri build --bundles deb` (release
# binary, offline), then the .deb recompressed with xz (scripts/repack-deb.sh;
# tauri-bundler 2.12 writes gzip and has no setting for it).
#   scripts/package.sh   -> $CARGO_TARGET_DIR/release/bundle/deb/Liftoff_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# Also the npm packages, as locked.
bash scripts/setup.sh run
npx tauri build --bundles deb -- --locked
version="$(node -p 'require("./tauri.conf.json").version')"
deb="$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/Liftoff_"$version"_*.deb)"
bash scripts/repack-deb.sh "$deb"
echo "$deb"
