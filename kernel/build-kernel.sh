#!/bin/sh
# Build the tabdock guest kernel (i386 bzImage) from Debian's linux-source-6.1.
#
#   kernel/build-kernel.sh            # builds into $BUILD_DIR, copies kernel/images/bzImage
#
# Needs (Debian): linux-source-6.1 bc flex bison libelf-dev libssl-dev gcc-i686-linux-gnu make patch
# The source is unpacked OUTSIDE the repository (default /work/build). The config is
# `tinyconfig` with kernel/config-fragment merged on top; every symbol the fragment asks
# for is checked afterwards, so a silently dropped option fails the build.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/build}
SRC_TAR=${SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
SRC=$BUILD_DIR/linux-source-6.1
JOBS=${JOBS:-2}
OUT=$HERE/images

# Reproducible build stamps (the version string otherwise embeds host, user and time).
export KBUILD_BUILD_USER=tabdock KBUILD_BUILD_HOST=tabdock
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-"2026-01-01 00:00:00 UTC"}
export KBUILD_BUILD_VERSION=1
MAKE="make ARCH=i386 CROSS_COMPILE=i686-linux-gnu- -j$JOBS"

mkdir -p "$BUILD_DIR" "$OUT"
if [ ! -f "$SRC/Makefile" ]; then
  echo "unpacking $SRC_TAR into $BUILD_DIR"
  tar -C "$BUILD_DIR" -xf "$SRC_TAR"
fi
cd "$SRC"
# Our changes to Debian's source (kernel/patches, in name order), each applied once: one
# already in the tree (an earlier build in the same $BUILD_DIR) is left as it is.
for p in "$HERE"/patches/*.patch; do
  [ -e "$p" ] || continue
  if patch -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then continue; fi
  echo "applying $(basename "$p")"
  patch -p1 -s -N <"$p"
done

$MAKE tinyconfig >/dev/null
./scripts/kconfig/merge_config.sh -m .config "$HERE/config-fragment" >/dev/null
$MAKE olddefconfig >/dev/null

# Every line of the fragment must survive olddefconfig (dependencies can drop options).
bad=0
grep -E '^(CONFIG_|# CONFIG_)' "$HERE/config-fragment" | while IFS= read -r want; do
  case $want in
    "# CONFIG_"*) sym=${want#\# }; sym=${sym%% *}
      if grep -q "^$sym=" .config; then echo "config: $sym should be off but is on"; echo x >>.config-bad; fi ;;
    *) if ! grep -qxF "$want" .config; then echo "config: wanted $want, got: $(grep "^${want%%=*}=" .config || echo unset)"; echo x >>.config-bad; fi ;;
  esac
done
if [ -f .config-bad ]; then rm -f .config-bad; echo "config check failed" >&2; exit 1; fi

start=$(date +%s)
$MAKE bzImage
end=$(date +%s)
cp arch/x86/boot/bzImage "$OUT/bzImage"
cp .config "$OUT/kernel.config"
echo "built $OUT/bzImage ($(stat -c %s "$OUT/bzImage") bytes) in $((end - start)) s"
