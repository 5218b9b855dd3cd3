#!/bin/sh
# Rebuild every committed guest artifact in kernel/images and its checksums.
#   nice -n 10 kernel/build-all.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/build-kernel.sh"
"$HERE/build-bios.sh"
"$HERE/build-initramfs.sh"
"$HERE/build-qemu.sh"
"$HERE/write-sums.sh"
