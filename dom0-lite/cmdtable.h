/* SPDX-License-Identifier: MIT */
/*
 * The bh command table (as Xen's xl_cmdtable.c): one table of subcommands, their usage
 * and help, run against a back end (struct bh_ops). dom0-lite's `bh>` shell uses it with
 * hypercalls (control.c); a host `bh --connect` can use it with the management API.
 * Output goes through ops->out (xl's formats: `bh list` prints what `xl list` prints).
 * Freestanding: <string.h> and fmt only.
 */
#ifndef DOM0_CMDTABLE_H
#define DOM0_CMDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BH_NAME_MAX 64
#define BH_MAX_DOMS 64
#define BH_MAX_ARGS 16
#define BH_ERR_MAX  192

/* The flags of struct bh_dom, Xen's XEN_DOMINF_* bits where they exist. */
#define BH_DOM_DYING      (1u << 0)
#define BH_DOM_SHUTDOWN   (1u << 2)
#define BH_DOM_PAUSED     (1u << 3)
#define BH_DOM_BLOCKED    (1u << 4)
#define BH_DOM_RUNNING    (1u << 5)
#define BH_SHUTDOWN_CRASH 3 /* SHUTDOWN_crash: the shutdown code of a crashed domain */

struct bh_dom {
    unsigned id;
    char name[BH_NAME_MAX];
    uint64_t mem_kib;
    unsigned vcpus;
    uint32_t flags;
    unsigned shutdown_code;
    uint64_t cpu_ns;
    unsigned stub_id; /* the domain's stub (device model) domain, 0: none */
};

struct bh_vcpu {
    unsigned id;
    int cpu; /* -1: not running anywhere */
    bool online, running, blocked;
    uint64_t cpu_ns;
    uint64_t affinity; /* 0: any */
};

struct bh_physinfo {
    unsigned nr_cpus;
    unsigned cpu_khz;
    uint64_t total_pages, free_pages;
    uint64_t page_size;
};

/* The back end. Every call returns 0 (or a count) or a negative Xen errno; on error it
 * may put a one-line reason (without the command's name) in @err (BH_ERR_MAX bytes).
 * create returns the new domain's id (> 0; 0 is also success, without an id). Optional
 * (NULL: "not supported by this back end"): vcpu_pin, crash. */
struct bh_ops {
    void (*out)(const char *s, size_t len);
    int (*list)(struct bh_dom *doms, unsigned max);
    int (*create)(const char *cfg, unsigned nr_overrides, char *const overrides[], char *err);
    int (*destroy)(unsigned domid, char *err);
    int (*shutdown)(unsigned domid, bool reboot, char *err);
    int (*pause)(unsigned domid, bool pause, char *err);
    int (*vcpus)(unsigned domid, struct bh_vcpu *v, unsigned max);
    int (*sched_get)(unsigned domid, unsigned *weight, unsigned *cap);
    int (*sched_set)(unsigned domid, int weight, int cap); /* -1: leave as is */
    int (*physinfo)(struct bh_physinfo *pi);
    uint64_t (*uptime_ns)(void);
    int (*console)(unsigned domid, char *err);
    /* Hard affinity of vCPU @vcpu of @domid (or every vCPU if @vcpu < 0): CPUs in @mask. */
    int (*vcpu_pin)(unsigned domid, int vcpu, uint64_t mask, char *err);
    void (*crash)(void); /* the hidden `crash-dom0` (tests: guests outlive dom0-lite) */
    /* xenstore-ls / xenstore-read / xenstore-write, as dom0 (dom0-lite/xsdom.c); NULL:
     * no xenstore. Output goes through @out. */
    int (*xs_ls)(const char *path, void (*out)(const char *s, size_t len), char *err);
    int (*xs_read)(const char *path, void (*out)(const char *s, size_t len), char *err);
    int (*xs_write)(const char *path, const char *value, char *err);
    /* The hypervisor's console history (XEN_SYSCTL_readconsole) through @out; @clear
     * empties it after. NULL: not available. */
    int (*dmesg)(bool clear, void (*out)(const char *s, size_t len), char *err);
    const char *version;
};

struct bh_cmd {
    const char *name;
    int (*fn)(const struct bh_ops *ops, int argc, char **argv);
    const char *usage;
    const char *help;
    bool hidden;
};

/* `top`: the front end shows frames every @delay_s seconds (the shell until a key is
 * typed or @iterations frames, 0: no limit). bh_top_frame() prints one, with each
 * domain's CPU share since the previous frame (the first: since it started). */
struct bh_top {
    unsigned delay_s, iterations, shown;
    uint64_t last_ns;
    unsigned nr;
    struct {
        unsigned id;
        uint64_t cpu_ns;
    } prev[64];
};
void bh_top_frame(const struct bh_ops *ops, struct bh_top *t);
/* Set by the `top` command for the front end, which clears it when top ends. */
extern struct bh_top bh_top_request;
extern bool bh_top_active;

extern const struct bh_cmd bh_cmd_table[];
extern const unsigned bh_cmd_count;

/* Split @line in place into words (quotes "..." keep spaces), find the command and run
 * it. 0 for an empty line or success, 1 for an error (already printed as
 * "<command>: problem"), 2 for an unknown command. */
int bh_run_line(const struct bh_ops *ops, char *line);
/* The same for words already split (a host command line): @argv[0] is the command. */
int bh_run_argv(const struct bh_ops *ops, int argc, char **argv);

/* "create: NAME is dID[ (stub dSTUB)]": what create prints (and dom0-lite's autostart). */
void bh_print_created(const struct bh_ops *ops, unsigned id);

/* printf through ops->out. */
void bh_printf(const struct bh_ops *ops, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text of a negative Xen errno ("no such domain" for -ESRCH ...). */
const char *bh_strerror(int err);

#endif
