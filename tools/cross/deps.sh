#!/bin/sh
# Installs the Debian packages that tools/cross/build.sh needs for the given
# OpenWrt architectures (and qemu-user-static, which test/cross.test.ts calls
# as qemu-<cpu>-static; no binfmt registration is needed or done). Only the
# missing ones, only as root on an apt system; otherwise it names them.
#   sh tools/cross/deps.sh ARCH...
set -eu
pkgs="patch"  # build.sh applies openwrt/quickjs/patches
for arch in "$@"; do
	case "$arch" in
	aarch64_*) pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static" ;;
	arm_*) pkgs="$pkgs gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user-static" ;;
	# MIPS: soft-float musl sysroot (build.sh): gcc-12-source for libgcc's soft-fp,
	# musl's source comes by apt-get source (no glibc: libc6-dev-mips*-cross unneeded)
	mipsel_*) pkgs="$pkgs gcc-mipsel-linux-gnu gcc-12-source qemu-user-static" ;;
	mips_*) pkgs="$pkgs gcc-mips-linux-gnu gcc-12-source qemu-user-static" ;;
	x86_64) pkgs="$pkgs gcc libc6-dev" ;;
	*) echo "deps.sh: unknown architecture '$arch'" >&2; exit 2 ;;
	esac
done
missing=""
for p in $pkgs; do
	case " $missing " in *" $p "*) continue ;; esac
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing:$missing"
	# libc6-dev-*-cross are only Recommends of the cross gcc packages, hence named.
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "please install (as root):$missing" >&2
	exit 1
fi
