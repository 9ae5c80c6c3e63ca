# Stand-in for the OpenWrt SDK's include/package.mk, for test/sdk.test.ts:
# BuildPackage runs a package's install define into $(OUT)/<pkg>/root, as
# include/package-pack.mk runs $(call Package/<pkg>/install,$(IDIR_<pkg>))
# in a recipe (each line of the define a line of the recipe, run by the
# shell), and writes the package's define and its postinst and prerm
# defines as package-pack.mk passes them on (VAR_postinst). Left out: the
# build steps, control files, archives, dependencies, Kconfig.
define BuildPackage
all: $(OUT)/$(1)
$(OUT)/$(1)/root:
	mkdir -p $$@
	$$(call Package/$(1)/install,$$@)
$(OUT)/$(1): $(OUT)/$(1)/root
	$$(file >$$@/info,$$(Package/$(1)))
	$$(file >$$@/postinst,$$(Package/$(1)/postinst))
	$$(file >$$@/prerm,$$(Package/$(1)/prerm))
endef
