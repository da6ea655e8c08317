#!/usr/bin/env bash
# Copies the README's screenshots from the last end-to-end run
# (target/e2e-screenshots/, made by scripts/test.sh) into docs/, so that the
# README shows the app as it is. Run it after the tests, look at the
# pictures, and commit them.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=target/e2e-screenshots
declare -A wanted=(
  [timeline.png]="timeline-*-first-view.png"
  [release.png]="releases-*-gate-closed.png"
  [deploys.png]="deploys-*-production-failed-verification.png"
  [announcements.png]="announce-*-announce-draft-preview.png"
  [schedules.png]="schedules-*-dialog-schedule-later.png"
)
for doc in "${!wanted[@]}"; do
  # The newest match: step numbers may change as tests grow.
  match=$(ls -t $shots/${wanted[$doc]} 2>/dev/null | head -n 1 || true)
  if [[ -z "$match" ]]; then
    echo "No screenshot matches ${wanted[$doc]} in $shots: run scripts/test.sh first." >&2
    exit 1
  fi
  cp "$match" "docs/$doc"
  echo "docs/$doc <- $match"
done
