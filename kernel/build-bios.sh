#!/bin/sh
# Take SeaBIOS (bios.bin, vgabios-stdvga.bin) and its licence from Debian's `seabios`
# package at the version pinned in kernel/PACKAGES, into kernel/images/.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/build}
W=$BUILD_DIR/bios
OUT=$HERE/images
rm -rf "$W"
mkdir -p "$W" "$OUT"
cd "$W"
pin=$(sed -n 's/^seabios=//p' "$HERE/PACKAGES" 2>/dev/null || true)
if [ -n "$pin" ] && [ "${UPDATE_PACKAGES:-}" != 1 ]; then
  apt-get download "seabios=$pin" >/dev/null 2>&1 || { echo "apt-get download seabios=$pin failed" >&2; exit 1; }
else
  apt-get download seabios >/dev/null 2>&1
  v=$(dpkg-deb -f seabios_*.deb Version)
  { grep -v '^seabios=' "$HERE/PACKAGES" 2>/dev/null || true; echo "seabios=$v"; } | sort >"$W/P" && mv "$W/P" "$HERE/PACKAGES"
fi
dpkg-deb -x seabios_*.deb x
cp x/usr/share/seabios/bios.bin x/usr/share/seabios/vgabios-stdvga.bin "$OUT/"
cp x/usr/share/doc/seabios/copyright "$OUT/SEABIOS-COPYRIGHT"
echo "bios: $(dpkg-deb -f seabios_*.deb Version)"
