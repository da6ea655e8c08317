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

echo "== Building the front end"
npm run build
echo "== Building the app ($profile)"
cargo build --locked --features custom-protocol "${cargo_flags[@]}"
echo "== Starting Liftoff"
exec "$CARGO_TARGET_DIR/$profile/liftoff"
