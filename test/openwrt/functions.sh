# Stand-in for the package-script part of OpenWrt's /lib/functions.sh, as
# default_postinst and default_prerm do it on a running router (no
# IPKG_INSTROOT). postinst: the package's uci-defaults (each sourced in
# /etc/uci-defaults, deleted once it succeeds), `uci commit`, its
# postinst-pkg, then enable and start its init scripts. prerm: its
# prerm-pkg, then disable and stop them. Each returns the status of the
# package's own script part, which opkg acts on (a failing prerm stops the
# removal).

# <package> <script-pkg> <first action> <second action>
_package_scripts() {
	local info=/usr/lib/opkg/info ret=0 i
	if [ "$2" = postinst-pkg ]; then
		for i in $(sed -ne 's!^/etc/uci-defaults/!!p' "$info/$1.list"); do
			(cd /etc/uci-defaults && [ -f "$i" ] && . "./$i") && rm -f "/etc/uci-defaults/$i"
		done
		uci commit
	fi
	if [ -f "$info/$1.$2" ]; then
		(. "$info/$1.$2")
		ret=$?
	fi
	for i in $(grep -s "^/etc/init.d/" "$info/$1.list"); do
		"$i" "$3"
		"$i" "$4"
	done
	return $ret
}

default_postinst() {
	_package_scripts "$(basename "${1%.*}")" postinst-pkg enable start
}

default_prerm() {
	_package_scripts "$(basename "${1%.*}")" prerm-pkg disable stop
}
