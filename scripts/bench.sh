#!/usr/bin/env bash
# Prints Liftoff's benchmark figures, all from release builds, the apps in a
# window under Xvfb:
# - window suggestion (Rust): the ranking before the sweep beside today's,
#   14 days at 15-minute steps for 20 people and 90 days at 5-minute steps
#   for 100 people with 11,000 events, and the drag check's one snap;
# - the timeline's first render and frame times at 1,000, 10,000 and 50,000
#   items (scripts/bench-timeline.mjs);
# - the deploy engine: a million lines through the masker and the stored
#   log, and the latencies from Deploy to the child and from its exit to the
#   run recorded (examples/deploy_bench.rs); the same million lines watched
#   in the window, with frame times and the app's peak memory
#   (scripts/bench-deploy.mjs);
# - start-up, idle memory and package size side by side with an empty Tauri 2
#   app of the same stack, bench/empty-app (scripts/bench-startup.mjs, 24
#   interleaved starts of each, timed from the X server by the same method),
#   and the ten crates that make most of Liftoff's binary (cargo bloat).
#   scripts/bench.sh            everything
#   scripts/bench.sh startup    only the start-up, memory and size comparison
#   scripts/bench.sh deploy     only the deploy figures
#   scripts/bench.sh cli        only the command-line binary's figures
#   scripts/bench.sh monitor    only the monitoring reads (examples/monitor_bench.rs)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
what="${1:-all}"
bash scripts/setup.sh test
if [[ "$what" == all ]]; then
  cargo run --release --locked -p liftoff-core --example suggest_bench
fi
# Monitoring on three years of history: board, metrics, maturity, history,
# and the evidence file of a 200-run release.
if [[ "$what" == all || "$what" == monitor ]]; then
  cargo run --release --locked -p liftoff-core --example monitor_bench
  [[ "$what" == monitor ]] && exit 0
fi
if [[ "$what" == all || "$what" == deploy ]]; then
  cargo run --release --locked -p liftoff-core --example deploy_bench
fi
# The command-line binary on its own: start-up, memory, lines per second.
if [[ "$what" == all || "$what" == deploy || "$what" == cli ]]; then
  cargo build --release --locked -p liftoff-cli --bin liftoff-cli
  LIFTOFF_CLI="$CARGO_TARGET_DIR/release/liftoff-cli" cargo run --release --locked -p liftoff-cli --example cli_bench
  [[ "$what" == cli ]] && exit 0
fi
# The release binaries and their .deb packages. Liftoff's front end is built
# in the benchmark's mode (`npm run build:bench`): the same page plus the few
# lines through which bench-timeline.mjs drives the timeline, which the
# normal build leaves out. The app is built once with its symbols, so that
# cargo bloat can say which crates its size is made of, then stripped (what
# the release profile's `strip = true` does) and packaged by `tauri bundle`
# as `tauri build` would. The empty app's page is static.
npm run build:bench
if ! command -v cargo-bloat >/dev/null; then
  cargo install --locked cargo-bloat@0.12.1
fi
CARGO_PROFILE_RELEASE_STRIP=false cargo bloat --release --locked --features custom-protocol --bin liftoff --crates -n 10 \
  > "$CARGO_TARGET_DIR/bench-bloat.txt"
strip --strip-all "$CARGO_TARGET_DIR/release/liftoff"
npx tauri bundle --bundles deb
# Recompressed with xz, as scripts/package.sh makes it.
bash scripts/repack-deb.sh "$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/Liftoff_*.deb)"
if [[ "$what" != deploy ]]; then
  (cd bench/empty-app && ../../node_modules/.bin/tauri build --bundles deb -- --locked)
  bash scripts/repack-deb.sh "$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/liftoff-empty-app_0.1.0_*.deb)"
fi
export LIFTOFF_APP="$CARGO_TARGET_DIR/release/liftoff"
export LIFTOFF_EMPTY_APP="$CARGO_TARGET_DIR/release/liftoff-empty-app"
version="$(node -p 'require("./tauri.conf.json").version')"
export LIFTOFF_DEB="$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/Liftoff_"$version"_*.deb)"
export LIFTOFF_EMPTY_DEB="$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/liftoff-empty-app_0.1.0_*.deb 2>/dev/null || true)"
xvfb=(xvfb-run -a --server-args="-screen 0 1440x900x24" scripts/with-keyring.sh)
if [[ "$what" == all ]]; then
  "${xvfb[@]}" node scripts/bench-timeline.mjs
fi
if [[ "$what" == all || "$what" == deploy ]]; then
  "${xvfb[@]}" node scripts/bench-deploy.mjs
fi
if [[ "$what" != deploy ]]; then
  echo "Liftoff's binary by crate (cargo bloat, before stripping; .text only):"
  sed -n '/File  .text/,$p' "$CARGO_TARGET_DIR/bench-bloat.txt"
  LIFTOFF_TEST_PYTHON="$(scripts/pyenv.sh)" "${xvfb[@]}" node scripts/bench-startup.mjs
fi
# Leave the normal front end for the next debug build.
npm run build >/dev/null
