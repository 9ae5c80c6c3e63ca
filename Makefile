# vpn-passthrough: `make` installs what the build and tests need and builds;
# `make test` runs every test. See README.md.

# The lab's charon loads random, nonce, kdf, kernel-netlink (libstrongswan),
# openssl (libstrongswan-standard-plugins), kernel-libipsec
# (libcharon-extra-plugins), socket-default (strongswan-libcharon) and vici
# (strongswan-swanctl); the lab and package tests also run sysctl (procps),
# modprobe (kmod), unshare, setpriv and mount (util-linux, mount); make
# bench runs iperf3.
DEBIAN_PACKAGES := nftables conntrack iproute2 python3 make gcc libc6-dev \
	python3-scapy strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins \
	libstrongswan-standard-plugins iputils-ping time procps kmod util-linux mount \
	chromium gettext iperf3
SOURCES := $(shell find src -name '*.ts') tools/build.mjs package.json
VERSION := $(shell sed -n 's/^PKG_VERSION:=//p' openwrt/vpn-passthrough/Makefile)-$(shell sed -n 's/^PKG_RELEASE:=//p' openwrt/vpn-passthrough/Makefile)
LUCI_VIEW := dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js
# The translations: the languages the LuCI app's feed Makefile packages, each
# under LuCI's code for it (its LANG_ALIAS, as luci.mk's LUCI_LC_ALIAS: zh_Hans is zh-cn).
LUCI_MK := openwrt/luci-app-vpn-passthrough/Makefile
LANGUAGES := $(shell sed -n 's/^LANGUAGES:=//p' $(LUCI_MK))
lang_code = $(or $(shell sed -n 's/^LANG_ALIAS\.$(1):=//p' $(LUCI_MK)),$(1))
LMOS := $(foreach l,$(LANGUAGES),dist/luci/i18n/vpn-passthrough.$(call lang_code,$(l)).lmo)
PKGS := vpn-passthrough luci-app-vpn-passthrough $(foreach l,$(LANGUAGES),luci-i18n-vpn-passthrough-$(call lang_code,$(l)))
IPKS := $(foreach p,$(PKGS),dist/$(p)_$(VERSION)_all.ipk)
# apk versions: $(PKG_VERSION)-r$(PKG_RELEASE)
APKS := $(foreach p,$(PKGS),dist/$(p)-$(subst -,-r,$(VERSION)).apk)

.PHONY: all deps test typecheck bench lab pot cross clean

all: deps node_modules/.installed build/qjs dist/vpn-passthrough.js $(LUCI_VIEW) $(LMOS) $(IPKS) $(APKS)
	@echo "packages:"; for f in $(IPKS) $(APKS); do echo "  $$f"; done

# Debian packages for building QuickJS and for the tests (nft, netns, the
# lab's VPN peers, chromium for the LuCI page); installed only where
# missing, and only as root on an apt system.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else echo "please install:$$missing"; fi; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

build/qjs: tools/qjs.sh
	@mkdir -p build
	sh tools/qjs.sh

dist/vpn-passthrough.js: $(SOURCES) node_modules/.installed
	node tools/build.mjs

# The LuCI view (luci/README.md); it imports types from src/.
$(LUCI_VIEW): $(shell find luci/src luci/types -name '*.ts') luci/build.mjs $(SOURCES) node_modules/.installed
	node luci/build.mjs

# Rewrites the LuCI po template from the view's _() strings, then merges it
# into each language's .po as LuCI's build/i18n-update.pl does (msgmerge:
# new msgids untranslated, no fuzzy guesses, gone ones kept as #~).
pot: node_modules/.installed
	node luci/build.mjs --pot
	for po in luci/po/*/vpn-passthrough.po; do msgmerge -U -N --no-wrap --backup=none -q $$po luci/po/templates/vpn-passthrough.pot; done

# A language's catalog, compiled as LuCI's po2lmo compiles it (tools/lmo.mjs).
define lmo_rule
dist/luci/i18n/vpn-passthrough.$(call lang_code,$(1)).lmo: luci/po/$(1)/vpn-passthrough.po tools/lmo.mjs
	@mkdir -p dist/luci/i18n
	node tools/lmo.mjs $$< $$@
endef
$(foreach l,$(LANGUAGES),$(eval $(call lmo_rule,$(l))))

# .ipk files without the OpenWrt SDK, from what the feed Makefiles install
# (one run writes them all: a grouped target).
$(IPKS) &: dist/vpn-passthrough.js $(LUCI_VIEW) $(LMOS) tools/ipk.mjs tools/packages.mjs $(shell find files luci/root openwrt -type f)
	node tools/ipk.mjs >/dev/null

# .apk files (APK v3, OpenWrt 25.12 and later) from the same Makefiles,
# without the SDK or apk-tools; each is read back and checked once written.
# mtimes: SOURCE_DATE_EPOCH, else the last commit's time.
$(APKS) &: dist/vpn-passthrough.js $(LUCI_VIEW) $(LMOS) tools/apk.mjs tools/apk-adb.mjs tools/apk-mkpkg.mjs tools/apk-read.mjs tools/packages.mjs $(shell find files luci/root openwrt -type f)
	node tools/apk.mjs >/dev/null

# dist/feed/: every package as .ipk and .apk with opkg's Packages(.gz) and
# apk's packages.adb, for /etc/opkg/customfeeds.conf and
# /etc/apk/repositories.d/customfeeds.list. Signed with KEY_APK (RSA or
# ECDSA PEM) and KEY_USIGN (usign secret key) when given; new keys:
# node tools/feed.mjs keys DIR.
.PHONY: feed
feed: all
	KEY_APK="$(KEY_APK)" KEY_USIGN="$(KEY_USIGN)" node tools/feed.mjs dist/feed

typecheck: node_modules/.installed
	npx tsc --noEmit -p .
	npx tsc --noEmit -p test
	npx tsc --noEmit -p luci

test: all typecheck
	npx tap

# bench/dataplane.ts builds the lab (lab/topology.ts): bundled like make lab.
bench: all
	node bench/apply.mjs
	node bench/sessions.mjs
	npx esbuild bench/dataplane.ts --bundle --platform=node --format=esm --log-level=warning --outfile=build/dataplane.mjs
	node build/dataplane.mjs

# The lab as a demo (root): two clients bring up PPTP and IPsec through the
# router, sessions and status are shown, IPsec is blocked and allowed again.
lab: all
	npx esbuild lab/demo.ts --bundle --platform=node --format=esm --log-level=warning --outfile=build/lab.mjs
	node build/lab.mjs

# Fuzzing (root): 10,000 inputs per interface (config file, CLI set, rpcd
# call) judged by the reference in fuzz/, odd config paths, linear time;
# prints the figures, writes failing inputs to build/fuzz/<seed>/. FUZZ_SEED,
# FUZZ_COUNT, FUZZ_JOBS, FUZZ_ONLY, FUZZ_REPLAY=cli:123 (fuzz/README.md).
.PHONY: fuzz
fuzz: all
	npx esbuild fuzz/main.ts --bundle --platform=node --format=esm --log-level=warning --outfile=build/fuzz.mjs
	node build/fuzz.mjs

# Static qjs per OpenWrt architecture for releases without a quickjs
# package (tools/cross/build.sh, Debian cross compilers, tested under
# qemu-user), packaged as dist/quickjs_<version>_<arch>.ipk. Not part of
# `make`: e.g. make cross ARCHES=mipsel_24kc (default: all).
ARCHES ?= all
cross: all
	sh tools/cross/build.sh $(ARCHES)
	node tools/ipk.mjs --quickjs $$(cd build/cross && ls */qjs | cut -d/ -f1)

clean:
	rm -rf dist build .tap
