# The host `bh --connect unix:PATH <command> [args]` (toolstack/bh/bh.c, docs/api.md):
# dom0-lite's command table with a back end over the JSON management API, and the fake
# API server the toolstack tests run it against (tests/toolstack/api_fake_server.c: the
# real server, dom0-lite/api.c, over tests/unit/fake_bh.h). Host programs; needs
# libjsmn-dev (mk/packages.txt) and the Xen headers the unit tests use.
#
#   make bh                 build/host/bh
#   make api-fake-server    build/host/api-fake-server

BH_O := $(BUILD)/host/bh-obj
BH_SHARED_SRCS := dom0-lite/cmdtable.c dom0-lite/xlcfg.c dom0-lite/api.c lib/common/fmt/fmt.c
BH_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra \
	-Werror -Idom0-lite -Ilib/common/include -I$(UNIT_XEN_INC)
BH_SHARED_OBJS := $(patsubst %.c,$(BH_O)/%.o,$(BH_SHARED_SRCS))

$(BH_O)/%.o: %.c $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(BH_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/bh: $(BH_O)/toolstack/bh/bh.o $(BH_SHARED_OBJS)
	$(Q)$(HOSTCC) $^ -o $@
	@echo "  built $@"

$(BUILD)/host/api-fake-server: $(BH_O)/tests/toolstack/api_fake_server.o $(BH_SHARED_OBJS)
	$(Q)$(HOSTCC) $^ -o $@

-include $(BH_SHARED_OBJS:.o=.d) $(BH_O)/toolstack/bh/bh.d $(BH_O)/tests/toolstack/api_fake_server.d

.PHONY: bh api-fake-server
bh: $(BUILD)/host/bh
api-fake-server: $(BUILD)/host/api-fake-server

# A libFuzzer target of the API server over the fake back end (tests/fuzz/api):
#   make api-fuzz [API_FUZZ_RUNS=N]   N inputs from tests/fuzz/api/seeds (corpus in build/)
API_FUZZ_CC ?= clang-14
API_FUZZ_RUNS ?= 1000000
API_FUZZ_O := $(BUILD)/host/fuzz-api
API_FUZZ_SRCS := tests/fuzz/api/fuzz_api.c dom0-lite/api.c dom0-lite/cmdtable.c \
	dom0-lite/xlcfg.c lib/common/fmt/fmt.c

$(API_FUZZ_O)/fuzz_api: $(API_FUZZ_SRCS) dom0-lite/api.h dom0-lite/cmdtable.h \
	tests/unit/fake_bh.h $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(API_FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Idom0-lite -Ilib/common/include -I$(UNIT_XEN_INC) $(API_FUZZ_SRCS) -o $@

.PHONY: api-fuzz
api-fuzz: $(API_FUZZ_O)/fuzz_api
	@mkdir -p $(API_FUZZ_O)/corpus
	timeout 3600 $(API_FUZZ_O)/fuzz_api -runs=$(API_FUZZ_RUNS) -max_len=4096 \
		-print_final_stats=1 -artifact_prefix=$(API_FUZZ_O)/ $(API_FUZZ_O)/corpus \
		tests/fuzz/api/seeds
