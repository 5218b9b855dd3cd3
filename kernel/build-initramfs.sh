#!/bin/sh
# Build the tabdock guest initramfs: Debian i386 busybox-static + crun and its libraries,
# nftables (`nft`, for the container networks' rules; see kernel/README.md) and its libraries,
# the two-stage init from kernel/rootfs/, the static guest agent from kernel/agent/, and
# a libsystemd stand-in from kernel/sdstub/ (crun uses systemd only for its systemd cgroup
# manager and sd_notify; the real library pulls 3.5 MB of libraries into every start).
#
#   kernel/build-initramfs.sh          # -> kernel/images/initramfs.cpio
#   UPDATE_PACKAGES=1 kernel/build-initramfs.sh   # re-pin kernel/PACKAGES to the archive's versions
#
# Needs (Debian, with `dpkg --add-architecture i386`): apt-get, dpkg-deb, binutils,
# gcc-i686-linux-gnu and libc6-dev-i386-cross (static agent; without the latter the cross gcc
# finds the host's headers and fails on bits/wordsize.h), zstd, gcc (host, for the kernel's gen_init_cpio),
# and the unpacked kernel source from build-kernel.sh (for usr/gen_init_cpio.c).
# Package versions are pinned in kernel/PACKAGES; the archive is fixed-timestamp
# (gen_init_cpio -t) so the same inputs give the same bytes.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/build}
W=$BUILD_DIR/initramfs
OUT=$HERE/images
SRC=$BUILD_DIR/linux-source-6.1
STAMP=1767225600 # 2026-01-01T00:00:00Z
PKGS="busybox-static crun libc6 libgcc-s1 libcap2 libseccomp2 libyajl2 tini nftables libnftables1 libmnl0 libnftnl11 libxtables12 libjansson4 libgmp10 libedit2 libbsd0 libmd0 libtinfo6"

rm -rf "$W"
mkdir -p "$W/debs" "$W/deb" "$W/root" "$OUT"

# 1. Debian i386 packages, at the pinned versions.
cd "$W/debs"
if [ "${UPDATE_PACKAGES:-}" = 1 ] || [ ! -f "$HERE/PACKAGES" ]; then
  for p in $PKGS; do apt-get download "$p:i386" >/dev/null 2>&1 || { echo "apt-get download $p:i386 failed" >&2; exit 1; }; done
  { grep -e '^seabios=' -e '^qemu-user-static=' "$HERE/PACKAGES" 2>/dev/null || true
    for d in *.deb; do echo "$(dpkg-deb -f "$d" Package)=$(dpkg-deb -f "$d" Version)"; done; } | sort > "$HERE/PACKAGES.new"
  mv "$HERE/PACKAGES.new" "$HERE/PACKAGES"
else
  grep -v -e '^#' -e '^seabios=' -e '^qemu-user-static=' "$HERE/PACKAGES" | while read -r pv; do
    apt-get download "${pv%%=*}:i386=${pv#*=}" >/dev/null 2>&1 || { echo "apt-get download ${pv%%=*}:i386=${pv#*=} failed (is the i386 architecture added and the version still in the archive?)" >&2; exit 1; }
  done
fi
for d in *.deb; do dpkg-deb -x "$d" "$W/deb"; done

# 2. The agent (static) and gen_init_cpio (host tool from the kernel tree).
i686-linux-gnu-gcc -O2 -Wall -Wextra -Wno-unused-parameter -std=gnu11 -static -s \
  -Wmissing-prototypes -o "$W/tabdock-agent" "$HERE"/agent/*.c
[ -f "$SRC/usr/gen_init_cpio.c" ] || { echo "run build-kernel.sh first (needs $SRC)" >&2; exit 1; }
cc -O2 -o "$W/gen_init_cpio" "$SRC/usr/gen_init_cpio.c"
# libsystemd stand-in (see sdstub/sdstub.c): crun needs none of systemd in the guest
i686-linux-gnu-gcc -O2 -Wall -shared -fPIC -nostdlib -Wl,-soname,libsystemd.so.0 \
  -Wl,--version-script="$HERE/sdstub/sdstub.map" -Wl,--build-id=none -s \
  -o "$W/libsystemd.so.0" "$HERE/sdstub/sdstub.c"

# 3. The file list for gen_init_cpio.
L=$W/cpio.list
{
  for d in /bin /sbin /usr /usr/bin /usr/sbin /lib /lib/i386-linux-gnu /etc /proc /sys /dev /run /tmp /mnt /newroot /root; do
    echo "dir $d 0755 0 0"
  done
  echo "nod /dev/console 0600 0 0 c 5 1"
  echo "nod /dev/null 0666 0 0 c 1 3"
  echo "file /bin/busybox $W/deb/bin/busybox 0755 0 0"
  # applet links: ask the i386 busybox itself when the host can run it, else a fixed list
  if "$W/deb/bin/busybox" true 2>/dev/null; then
    "$W/deb/bin/busybox" --list-full | sort | while read -r a; do
      [ "$a" = bin/busybox ] || echo "slink /$a /bin/busybox 0777 0 0"
    done
  else
    for a in sh ash cat cp ls mkdir mount umount ln echo hostname ip switch_root sleep chmod; do
      echo "slink /bin/$a /bin/busybox 0777 0 0"
    done
  fi
  echo "file /usr/bin/crun $W/deb/usr/bin/crun 0755 0 0"
  echo "file /usr/sbin/nft $W/deb/usr/sbin/nft 0755 0 0"
  # `docker run --init`: Debian's static tini, bound at /sbin/docker-init as Docker does
  echo "file /usr/bin/docker-init $W/deb/usr/bin/tini-static 0755 0 0"
  echo "file /sbin/tabdock-agent $W/tabdock-agent 0755 0 0"
  cp "$HERE/rootfs/init" "$HERE/rootfs/tabdock-init" "$W/"
  echo "file /init $W/init 0755 0 0"
  echo "file /sbin/tabdock-init $W/tabdock-init 0755 0 0"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$W/passwd"
  printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$W/group"
  echo "file /etc/passwd $W/passwd 0644 0 0"
  echo "file /etc/group $W/group 0644 0 0"
  # the dynamic loader, and crun's and nft's libraries by DT_NEEDED, transitively
  echo "file /lib/ld-linux.so.2 $W/deb/lib/i386-linux-gnu/ld-linux.so.2 0755 0 0"
  need=$(readelf -d "$W/deb/usr/bin/crun" "$W/deb/usr/sbin/nft" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
  seen=" "
  # libgcc_s is dlopen()ed by glibc for pthread_cancel, so it never shows in DT_NEEDED
  need="$need libgcc_s.so.1"
  while [ -n "$need" ]; do
    next=""
    for lib in $need; do
      case "$seen" in *" $lib "*) continue ;; esac
      seen="$seen$lib "
      if [ "$lib" = libsystemd.so.0 ]; then
        echo "file /lib/i386-linux-gnu/$lib $W/libsystemd.so.0 0755 0 0"
        continue
      fi
      f=""
      for dir in lib/i386-linux-gnu usr/lib/i386-linux-gnu; do
        [ -e "$W/deb/$dir/$lib" ] && f=$(readlink -f "$W/deb/$dir/$lib") && break
      done
      [ -n "$f" ] || { echo "library $lib not found in the packages" >&2; exit 1; }
      echo "file /lib/i386-linux-gnu/$lib $f 0755 0 0"
      next="$next $(readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')"
    done
    need=$next
  done
} >"$L"

# 4. Pack (newc, fixed mtime). Shipped uncompressed: v86 loads the initrd into guest
# memory directly, and unpacking zstd inside the emulated kernel costs ~260M guest
# instructions (about a second); git and HTTP compress the file in transit anyway.
# gen_init_cpio -t only stamps entries without a source file: stamp the files too.
find "$W" -path "$W/debs" -prune -o -exec touch -h -d "@$STAMP" {} +
"$W/gen_init_cpio" -t "$STAMP" "$L" >"$W/initramfs.cpio"
cp "$W/initramfs.cpio" "$OUT/initramfs.cpio"
echo "built $OUT/initramfs.cpio ($(stat -c %s "$OUT/initramfs.cpio") bytes; $(zstd -q -19 -c "$W/initramfs.cpio" | wc -c) with zstd -19)"
