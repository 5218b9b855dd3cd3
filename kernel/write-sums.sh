#!/bin/sh
# kernel/SHA256SUMS: checksums of the committed artifacts (checked by the guest tests).
set -eu
cd "$(dirname "$0")/images"
sha256sum bzImage initramfs.cpio bios.bin vgabios-stdvga.bin SEABIOS-COPYRIGHT kernel.config qemu-x86_64.zst qemu-aarch64.zst qemu-arm.zst QEMU-COPYRIGHT >../SHA256SUMS
cat ../SHA256SUMS
