#!/usr/bin/env bash
# Builds Liftoff and opens it. `--release` builds an optimized binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh run

profile=debug
cargo_flags=()
if [[ "${1:-}" == --release ]]; then
  profile=release
  cargo_flags+=(--release)
fi

# The front end is built again only when its sources (or the packages)
# changed: a rebuild rewrites ui/dist, which makes cargo relink the app.
stamp=ui/dist/index.html
if [[ ! -f "$stamp" ]] || [[ -n "$(find ui/src ui/index.html ui/vite.config.ts package.json package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]]; then
  echo "== Building the front end"
  npm run build
else
  echo "== The front end is up to date"
fi
echo "== Building the app ($profile)"
cargo build --locked --features custom-protocol "${cargo_flags[@]}"
echo "== Starting Liftoff"
exec "$CARGO_TARGET_DIR/$profile/liftoff"
