#!/bin/sh
# Cross-builds a static `qjs` (QuickJS 2021-03-27, the same source as
# tools/qjs.sh) for OpenWrt architectures with Debian's cross compilers:
#   sh tools/cross/build.sh ARCH...   ->  build/cross/<ARCH>/qjs
# ARCH: aarch64_cortex-a53 aarch64_generic arm_cortex-a7_neon-vfpv4
#       arm_cortex-a9_vfpv3-d16 mipsel_24kc mips_24kc x86_64, or "all".
# Cached: an arch built from this script, tools/cross/arch.sh and the
# patches as they are now is skipped.
#
# OpenWrt's own userland is musl; these are linked statically against
# Debian's glibc, so the router's libc does not matter for running them
# (nothing is loaded at run time). What static glibc gives up: quickjs-libc's
# native modules (.so via dlopen) cannot be loaded; the bundle uses none.
#
# MIPS: OpenWrt's 24kc targets (ath79, ramips) are soft-float, and their
# kernels are built without the MIPS FPU emulator (OpenWrt's
# KERNEL_MIPS_FP_SUPPORT defaults to y for pistachio only), so a hard-float
# binary dies with SIGILL at its first FPU instruction on a 24Kc. Debian's
# mips(el)-linux-gnu toolchains and glibc are hard-float o32 only (no
# soft-float multilib). So for MIPS this script builds a soft-float sysroot
# first: musl from Debian's musl source package (OpenWrt's libc too) and
# libgcc's soft-fp routines (__adddf3...) from Debian's gcc-N-source; the
# compiler is still Debian's cross gcc, with -msoft-float.
#
# What upstream's 2021-03-27 source gets wrong on these targets, and what
# this script does about it (the patches are openwrt/quickjs/patches/, which
# the OpenWrt package applies too):
# - big-endian MIPS (mips_24kc): upstream never defines WORDS_BIGENDIAN, so
#   DataView used the wrong byte order; 010-big-endian.patch sets it from
#   the compiler. The REPL's and qjscalc's bytecode, compiled into qjs by
#   qjsc, must then be in the target's byte order: the host qjsc writes it
#   byte-swapped (its -x) for big-endian targets.
# - soft-float musl has no FE_UPWARD/FE_DOWNWARD, which upstream's
#   toFixed/toPrecision/toExponential use to round exact ties away from zero
#   (ECMAScript's rule); 020-number-ties-without-rounding-modes.patch finds
#   and rounds the ties from the value itself, on every architecture.
# - 32-bit glibc (ARM): 32-bit time_t and off_t unless asked, so os.stat
#   failed on files dated after 2038 or over 2 GiB: built with
#   _TIME_BITS=64 and _FILE_OFFSET_BITS=64 (musl has both always).
#
# Each new binary must then answer as the host's build/qjs does, run under
# qemu-user as the router's CPU: tools/cross/conformance.sh (number
# formatting, DataView, typed arrays, Date and files past 2038 and 2 GiB,
# the REPL, qjscalc, the bundle's self-check). One that does not is not
# installed in build/cross/ARCH, so not packaged.
set -eu

root=$(pwd)
script="$root/tools/cross/build.sh"
[ -f "$script" ] || { echo "build.sh: run from the repository root" >&2; exit 2; }
# ALL, and target ARCH: cross prefix, flags, libc, endian, qemu
. "$root/tools/cross/arch.sh"
[ "$#" -gt 0 ] || { echo "usage: sh tools/cross/build.sh ARCH... | all ($ALL)" >&2; exit 2; }
[ "$*" = all ] && set -- $ALL

# what a binary is made from (its build/cross/ARCH/inputs)
inputs=$(cat "$script" tools/cross/arch.sh openwrt/quickjs/patches/*.patch | sha256sum | cut -d' ' -f1)
todo=""
for arch in "$@"; do
	target "$arch" || exit 2
	out="build/cross/$arch/qjs"
	# rebuilt when this script, the arch table or a patch changed
	if [ -x "$out" ] && [ "$(cat "build/cross/$arch/inputs" 2>/dev/null)" = "$inputs" ]; then
		echo "$out: up to date"
	else
		todo="$todo $arch"
	fi
done
[ -n "$todo" ] || exit 0

sh tools/cross/deps.sh $todo

# The source: the qjsc npm tarball that tools/qjs.sh pins (version and
# sha256 read from it, so the pin lives in one place), extracted afresh into
# build/cross/src (tools/qjs.sh removes and rebuilds build/qjsc-src).
QJSC_VERSION=$(sed -n 's/^QJSC_VERSION=//p' tools/qjs.sh)
QJSC_SHA256=$(sed -n 's/^QJSC_SHA256=//p' tools/qjs.sh)
[ -n "$QJSC_VERSION" ] && [ -n "$QJSC_SHA256" ] || { echo "build.sh: no pin in tools/qjs.sh" >&2; exit 1; }
src=build/cross/src/package/deps/quickjs_2021_03_27
gen=build/cross/src/gen
if [ ! -f "$gen/qjscalc-be.c" ] || [ "$(cat "$gen/inputs" 2>/dev/null)" != "$inputs" ]; then
	rm -rf build/cross/src && mkdir -p build/cross/src
	tarball="build/cross/src/qjsc-$QJSC_VERSION.tgz"
	if [ -f "build/qjsc-src/qjsc-$QJSC_VERSION.tgz" ]; then
		cp "build/qjsc-src/qjsc-$QJSC_VERSION.tgz" "$tarball"
	else
		(cd build/cross/src && npm pack --silent "qjsc@$QJSC_VERSION" >/dev/null 2>&1)
	fi
	echo "$QJSC_SHA256  $tarball" | sha256sum -c --quiet
	tar -xzf "$tarball" -C build/cross/src package/deps/quickjs_2021_03_27
	# the OpenWrt package's patches (see the top)
	for p in openwrt/quickjs/patches/*.patch; do
		patch -s -p1 -d "$src" <"$p"
	done
	# repl.c and qjscalc.c: upstream's qjsc commands, run by qjsc built
	# for the host (-O0: it only compiles two scripts, once), in both byte
	# orders (-x: byte-swapped, for big-endian targets)
	echo "building the host qjsc and generating repl.c, qjscalc.c in both byte orders..."
	start=$(date +%s)
	hobj=build/cross/src/host
	mkdir -p "$hobj" "$gen"
	pids=""
	for f in quickjs libregexp libunicode cutils quickjs-libc libbf qjsc; do
		gcc -O0 -w -D_GNU_SOURCE -DCONFIG_VERSION="\"$(cat "$src/VERSION")\"" -DCONFIG_BIGNUM \
			-DCONFIG_CC=\"gcc\" -DCONFIG_PREFIX=\"/usr/local\" -c "$src/$f.c" -o "$hobj/$f.o" >"$hobj/$f.log" 2>&1 &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait "$p" || failed=1; done
	[ "$failed" = 0 ] || { cat "$hobj"/*.log | tail -20; exit 1; }
	gcc -o "$hobj/qjsc" "$hobj"/*.o -lm -ldl -lpthread
	(cd "$src" && for order in le be; do
		x=""
		[ "$order" = be ] && x=-x
		"$root/$hobj/qjsc" $x -c -o "$root/$gen/repl-$order.c" -m repl.js &&
			"$root/$hobj/qjsc" $x -fbignum -c -o "$root/$gen/qjscalc-$order.c" qjscalc.js || exit 1
	done)
	echo "$inputs" >"$gen/inputs"
	echo "host qjsc: $(($(date +%s) - start)) s"
fi
version=$(cat "$src/VERSION")

# The soft-float sysroot for MIPS (see the top): musl and libgcc's soft-fp,
# built with the cross gcc and the arch's flags into build/cross/sysroot/ARCH.
softfloat_sysroot() {
	sysroot="$root/build/cross/sysroot/$1"
	[ -f "$sysroot/lib/libc.a" ] && [ -f "$sysroot/lib/libsoftfp.a" ] && return 0
	echo "building the soft-float sysroot for $1 (musl, soft-fp; about 2 minutes)..."
	t0=$(date +%s)
	rm -rf "$sysroot" && mkdir -p "$sysroot/lib"
	slog="$sysroot/build.log"
	# musl: Debian's source package, fetched with apt-get (signature-checked
	# through the archive's Release file) using a deb-src list of our own, so
	# the system's apt configuration is left alone.
	msrc=$(ls -d "$root"/build/cross/musl/musl-*/ 2>/dev/null | head -1)
	if [ -z "$msrc" ]; then
		apt="$root/build/cross/musl/apt"
		rm -rf "$root/build/cross/musl" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
		uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
		[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
		[ -n "$uri" ] || uri=http://deb.debian.org/debian
		suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$apt/sources.list"
		o="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=$apt/none -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache -o APT::Sandbox::User=root"
		# shellcheck disable=SC2086
		apt-get $o -qq update >>"$slog" 2>&1 && (cd "$apt/dl" && apt-get $o -qq source --download-only musl) >>"$slog" 2>&1 ||
			{ tail -20 "$slog"; echo "build.sh: could not fetch Debian's musl source" >&2; exit 1; }
		tar -xzf "$apt"/dl/musl_*.orig.tar.gz -C "$root/build/cross/musl"
		msrc=$(ls -d "$root"/build/cross/musl/musl-*/ | head -1)
	fi
	mkdir -p "$sysroot/musl-build"
	(cd "$sysroot/musl-build" && "${msrc}configure" --target="${cross%-}" CC="${cross}gcc $flags" CFLAGS=-O2 \
		CROSS_COMPILE="$cross" --disable-shared --prefix="$sysroot" --syslibdir="$sysroot/lib" >>"$slog" 2>&1 &&
		make -j"$(nproc)" >>"$slog" 2>&1 && make install >>"$slog" 2>&1) || { tail -20 "$slog"; exit 1; }
	grep -q '^SUBARCH = .*sf' "$sysroot/musl-build/config.mak" || { echo "build.sh: musl is not soft-float" >&2; exit 1; }
	rm -rf "$sysroot/musl-build"
	# libgcc's soft-fp (single and double precision, with 32/64-bit integer
	# conversions: what libgcc's t-softfp builds for a soft-float MIPS)
	gv=$("${cross}gcc" -dumpversion)
	gtar=$(ls /usr/src/gcc-"$gv"/gcc-*.tar.* 2>/dev/null | head -1)
	[ -n "$gtar" ] || { echo "build.sh: no /usr/src/gcc-$gv (package gcc-$gv-source)" >&2; exit 1; }
	gsrc="$root/build/cross/gcc-$gv"
	if [ ! -d "$gsrc/libgcc/soft-fp" ]; then
		rm -rf "$gsrc" && mkdir -p "$gsrc"
		tar -xf "$gtar" -C "$gsrc" --strip-components=1 --wildcards '*/libgcc/soft-fp/*' '*/libgcc/config/mips/*' '*/include/longlong.h'
	fi
	sfp="$sysroot/soft-fp"
	mkdir -p "$sfp"
	funcs="extendsfdf2 truncdfsf2"
	for m in sf df; do
		for f in add sub mul div; do funcs="$funcs $f${m}3"; done
		for f in neg eq ge le unord; do funcs="$funcs $f${m}2"; done
		for i in si di; do funcs="$funcs fix$m$i fixuns$m$i float$i$m floatun$i$m"; done
	done
	for n in $funcs; do
		# shellcheck disable=SC2086
		"${cross}gcc" $flags -O2 -fno-builtin -I"$gsrc/libgcc/soft-fp" -I"$gsrc/libgcc/config/mips" -I"$gsrc/include" \
			-c "$gsrc/libgcc/soft-fp/$n.c" -o "$sfp/$n.o" >>"$slog" 2>&1 || { tail -20 "$slog"; exit 1; }
	done
	"${cross}ar" rcs "$sysroot/lib/libsoftfp.a" "$sfp"/*.o
	rm -rf "$sfp"
	echo "sysroot $1: $(($(date +%s) - t0)) s"
}

# Upstream's qjs: quickjs libregexp libunicode cutils quickjs-libc libbf
# (CONFIG_BIGNUM) + qjs repl qjscalc; upstream's defines and warnings.
# repl and qjscalc: build/cross/src/gen, in the target's byte order.
# _TIME_BITS, _FILE_OFFSET_BITS: 64-bit time_t and off_t with 32-bit glibc.
SOURCES="quickjs libregexp libunicode cutils quickjs-libc libbf qjs repl qjscalc"
CFLAGS="-O2 -Wall -Wno-array-bounds -Wno-format-truncation -D_GNU_SOURCE -DCONFIG_VERSION=\"$version\" -DCONFIG_BIGNUM"
CFLAGS="$CFLAGS -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"

for arch in $todo; do
	target "$arch"
	cc="${cross}gcc"
	command -v "$cc" >/dev/null || { echo "build.sh: $cc not found" >&2; exit 1; }
	start=$(date +%s)
	[ "$libc" = musl ] && softfloat_sysroot "$arch"
	order=le
	[ "$endian" = big ] && order=be
	obj="build/cross/obj/$arch"
	rm -rf "$obj" && mkdir -p "$obj" "build/cross/$arch"
	log="$obj/build.log"
	: >"$log"
	echo "building $arch ($cc $flags, static $libc)..."
	inc=""
	[ "$libc" = musl ] && inc="-nostdinc -isystem $sysroot/include -isystem $("$cc" -print-file-name=include)"
	pids=""
	for f in $SOURCES; do
		c="$src/$f.c"
		case "$f" in repl | qjscalc) c="$gen/$f-$order.c" ;; esac
		# shellcheck disable=SC2086
		$cc $flags $CFLAGS $inc -c "$c" -o "$obj/$f.o" >"$obj/$f.log" 2>&1 &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait "$p" || failed=1; done
	for f in $SOURCES; do cat "$obj/$f.log" >>"$log"; done
	[ "$failed" = 0 ] || { tail -30 "$log"; exit 1; }
	objs=""
	for f in $SOURCES; do objs="$objs $obj/$f.o"; done
	# -latomic: 32-bit ARM/MIPS lack some 8-byte atomics (Atomics on
	# BigInt64Array). With musl: libgcc's and libatomic's integer helpers are
	# tagged hard-float by Debian's build but use no FPU (ld warns, logged).
	if [ "$libc" = musl ]; then
		# shellcheck disable=SC2086
		$cc $flags -static -nostdlib -o "$obj/qjs" "$sysroot/lib/crt1.o" "$sysroot/lib/crti.o" $objs \
			"$sysroot/lib/libc.a" "$sysroot/lib/libsoftfp.a" "$("$cc" -print-file-name=libatomic.a)" \
			"$("$cc" -print-libgcc-file-name)" "$sysroot/lib/libc.a" "$sysroot/lib/crtn.o" >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
	else
		# shellcheck disable=SC2086
		$cc $flags -static -o "$obj/qjs" $objs -lm -ldl -lpthread -latomic >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
	fi
	"${cross}strip" "$obj/qjs"
	# the host's answers, under qemu as the router's CPU (see the top)
	echo "checking $arch against build/qjs${qemu:+ under $qemu}..."
	if ! sh tools/cross/conformance.sh "$arch" "$obj/qjs"; then
		rm -f "build/cross/$arch/qjs" "build/cross/$arch/inputs"
		echo "build.sh: $obj/qjs is wrong, not installed" >&2
		exit 1
	fi
	mv "$obj/qjs" "build/cross/$arch/qjs"
	echo "$inputs" >"build/cross/$arch/inputs"
	echo "build/cross/$arch/qjs: QuickJS $version, $(wc -c <"build/cross/$arch/qjs") bytes, $(($(date +%s) - start)) s"
done
