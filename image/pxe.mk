# image/pxe.mk: the PXE config archive (docs/pxe.md), a second initrd that
# carries a farm's settings to stateless hosts:
#   make pxe-config CONF=wafer.conf TRUST="ca.pem other-ca.pem|folder"
# writes $(PXE_DIR)/config.img (/etc/wafer/wafer.conf, /etc/wafer/trust/*.pem)
# and $(PXE_DIR)/boot-config.ipxe (boot.ipxe that also loads config.img).
CONF  ?=
TRUST ?=

pxe-config: $(PXE_DIR)/.stamp
	@[ -n "$(CONF)" ] || { echo "usage: make pxe-config CONF=wafer.conf [TRUST='ca.pem ...|folder']" >&2; exit 1; }
	$(Q)image/mk-pxe-config $(PXE_DIR) $(CONF) $(PXE_DIR)/boot.ipxe $(TRUST)
.PHONY: pxe-config
