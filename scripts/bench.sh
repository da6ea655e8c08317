#!/usr/bin/env bash
# Prints Liftoff's benchmark figures: window suggestion (Rust, release build)
# and the timeline's first render and frame times at 1,000, 10,000 and
# 50,000 items (the app, release build, in a window under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh test
cargo run --release --locked -p liftoff-core --example suggest_bench
npm run build
cargo build --release --locked --features custom-protocol
export LIFTOFF_APP="$CARGO_TARGET_DIR/release/liftoff"
xvfb-run -a --server-args="-screen 0 1440x900x24" scripts/with-keyring.sh node scripts/bench-timeline.mjs
