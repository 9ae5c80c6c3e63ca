# Stand-in for the OpenWrt SDK's rules.mk, as far as our feed Makefiles use
# it: the include directory and the install commands, as
# openwrt/openwrt rules.mk defines them (INSTALL_BIN, INSTALL_DIR,
# INSTALL_DATA, INSTALL_CONF). Left out: everything else.
INCLUDE_DIR:=$(TOPDIR)/include
INSTALL_BIN:=install -m0755
INSTALL_DIR:=install -d -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
