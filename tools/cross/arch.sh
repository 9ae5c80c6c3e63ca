# The OpenWrt architectures tools/cross/build.sh builds, sourced by it, by
# tools/cross/conformance.sh and by test/cross.test.ts:
#   . tools/cross/arch.sh; target ARCH
# sets cross (the Debian cross prefix), flags (compiler flags), libc, endian,
# and qemu: the qemu-user command that runs the binary as the router's CPU
# (empty: runs natively). qemu's default CPU ("max") has every feature; the
# named models have only the real core's, so an instruction the router lacks
# fails here too (a 24Kc has no FPU: a hard-float instruction is SIGILL).
# aarch64_generic is any ARMv8.0-A core: the Cortex-A53 is the plainest.

ALL="aarch64_cortex-a53 aarch64_generic arm_cortex-a7_neon-vfpv4 arm_cortex-a9_vfpv3-d16 mipsel_24kc mips_24kc x86_64"

target() {
	libc=glibc endian=little
	case "$1" in
	aarch64_cortex-a53) cross=aarch64-linux-gnu- flags="-mcpu=cortex-a53" qemu="qemu-aarch64-static -cpu cortex-a53" ;;
	aarch64_generic) cross=aarch64-linux-gnu- flags="-march=armv8-a -mtune=generic" qemu="qemu-aarch64-static -cpu cortex-a53" ;;
	# hard-float (armhf), as OpenWrt's arm_*_vfp*/neon* targets are
	arm_cortex-a7_neon-vfpv4) cross=arm-linux-gnueabihf- flags="-mcpu=cortex-a7 -mfpu=neon-vfpv4 -mfloat-abi=hard" qemu="qemu-arm-static -cpu cortex-a7" ;;
	arm_cortex-a9_vfpv3-d16) cross=arm-linux-gnueabihf- flags="-mcpu=cortex-a9 -mfpu=vfpv3-d16 -mfloat-abi=hard" qemu="qemu-arm-static -cpu cortex-a9" ;;
	# soft-float, musl: see tools/cross/build.sh
	mipsel_24kc) cross=mipsel-linux-gnu- flags="-march=24kc -msoft-float" qemu="qemu-mipsel-static -cpu 24Kc" libc=musl ;;
	mips_24kc) cross=mips-linux-gnu- flags="-march=24kc -msoft-float" qemu="qemu-mips-static -cpu 24Kc" libc=musl endian=big ;;
	x86_64) cross="" flags="" qemu="" ;;
	*) echo "unknown architecture '$1' (known: $ALL)" >&2; return 2 ;;
	esac
}
