#!/bin/sh
# Take the user-mode emulators the guest runs foreign images with (issue 16) from Debian's
# `qemu-user-static:i386` (i386 binaries: they run in the v86 guest) at the version pinned
# in kernel/PACKAGES, into kernel/images/ as zstd files:
#   qemu-x86_64.zst (linux/amd64), qemu-aarch64.zst (linux/arm64), qemu-arm.zst (linux/arm/v7, v6)
# They are not in the initramfs: the engine fetches one when a foreign image first runs
# (src/engine/emulation/README.md).
#
#   kernel/build-qemu.sh                     # -> kernel/images/qemu-*.zst
#   UPDATE_PACKAGES=1 kernel/build-qemu.sh   # re-pin to the archive's version
# Needs (Debian, with `dpkg --add-architecture i386`): apt-get, dpkg-deb, zstd.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/build}
W=$BUILD_DIR/qemu
OUT=$HERE/images
rm -rf "$W"
mkdir -p "$W" "$OUT"
cd "$W"
pin=$(sed -n 's/^qemu-user-static=//p' "$HERE/PACKAGES" 2>/dev/null || true)
if [ -n "$pin" ] && [ "${UPDATE_PACKAGES:-}" != 1 ]; then
  apt-get download "qemu-user-static:i386=$pin" >/dev/null 2>&1 || { echo "apt-get download qemu-user-static:i386=$pin failed (is the i386 architecture added and the version still in the archive?)" >&2; exit 1; }
else
  apt-get download qemu-user-static:i386 >/dev/null 2>&1
  v=$(dpkg-deb -f qemu-user-static_*.deb Version)
  { grep -v '^qemu-user-static=' "$HERE/PACKAGES" 2>/dev/null || true; echo "qemu-user-static=$v"; } | sort >"$W/P" && mv "$W/P" "$HERE/PACKAGES"
fi
dpkg-deb -x qemu-user-static_*.deb x
for a in x86_64 aarch64 arm; do
  # -19 without --long: the decoder's window stays 8 MiB (fzstd in the page holds it in memory)
  zstd -q -19 -f "x/usr/bin/qemu-$a-static" -o "$OUT/qemu-$a.zst"
  chmod 644 "$OUT/qemu-$a.zst"
done
cp x/usr/share/doc/qemu-user-static/copyright "$OUT/QEMU-COPYRIGHT"
echo "qemu-user-static: $(dpkg-deb -f qemu-user-static_*.deb Version)"
