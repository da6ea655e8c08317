#!/usr/bin/env bash
# Recompresses a .deb made by `tauri build` (or `tauri bundle`) with xz, in
# place: the same files, the same control data, a smaller download.
# tauri-bundler 2.12 writes its .deb with gzip and has no setting for it
# (only its .rpm has one); dpkg-deb has read xz since Debian 6 and writes it
# by default. Prints the sizes before and after.
#   scripts/repack-deb.sh path/to/Liftoff_0.1.0_amd64.deb
set -euo pipefail
deb="$1"
[[ -f "$deb" ]] || { echo "no such package: $deb" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
before="$(stat -c %s "$deb")"
dpkg-deb --raw-extract "$deb" "$work/root"
# Contents listed before and after must be the same (mode, owner, size and
# path; tar writes the names and owners a little differently).
listing() {
  dpkg-deb --contents "$1" | awk '{ owner = ($2 == "0/0") ? "root/root" : $2; path = $6; sub(/^\.\//, "", path); sub(/\/$/, "", path); if (path != "" && path != ".") print $1, owner, $3, path }' | sort
}
listing "$deb" > "$work/before.txt"
dpkg-deb --root-owner-group -Zxz -z9 -Sextreme --build "$work/root" "$work/new.deb" >/dev/null
listing "$work/new.deb" > "$work/after.txt"
if ! cmp -s "$work/before.txt" "$work/after.txt"; then
  echo "repacking $deb changed its contents; it is left as it was:" >&2
  diff "$work/before.txt" "$work/after.txt" >&2 || true
  exit 1
fi
mv "$work/new.deb" "$deb"
echo "$(basename "$deb"): $before bytes (gzip, as tauri wrote it) -> $(stat -c %s "$deb") bytes (xz)"
