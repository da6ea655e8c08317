#!/usr/bin/env bash
# The Python environment of the tests (the SMTP server they run, and the
# independent calendar reading of tests/calendars.rs): created once
# under the build folder ($CARGO_TARGET_DIR/py), brought up to date when
# tests/support/requirements.txt changes. Prints the path of its python on
# standard output; everything else goes to standard error.
#   export LIFTOFF_TEST_PYTHON="$(scripts/pyenv.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

requirements=src-tauri/core/tests/support/requirements.txt
venv="$CARGO_TARGET_DIR/py"
python="$venv/bin/python"
mkdir -p "$CARGO_TARGET_DIR"

# One creator at a time: test binaries may call this script together.
exec 9>"$CARGO_TARGET_DIR/py.lock"
flock 9

if [[ ! -x "$python" ]] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  echo "== Python environment for the tests: $venv" >&2
  if ! command -v python3 >/dev/null; then
    echo "Python 3 is not installed. Install python3 and python3-venv (scripts/setup.sh test does), then run this again." >&2
    exit 1
  fi
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >&2; then
    echo "Could not create a Python virtual environment in $venv. Install python3-venv (scripts/setup.sh test does), then run this again." >&2
    exit 1
  fi
  if ! "$python" -m pip install --quiet -r "$requirements" >&2; then
    rm -rf "$venv"
    echo "Could not install the tests' Python packages ($requirements). Check the connection to PyPI, then run this again." >&2
    exit 1
  fi
  cp "$requirements" "$venv/requirements.txt"
fi
echo "$python"
