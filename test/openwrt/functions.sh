# Stand-in for the package-script part of OpenWrt's /lib/functions.sh:
# default_postinst and default_prerm as they run on a router (no
# IPKG_INSTROOT). It mirrors
#   openwrt/openwrt package/base-files/files/lib/functions.sh
#     (01fa063ae9440273c6701708623a1928bb3ff657)
# postinst: when the package lists files in /etc/uci-defaults, each is
# sourced in a subshell from its directory and deleted if that succeeded,
# then `uci commit`; then the package's postinst-pkg in a subshell, whose
# status is returned; then each of its init scripts is enabled (not on an
# upgrade, PKG_UPGRADE=1) and started. prerm: the package's prerm-pkg in a
# subshell (its status is returned: opkg refuses the removal on failure),
# then each init script is disabled (not on an upgrade) and stopped.
# Earlier releases ran postinst-pkg first, before the uci-defaults scripts
# (the same file before postinst-pkg was moved after them, as in the
# opkg-era release branches): DEFAULT_POSTINST_ORDER=postinst-first runs
# that order.
# Under apk (package-pack.mk's scripts export pkgname and pass no
# arguments) the file list is /lib/apk/packages/<pkg>.list, unless opkg's
# exists; add_group_and_user is played only for packages that require no
# user (Require-User / <pkg>.rusers empty), as ours.
# Left out: creating users and groups, alternatives, rootfs-overlay,
# kmodloader for /etc/modules.d, the sysctl restart for /etc/sysctl.d, the
# LuCI index cache, the offline root (IPKG_INSTROOT: enable through
# rc.common only), and every other function of the file (config_load,
# config_get, ...).

_postinst_pkg() {
	if [ -f "/usr/lib/opkg/info/${pkgname}.postinst-pkg" ]; then
		( . "/usr/lib/opkg/info/${pkgname}.postinst-pkg" )
		ret=$?
	fi
}

add_group_and_user() {
	[ -z "$pkgname" ] && local pkgname="$(basename ${1%.*})"
	local rusers="$(sed -ne 's/^Require-User: *//p' /usr/lib/opkg/info/${pkgname}.control 2>/dev/null)"
	if [ -f "/lib/apk/packages/${pkgname}.rusers" ]; then
		local rusers="$(cat /lib/apk/packages/${pkgname}.rusers)"
	fi
	[ -z "$rusers" ] || { echo "functions.sh stand-in: Require-User '$rusers' is not played" >&2; return 1; }
}

default_postinst() {
	[ -z "$pkgname" ] && local pkgname="$(basename ${1%.*})"
	local filelist="/usr/lib/opkg/info/${pkgname}.list"
	[ -f "/lib/apk/packages/${pkgname}.list" ] && filelist="/lib/apk/packages/${pkgname}.list"
	local ret=0 i

	if [ -e "/usr/lib/opkg/info/${pkgname}.list" ]; then
		filelist="/usr/lib/opkg/info/${pkgname}.list"
	fi

	[ "$DEFAULT_POSTINST_ORDER" = postinst-first ] && _postinst_pkg

	if grep -m1 -q -s "^/etc/uci-defaults/" "$filelist"; then
		[ -d /tmp/.uci ] || mkdir -p /tmp/.uci
		for i in $(grep -s "^/etc/uci-defaults/" "$filelist"); do
			( [ -f "$i" ] && cd "$(dirname $i)" && . "$i" ) && rm -f "$i"
		done
		uci commit
	fi

	[ "$DEFAULT_POSTINST_ORDER" = postinst-first ] || _postinst_pkg

	for i in $(grep -s "^/etc/init.d/" "$filelist"); do
		if [ "$PKG_UPGRADE" != "1" ]; then
			"$i" enable
		fi
		"$i" start
	done

	return $ret
}

default_prerm() {
	[ -z "$pkgname" ] && local pkgname="$(basename ${1%.*})"
	local filelist="/usr/lib/opkg/info/${pkgname}.list"
	[ -f "/lib/apk/packages/${pkgname}.list" ] && filelist="/lib/apk/packages/${pkgname}.list"
	local ret=0 i

	if [ -f "/usr/lib/opkg/info/${pkgname}.prerm-pkg" ]; then
		( . "/usr/lib/opkg/info/${pkgname}.prerm-pkg" )
		ret=$?
	fi

	for i in $(grep -s "^/etc/init.d/" "$filelist"); do
		if [ "$PKG_UPGRADE" != "1" ]; then
			"$i" disable
		fi
		"$i" stop
	done

	return $ret
}
