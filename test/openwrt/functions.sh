# Stand-in for the package-script part of OpenWrt's /lib/functions.sh, as
# default_postinst and default_prerm do it on a running router (no
# IPKG_INSTROOT): postinst sources the package's postinst-pkg, runs its
# uci-defaults (each sourced in /etc/uci-defaults, deleted once it
# succeeds), then enables and starts its init scripts; prerm sources
# prerm-pkg, then disables and stops them.

# <package> <script-pkg> <first action> <second action>: the package's own
# script part, then both actions on each of its init scripts.
_package_scripts() {
	local info=/usr/lib/opkg/info i
	[ -f "$info/$1.$2" ] && (. "$info/$1.$2")
	[ "$2" = postinst-pkg ] && for i in $(sed -ne 's!^/etc/uci-defaults/!!p' "$info/$1.list"); do
		(cd /etc/uci-defaults && [ -f "$i" ] && . "./$i") && rm -f "/etc/uci-defaults/$i"
	done
	for i in $(grep -s "^/etc/init.d/" "$info/$1.list"); do
		"$i" "$3"
		"$i" "$4"
	done
	return 0
}

default_postinst() {
	_package_scripts "$(basename "${1%.*}")" postinst-pkg enable start
}

default_prerm() {
	_package_scripts "$(basename "${1%.*}")" prerm-pkg disable stop
}
