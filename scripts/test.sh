#!/usr/bin/env bash
# Runs every test: Rust (core, shell, security baseline, bindings), front end
# (type check, unit tests) and end to end (the real app in a window under
# Xvfb, driven over WebDriver). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh test

echo "== Python environment for the tests (aiosmtpd; icalendar and recurring-ical-events)"
LIFTOFF_TEST_PYTHON="$(scripts/pyenv.sh)"
export LIFTOFF_TEST_PYTHON

echo "== Front end: build, type check, unit tests"
npm run build
npm run check
npm run test:ui

echo "== Recorded CI/CD contracts: GitHub's requests against its OpenAPI description"
npm run test:contracts

# The Rust tests and the end-to-end binary share one build: the front end is
# embedded (custom-protocol) in both.
echo "== Rust: core, shell, security baseline, bindings"
cargo test --workspace --locked --features custom-protocol

# Exactly the command above, so exactly the same build: only the ignored
# tests run, which are the keychain's (they need the Secret Service).
echo "== Keychain: the real Secret Service (gnome-keyring in a private D-Bus session)"
scripts/with-keyring.sh cargo test --workspace --locked --features custom-protocol -- --ignored --test-threads=1

# The end-to-end tests drive the app binary `cargo test` built above (with
# the front end embedded): a separate `cargo build` would resolve features
# without the test dependencies and compile much of the tree again.
export LIFTOFF_APP="$CARGO_TARGET_DIR/debug/liftoff"
if [[ ! -x "$LIFTOFF_APP" ]]; then
  echo "== Building the app for the end-to-end tests"
  cargo build --locked --features custom-protocol
fi

echo "== End to end (screenshots in target/e2e-screenshots/)"
rm -rf target/e2e-screenshots
xvfb-run -a --server-args="-screen 0 1440x900x24" \
  scripts/with-keyring.sh node --test --test-concurrency=1 tests/e2e/
