# Benchmark helpers built for the host.
BENCH_PLUGIN := $(BUILD)/host/bench/insn_count.so

$(BENCH_PLUGIN): tests/bench/insn_count.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared $< -o $@

.PHONY: bench-plugin
bench-plugin: $(BENCH_PLUGIN)
