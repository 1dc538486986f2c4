# Toolstack tests (host only, pytest): the xl.cfg parser, guest and host device-tree
# generation, and bh-boot end to end on QEMU (needs build/<arch>/bulkhead.bin; those
# tests are skipped when an image is missing).
#
#   make toolstack-test
#   make boot GUESTS="configs/guests/a.cfg configs/guests/b.cfg" [ARCH=riscv64]

.PHONY: toolstack-test boot
toolstack-test:
	timeout 900 $(PYTHON) -m pytest -q tests/toolstack

# Boot the hypervisor with boot-time guests (see docs/bh-boot.md).
boot:
	$(Q)$(MAKE) --no-print-directory ARCH=$(ARCH) all
	$(PYTHON) toolstack/bh-boot --arch $(ARCH) --image $(O)/bulkhead.bin $(GUESTS)
