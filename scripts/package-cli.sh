#!/usr/bin/env bash
# Builds liftoff-cli's own .deb: the command line without the window, for CI
# machines and servers (no WebKitGTK, no display). Its dependencies are what
# the binary links, worked out by dpkg-shlibdeps (libc, D-Bus for the
# keychain, OpenSSL for HTTPS smoke checks).
#   scripts/package-cli.sh          -> $CARGO_TARGET_DIR/release/bundle/deb/liftoff-cli_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo build --release --locked -p liftoff-cli --bin liftoff-cli
bin="$CARGO_TARGET_DIR/release/liftoff-cli"
version="$(node -p 'require("./tauri.conf.json").version')"
arch="$(dpkg --print-architecture)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
install -Dm755 "$bin" "$root/usr/bin/liftoff-cli"
install -Dm644 README.md "$root/usr/share/doc/liftoff-cli/README.md"
# dpkg-shlibdeps reads a control file from ./debian.
mkdir -p "$work/debian"
printf 'Source: liftoff-cli\n\nPackage: liftoff-cli\nArchitecture: any\n' > "$work/debian/control"
depends="$(cd "$work" && dpkg-shlibdeps -O "$root/usr/bin/liftoff-cli" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
size="$(du -sk "$root" | cut -f1)"
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: liftoff-cli
Version: $version
Architecture: $arch
Maintainer: Liftoff <liftoff@localhost>
Installed-Size: $size
Depends: $depends
Section: devel
Priority: optional
Description: Liftoff's command line: deploy, roll back, cancel and list runs
 The same deploys as the Liftoff desktop app (preflight, locks, masked logs,
 smoke checks, rollback) on the same database, without a window: for CI
 machines and servers. Desktop users have the same commands as
 'liftoff deploy ...' in the app's own package.
CONTROL
out="$CARGO_TARGET_DIR/release/bundle/deb"
mkdir -p "$out"
deb="$out/liftoff-cli_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
