#!/bin/sh
# Bench baseline only: Debian's stock i386 kernel (linux-image-686, same 6.1 series),
# which boots our initramfs to its first init line. Extracts the vmlinuz to
# $BUILD_DIR/stock/vmlinuz and prints its path. Not committed (tens of MB).
set -eu
BUILD_DIR=${BUILD_DIR:-/work/build}
W=$BUILD_DIR/stock
mkdir -p "$W"
cd "$W"
if [ ! -f vmlinuz ]; then
  pkg=$(apt-cache depends linux-image-686:i386 | sed -n 's/.*Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)
  ls "$pkg"_*.deb >/dev/null 2>&1 || apt-get download "$pkg:i386" >/dev/null 2>&1
  dpkg-deb --fsys-tarfile "$pkg"_*.deb | tar -x --wildcards './boot/vmlinuz-*'
  mv boot/vmlinuz-* vmlinuz
  rm -rf boot
  echo "$pkg" >version
fi
echo "$W/vmlinuz"
