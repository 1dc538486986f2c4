# xenstored: GNU make fragment, included by the top-level Makefile and usable alone:
#   make -f dom0-lite/xenstored/xenstored.mk xenstored-test
# Targets: xenstored, xenstored-test, xenstored-bench, xenstored-fuzz.

BUILD ?= build
PYTHON ?= /usr/bin/python3
HOSTCC ?= gcc

XSD_SRC_DIR := dom0-lite/xenstored
XSD_OUT := $(BUILD)/host/xenstored
XSD_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -I$(XSD_SRC_DIR)
XSD_LIBS := -ltdb -lpthread
XSD_FUZZ_CC ?= clang-14
XSD_FUZZ_RUNS ?= 1000000
XSD_FUZZ_BRIEF_SECS ?= 20

XSD_CORE_SRCS := $(addprefix $(XSD_SRC_DIR)/,store.c core.c access.c ops.c domain.c watch.c \
	txn.c transport_ring.c)
XSD_CORE_OBJS := $(patsubst $(XSD_SRC_DIR)/%.c,$(XSD_OUT)/obj/%.o,$(XSD_CORE_SRCS))
XSD_HDRS := $(wildcard $(XSD_SRC_DIR)/*.h)
XSD_UNIT_SRCS := $(filter-out %/test_kvmem.c %/test_shim.c,$(wildcard tests/unit/xenstored/test_*.c))
XSD_UNIT_BINS := $(patsubst tests/unit/xenstored/%.c,$(XSD_OUT)/unit/%,$(XSD_UNIT_SRCS))
# The same core over kvmem.c instead of tdb (dom0-lite's store, docs/xenstored.md): every
# unit test runs against both, plus kvmem's own tests.
XSD_KV_OBJS := $(patsubst $(XSD_SRC_DIR)/%.c,$(XSD_OUT)/kvobj/%.o,$(XSD_CORE_SRCS) \
	$(XSD_SRC_DIR)/kvmem.c)
XSD_KV_UNIT_BINS := $(patsubst tests/unit/xenstored/%.c,$(XSD_OUT)/unit-kvmem/%,\
	$(filter-out %/test_shim.c,$(wildcard tests/unit/xenstored/test_*.c)))
# dom0-lite's libc shim, its heap renamed, on the host (the runtime's headers, Xen's).
XSD_SHIM_TEST := $(XSD_OUT)/unit-kvmem/test_shim

.PHONY: xenstored xenstored-test xenstored-unit xenstored-pytest xenstored-fuzz-brief \
	xenstored-bench xenstored-fuzz

xenstored: $(XSD_OUT)/xenstored $(XSD_OUT)/xsbench $(XSD_UNIT_BINS) $(XSD_KV_UNIT_BINS) \
	$(XSD_SHIM_TEST)

$(XSD_OUT)/obj/%.o: $(XSD_SRC_DIR)/%.c $(XSD_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(XSD_CFLAGS) -c -o $@ $<

$(XSD_OUT)/kvobj/%.o: $(XSD_SRC_DIR)/%.c $(XSD_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(XSD_CFLAGS) -DXSD_KVMEM -c -o $@ $<

$(XSD_OUT)/libxsd-kvmem.a: $(XSD_KV_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(XSD_OUT)/libxsd.a: $(XSD_CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(XSD_OUT)/xenstored: $(XSD_OUT)/obj/main.o $(XSD_OUT)/obj/transport_socket.o $(XSD_OUT)/libxsd.a
	$(HOSTCC) -o $@ $^ $(XSD_LIBS)

$(XSD_OUT)/xsbench: tests/bench/xenstored/xsbench.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(XSD_CFLAGS) -o $@ $< -lpthread

$(XSD_OUT)/unit/%: tests/unit/xenstored/%.c tests/unit/xenstored/helpers.h $(XSD_OUT)/libxsd.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(XSD_CFLAGS) -Wno-unused-parameter -o $@ $< $(XSD_OUT)/libxsd.a $(XSD_LIBS) -lcmocka

$(XSD_OUT)/unit-kvmem/%: tests/unit/xenstored/%.c tests/unit/xenstored/helpers.h \
	$(XSD_OUT)/libxsd-kvmem.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(XSD_CFLAGS) -DXSD_KVMEM -Wno-unused-parameter -o $@ $< \
		$(XSD_OUT)/libxsd-kvmem.a -lcmocka

$(XSD_SHIM_TEST): tests/unit/xenstored/test_shim.c $(XSD_SRC_DIR)/shim/shim.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -Wall -Wextra -Werror -O2 -g -fsanitize=address,undefined \
		-Ilib/domain/include -Ilib/common/include -I$(BUILD)/host/include -o $@ $< -lcmocka

xenstored-unit: $(XSD_UNIT_BINS) $(XSD_KV_UNIT_BINS) $(XSD_SHIM_TEST)
	@set -e; for t in $(XSD_UNIT_BINS) $(XSD_KV_UNIT_BINS) $(XSD_SHIM_TEST); do echo "== $$t"; timeout 120 $$t; done

xenstored-pytest: $(XSD_OUT)/xenstored
	XSD_BIN=$(abspath $(XSD_OUT)/xenstored) timeout 600 $(PYTHON) -m pytest -q tests/xenstored

# Fuzzing: the parser and dispatcher, in process, built with libFuzzer + ASan + UBSan.
XSD_FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I$(XSD_SRC_DIR)
XSD_FUZZ_DIR := $(XSD_OUT)/fuzz

$(XSD_FUZZ_DIR)/fuzz_xenstored: tests/fuzz/xenstored/fuzz_xenstored.c $(XSD_CORE_SRCS) $(XSD_HDRS)
	@mkdir -p $(dir $@)
	$(XSD_FUZZ_CC) $(XSD_FUZZ_FLAGS) -o $@ tests/fuzz/xenstored/fuzz_xenstored.c \
		$(XSD_CORE_SRCS) -ltdb

# The same over kvmem (dom0-lite's store).
$(XSD_FUZZ_DIR)/fuzz_xenstored_kvmem: tests/fuzz/xenstored/fuzz_xenstored.c $(XSD_CORE_SRCS) \
	$(XSD_SRC_DIR)/kvmem.c $(XSD_HDRS)
	@mkdir -p $(dir $@)
	$(XSD_FUZZ_CC) $(XSD_FUZZ_FLAGS) -DXSD_KVMEM -o $@ tests/fuzz/xenstored/fuzz_xenstored.c \
		$(XSD_CORE_SRCS) $(XSD_SRC_DIR)/kvmem.c

$(XSD_FUZZ_DIR)/seeds.stamp: tests/fuzz/xenstored/gen_seeds.py
	@mkdir -p $(XSD_FUZZ_DIR)/seeds
	$(PYTHON) $< $(XSD_FUZZ_DIR)/seeds
	touch $@

xenstored-fuzz-brief: $(XSD_FUZZ_DIR)/fuzz_xenstored $(XSD_FUZZ_DIR)/fuzz_xenstored_kvmem \
	$(XSD_FUZZ_DIR)/seeds.stamp
	@mkdir -p $(XSD_FUZZ_DIR)/corpus
	set -e; for f in fuzz_xenstored fuzz_xenstored_kvmem; do \
		timeout $$(( $(XSD_FUZZ_BRIEF_SECS) + 60 )) $(XSD_FUZZ_DIR)/$$f \
		-max_total_time=$(XSD_FUZZ_BRIEF_SECS) -max_len=8192 -print_final_stats=1 \
		-artifact_prefix=$(XSD_FUZZ_DIR)/ \
		$(XSD_FUZZ_DIR)/corpus $(XSD_FUZZ_DIR)/seeds; done

xenstored-fuzz: $(XSD_FUZZ_DIR)/fuzz_xenstored $(XSD_FUZZ_DIR)/seeds.stamp
	@mkdir -p $(XSD_FUZZ_DIR)/corpus
	timeout 3600 $(XSD_FUZZ_DIR)/fuzz_xenstored -runs=$(XSD_FUZZ_RUNS) -max_len=8192 \
		-print_final_stats=1 $(XSD_FUZZ_DIR)/corpus $(XSD_FUZZ_DIR)/seeds

xenstored-test: xenstored-unit xenstored-pytest xenstored-fuzz-brief

xenstored-bench: $(XSD_OUT)/xenstored $(XSD_OUT)/xsbench
	timeout 900 $(PYTHON) tests/bench/xenstored/run_bench.py --daemon $(XSD_OUT)/xenstored \
		--bench $(XSD_OUT)/xsbench
