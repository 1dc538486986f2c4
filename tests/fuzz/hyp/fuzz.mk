# Host fuzzers of the hypervisor core: libFuzzer + ASan + UBSan, against arch/fake, over
# the unit tests' list of core sources (tests/unit/unit.mk's UNIT_CORE_SRCS). Included by
# the top-level Makefile after unit.mk.
#
#   make hyp-fuzz-test   replay the kept inputs (tests/fuzz/hyp/corpus/<target>), then fuzz
#                        each target for HYP_FUZZ_BRIEF_SECS seconds (part of `make test`)
#   make hyp-fuzz        HYP_FUZZ_RUNS inputs per target (part of `make fuzz`)
#   make hyp-fuzz-coverage   line coverage of hypervisor/ reached by the corpora (kept and
#                        working), per file, from a build with clang's source coverage
#
# Targets: fuzz_hypercall (hypercall_dispatch with fuzzed registers over a fake domain's
# RAM) and fuzz_dom0less (the /chosen xen,domain parser). arch/fake reports panics through
# cmocka's mock_assert(); fuzz_shim.c defines it to abort instead, so cmocka is not linked.
# fuzz_vgic and fuzz_vplic fuzz the interrupt-controller emulators, which are arch code:
# each compiles its emulator unmodified against that arch's headers (the vGIC's system
# registers go through tests/fuzz/hyp/sysreg-host to a simulated CPU interface) and links
# nothing else of the hypervisor.

HYP_FUZZ_CC ?= clang-14
HYP_FUZZ_RUNS ?= 1000000
HYP_FUZZ_BRIEF_SECS ?= 5
HYP_FUZZ_O := $(BUILD)/host/fuzz-hyp
HYP_FUZZ_CORE_TARGETS := fuzz_hypercall fuzz_dom0less fuzz_rv_insn
HYP_FUZZ_IRQC_TARGETS := fuzz_vgic fuzz_vplic
HYP_FUZZ_TARGETS := $(HYP_FUZZ_CORE_TARGETS) $(HYP_FUZZ_IRQC_TARGETS)
HYP_FUZZ_CORPUS := tests/fuzz/hyp/corpus

HYP_FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	$(HYP_FUZZ_EXTRA)
HYP_FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror \
	-Wno-unused-command-line-argument $(HYP_FUZZ_SAN) -fsanitize=fuzzer-no-link \
	$(UNIT_INCLUDES) -Itests/fuzz/hyp
HYP_FUZZ_LIBFDT_CFLAGS := $(HYP_FUZZ_CFLAGS) -Wno-sign-compare

HYP_FUZZ_CORE_OBJS := $(patsubst %.c,$(HYP_FUZZ_O)/obj/%.o,$(UNIT_CORE_SRCS))
HYP_FUZZ_LIBFDT_OBJS := $(patsubst %.c,$(HYP_FUZZ_O)/obj/libfdt/%.o,$(UNIT_LIBFDT_SRCS))
HYP_FUZZ_CORE_BINS := $(addprefix $(HYP_FUZZ_O)/,$(HYP_FUZZ_CORE_TARGETS))
HYP_FUZZ_BINS := $(addprefix $(HYP_FUZZ_O)/,$(HYP_FUZZ_TARGETS))

$(HYP_FUZZ_O)/obj/%.o: %.c $(LIBFDT_DIR)/.stamp $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HYP_FUZZ_CC) $(HYP_FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(HYP_FUZZ_LIBFDT_OBJS): $(HYP_FUZZ_O)/obj/libfdt/%.o: $(LIBFDT_DIR)/.stamp $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HYP_FUZZ_CC) $(HYP_FUZZ_LIBFDT_CFLAGS) -c $(LIBFDT_DIR)/$*.c -o $@

$(HYP_FUZZ_O)/libcore.a: $(HYP_FUZZ_CORE_OBJS) $(HYP_FUZZ_LIBFDT_OBJS) \
	$(HYP_FUZZ_O)/obj/tests/fuzz/hyp/fuzz_shim.o
	$(Q)rm -f $@ && ar rcs $@ $^

$(HYP_FUZZ_CORE_BINS): $(HYP_FUZZ_O)/%: $(HYP_FUZZ_O)/obj/tests/fuzz/hyp/%.o $(HYP_FUZZ_O)/libcore.a
	$(Q)$(HYP_FUZZ_CC) $(HYP_FUZZ_SAN) -fsanitize=fuzzer -g $< $(HYP_FUZZ_O)/libcore.a \
		-pthread -o $@

# The interrupt-controller fuzzers: the harness and the emulator, built for one arch's
# headers (obj-aarch64/, obj-riscv64/), no core library.
HYP_FUZZ_IRQC_CFLAGS := $(filter-out -Iarch/fake/include,$(HYP_FUZZ_CFLAGS))
$(HYP_FUZZ_O)/obj-aarch64/%.o: %.c $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HYP_FUZZ_CC) -Itests/fuzz/hyp/sysreg-host -Iarch/aarch64/include \
		$(HYP_FUZZ_IRQC_CFLAGS) -MMD -MP -c $< -o $@
$(HYP_FUZZ_O)/obj-riscv64/%.o: %.c $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HYP_FUZZ_CC) -Iarch/riscv64/include $(HYP_FUZZ_IRQC_CFLAGS) -MMD -MP -c $< -o $@

$(HYP_FUZZ_O)/fuzz_vgic: $(HYP_FUZZ_O)/obj-aarch64/tests/fuzz/hyp/fuzz_vgic.o \
	$(HYP_FUZZ_O)/obj-aarch64/arch/aarch64/hyp/vgic.o
$(HYP_FUZZ_O)/fuzz_vplic: $(HYP_FUZZ_O)/obj-riscv64/tests/fuzz/hyp/fuzz_vplic.o \
	$(HYP_FUZZ_O)/obj-riscv64/arch/riscv64/hyp/vplic.o
$(addprefix $(HYP_FUZZ_O)/,$(HYP_FUZZ_IRQC_TARGETS)):
	$(Q)$(HYP_FUZZ_CC) $(HYP_FUZZ_SAN) -fsanitize=fuzzer -g $^ -o $@

-include $(HYP_FUZZ_CORE_OBJS:.o=.d) $(HYP_FUZZ_O)/obj/tests/fuzz/hyp/*.d \
	$(wildcard $(HYP_FUZZ_O)/obj-*/*/*/*/*.d $(HYP_FUZZ_O)/obj-*/*/*/*.d)

.PHONY: hyp-fuzz-build hyp-fuzz-replay hyp-fuzz-test hyp-fuzz hyp-fuzz-coverage
hyp-fuzz-build: $(HYP_FUZZ_BINS)

# The kept inputs (seeds and every crasher found so far) must all run clean.
hyp-fuzz-replay: $(HYP_FUZZ_BINS)
	$(Q)for t in $(HYP_FUZZ_TARGETS); do log=$(HYP_FUZZ_O)/$$t-replay.log; \
		echo "== replay $(HYP_FUZZ_CORPUS)/$$t ($$(ls $(HYP_FUZZ_CORPUS)/$$t | wc -l) inputs)"; \
		timeout 300 $(HYP_FUZZ_O)/$$t -runs=0 $(HYP_FUZZ_CORPUS)/$$t >$$log 2>&1 || \
			{ tail -n 40 $$log; echo "hyp-fuzz-replay: $$t FAILED (log $$log)"; exit 1; }; \
		done

# Fuzzing starts from the kept inputs plus a working corpus in build/ (never in git).
hyp-fuzz-test: hyp-fuzz-replay
	$(Q)for t in $(HYP_FUZZ_TARGETS); do mkdir -p $(HYP_FUZZ_O)/corpus/$$t; \
		log=$(HYP_FUZZ_O)/$$t-brief.log; echo "== $$t for $(HYP_FUZZ_BRIEF_SECS) s"; \
		timeout $$(( $(HYP_FUZZ_BRIEF_SECS) + 120 )) $(HYP_FUZZ_O)/$$t \
			-max_total_time=$(HYP_FUZZ_BRIEF_SECS) -max_len=4096 -print_final_stats=1 \
			-artifact_prefix=$(HYP_FUZZ_O)/$$t- $(HYP_FUZZ_O)/corpus/$$t \
			$(HYP_FUZZ_CORPUS)/$$t >$$log 2>&1 || \
			{ tail -n 60 $$log; echo "$$t: FAILED, crasher kept as $(HYP_FUZZ_O)/$$t-*"; exit 1; }; \
		grep -E '^#[0-9]+[[:space:]]+DONE' $$log; done

hyp-fuzz: $(HYP_FUZZ_BINS)
	$(Q)for t in $(HYP_FUZZ_TARGETS); do mkdir -p $(HYP_FUZZ_O)/corpus/$$t; \
		echo "== $$t: $(HYP_FUZZ_RUNS) inputs"; \
		timeout 7200 $(HYP_FUZZ_O)/$$t -runs=$(HYP_FUZZ_RUNS) -max_len=4096 \
			-print_final_stats=1 -artifact_prefix=$(HYP_FUZZ_O)/$$t- \
			$(HYP_FUZZ_O)/corpus/$$t $(HYP_FUZZ_CORPUS)/$$t || exit 1; done

# Source coverage: the same targets built again with clang's instrumentation into their
# own folder, every corpus input run once, then llvm-cov's per-file summary of the core.
HYP_FUZZ_COV_O := $(BUILD)/host/fuzz-hyp-cov
hyp-fuzz-coverage:
	$(Q)$(MAKE) --no-print-directory HYP_FUZZ_O=$(HYP_FUZZ_COV_O) \
		HYP_FUZZ_EXTRA="-fprofile-instr-generate -fcoverage-mapping" hyp-fuzz-build
	$(Q)for t in $(HYP_FUZZ_TARGETS); do mkdir -p $(HYP_FUZZ_O)/corpus/$$t; \
		LLVM_PROFILE_FILE=$(HYP_FUZZ_COV_O)/$$t.profraw timeout 1200 $(HYP_FUZZ_COV_O)/$$t \
			-runs=0 $(HYP_FUZZ_CORPUS)/$$t $(HYP_FUZZ_O)/corpus/$$t >/dev/null 2>&1 || exit 1; \
		llvm-profdata-14 merge -o $(HYP_FUZZ_COV_O)/$$t.profdata $(HYP_FUZZ_COV_O)/$$t.profraw; \
		echo "== $$t: lines of hypervisor/ run by the corpora"; llvm-cov-14 report \
			$(HYP_FUZZ_COV_O)/$$t -instr-profile=$(HYP_FUZZ_COV_O)/$$t.profdata \
			$(addprefix $(CURDIR)/,$(filter hypervisor/%,$(UNIT_CORE_SRCS))) \
			$(CURDIR)/arch/aarch64/hyp/vgic.c $(CURDIR)/arch/riscv64/hyp/vplic.c \
			| awk 'NF == 13 && $$8 > 0 && $$8 != $$9 {print $$1, $$8 - $$9 "/" $$8, $$10}' \
			| column -t; done
