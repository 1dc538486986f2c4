# System-test images for one ARCH, built by `make images` (see the top-level Makefile).
# The boot shim lets a test hand the hypervisor a device tree of its choosing; its
# addresses must match toolstack/bhqemu.py (shim at RAM + 112 MiB, DTB at RAM + 128 MiB).
# -N: one segment starting at the entry, because QEMU 7.2's riscv loader enters an ELF at
# its lowest load address rather than at e_entry.
SHIM_ADDR := $(shell printf '0x%x' $$(( $(RAM_BASE) + 0x7000000 )))
SHIM_DTB_ADDR := $(shell printf '0x%x' $$(( $(RAM_BASE) + 0x8000000 )))

$(O)/test/dtshim.elf: tests/system/dtshim/$(ARCH).S $(BOARD_CONF)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-N -Wl,--no-warn-rwx-segments \
		-Wl,-Ttext=$(SHIM_ADDR) \
		-DDTB_ADDR=$(SHIM_DTB_ADDR) -DHYP_ADDR=$(LOAD_ADDR) $< -o $@

.PHONY: test-images
test-images: $(O)/test/dtshim.elf
