/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin that counts executed instructions: all of them, and those fetched
 * from the physical range [lo, hi) (the hypervisor image). Used with -icount shift=0, so
 * the counts repeat exactly from run to run.
 *
 * Guests may run code at virtual addresses that are also the hypervisor's (guest RAM
 * and the hypervisor image overlap as address ranges), so the range is matched on the
 * host pointer of the instruction bytes, which is unique per physical page: the first
 * block translated at vaddr == lo (the hypervisor's entry, MMU off, so PA == VA) fixes
 * the host address of lo, and QEMU's RAM is one contiguous host block.
 *
 *   -plugin build/host/bench/insn_count.so,lo=0x40200000,hi=0x40300000
 *
 * Alternatively (vlo=/vhi=), the range is matched on the virtual address of each block:
 * for a hypervisor that relocates itself at boot (Xen moves to the top of RAM, so its
 * physical range is unknown beforehand) but always runs at its own link addresses, which
 * the guests being measured never execute at.
 *
 *   -plugin build/host/bench/insn_count.so,vlo=0x200000,vhi=0x400000
 *
 * For profiling, hist=FILE also writes one line per translation block in the range,
 * "VADDR INSNS EXECUTIONS" (hex, decimal, decimal; a block translated twice has two
 * lines), which tests/bench/vcpu_insns.py --profile maps to functions.
 *
 * Debian ships no qemu-plugin.h, so the few API entry points used here are declared below
 * from QEMU 7.2's plugin API (version 1). The totals are printed at exit as
 *   insn_count: total=N range=M
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of QEMU's plugin API (include/qemu/qemu-plugin.h, version 1) ---- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64,
};
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t id,
                                                      struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    void (*cb)(qemu_plugin_id_t id, void *userdata),
                                    void *userdata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
/* ---- end of the API subset ---- */

/* With -icount, TCG runs all vCPUs on one thread, so plain inline adds do not race. */
static uint64_t total_insns;
static uint64_t range_insns;
static uint64_t range_lo, range_hi;
static uintptr_t range_host;          /* host address of physical range_lo, once known */
static uint64_t vrange_lo, vrange_hi; /* virtual range mode, when vrange_hi != 0 */
static const char *hist_path;         /* hist=FILE: per-block counts written at exit */

/* One translated block in the range, for hist=: its executions are counted inline. */
struct tb_hist {
    uint64_t vaddr;
    uint64_t insns;
    uint64_t execs;
    struct tb_hist *next;
};
static struct tb_hist *hist_head;

static void count_range(struct qemu_plugin_tb *tb, uint64_t va, size_t n)
{
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &range_insns, n);
    if (!hist_path) {
        return;
    }
    struct tb_hist *h = calloc(1, sizeof(*h));
    if (!h) {
        return;
    }
    h->vaddr = va;
    h->insns = n;
    h->next = hist_head;
    hist_head = h;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &h->execs, 1);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    uint64_t va = qemu_plugin_tb_vaddr(tb);

    uintptr_t host = (uintptr_t)qemu_plugin_insn_haddr(qemu_plugin_tb_get_insn(tb, 0));

    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total_insns, n);
    if (vrange_hi) {
        if (va >= vrange_lo && va < vrange_hi) {
            count_range(tb, va, n);
        }
        return;
    }
    if (!range_host && va == range_lo) {
        range_host = host;
    }
    if (range_host && host >= range_host && host - range_host < range_hi - range_lo) {
        count_range(tb, va, n);
    }
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    char buf[128];

    (void)id;
    (void)userdata;
    snprintf(buf, sizeof(buf), "insn_count: total=%" PRIu64 " range=%" PRIu64 "\n", total_insns,
             range_insns);
    qemu_plugin_outs(buf);
    if (!hist_path) {
        return;
    }
    FILE *f = fopen(hist_path, "w");
    if (!f) {
        fprintf(stderr, "insn_count: cannot write %s\n", hist_path);
        return;
    }
    for (struct tb_hist *h = hist_head; h; h = h->next) {
        fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", h->vaddr, h->insns, h->execs);
    }
    fclose(f);
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "lo=", 3) == 0) {
            range_lo = strtoull(argv[i] + 3, NULL, 0);
        } else if (strncmp(argv[i], "hi=", 3) == 0) {
            range_hi = strtoull(argv[i] + 3, NULL, 0);
        } else if (strncmp(argv[i], "vlo=", 4) == 0) {
            vrange_lo = strtoull(argv[i] + 4, NULL, 0);
        } else if (strncmp(argv[i], "vhi=", 4) == 0) {
            vrange_hi = strtoull(argv[i] + 4, NULL, 0);
        } else if (strncmp(argv[i], "hist=", 5) == 0) {
            hist_path = argv[i] + 5;
        } else {
            fprintf(stderr,
                    "insn_count: unknown argument '%s' (want lo=ADDR, hi=ADDR or vlo=VADDR, "
                    "vhi=VADDR, and optionally hist=FILE)\n",
                    argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
