/* SPDX-License-Identifier: MIT */
/* The bh command table: see cmdtable.h. */
#include "cmdtable.h"
#include "xlcfg.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"

#include <xen/errno.h>

void bh_printf(const struct bh_ops *ops, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        ops->out(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    }
}

const char *bh_strerror(int err)
{
    switch (-err) {
    case XEN_EPERM:
        return "operation not permitted";
    case XEN_ENOENT:
        return "no such file";
    case XEN_ESRCH:
        return "no such domain";
    case XEN_ENOMEM:
        return "not enough memory";
    case XEN_EACCES:
        return "permission denied (interface version?)";
    case XEN_EBUSY:
        return "busy";
    case XEN_EEXIST:
        return "already exists";
    case XEN_EINVAL:
        return "invalid argument";
    case XEN_ENOSPC:
        return "no space left";
    case XEN_ENOSYS:
        return "not implemented by this hypervisor";
    case XEN_EFAULT:
        return "bad address";
    default:
        return "error";
    }
}

/* "cmd: problem" with the errno, or the back end's reason when it gave one. */
static int report(const struct bh_ops *ops, const char *cmd, int rc, const char *err)
{
    if (err && err[0]) {
        bh_printf(ops, "%s: %s\n", cmd, err);
    } else {
        bh_printf(ops, "%s: %s (%d)\n", cmd, bh_strerror(rc), rc);
    }
    return 1;
}

static bool parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static struct bh_dom doms[BH_MAX_DOMS];

/* A domain named by name or id: its index in doms[], or -1 (after the error). */
static int find_dom(const struct bh_ops *ops, const char *cmd, const char *which, int *n_out)
{
    uint64_t id;
    bool numeric = parse_uint(which, &id);
    int n = ops->list(doms, BH_MAX_DOMS);

    if (n < 0) {
        report(ops, cmd, n, NULL);
        return -1;
    }
    *n_out = n;
    for (int i = 0; i < n; i++) {
        if ((numeric && doms[i].id == id) || !strcmp(doms[i].name, which)) {
            return i;
        }
    }
    bh_printf(ops, "%s: unknown domain '%s'\n", cmd, which);
    return -1;
}

static int usage(const struct bh_ops *ops, const char *cmd);

static int need_dom(const struct bh_ops *ops, int argc, char **argv, unsigned *id)
{
    int n;
    int i;

    if (argc != 2) {
        usage(ops, argv[0]);
        return -1;
    }
    i = find_dom(ops, argv[0], argv[1], &n);
    if (i < 0) {
        return -1;
    }
    *id = doms[i].id;
    return 0;
}

static void state_letters(const struct bh_dom *d, char s[7])
{
    bool crashed = (d->flags & BH_DOM_SHUTDOWN) && d->shutdown_code == BH_SHUTDOWN_CRASH;

    s[0] = d->flags & BH_DOM_RUNNING ? 'r' : '-';
    s[1] = d->flags & BH_DOM_BLOCKED ? 'b' : '-';
    s[2] = d->flags & BH_DOM_PAUSED ? 'p' : '-';
    s[3] = (d->flags & BH_DOM_SHUTDOWN) && !crashed ? 's' : '-';
    s[4] = crashed ? 'c' : '-';
    s[5] = d->flags & BH_DOM_DYING ? 'd' : '-';
    s[6] = '\0';
}

static int cmd_list(const struct bh_ops *ops, int argc, char **argv)
{
    int n;

    (void)argv;
    if (argc > 2) {
        return usage(ops, argv[0]);
    }
    n = ops->list(doms, BH_MAX_DOMS);
    if (n < 0) {
        return report(ops, "list", n, NULL);
    }
    bh_printf(ops, "Name                                        ID   Mem VCPUs\tState\tTime(s)\n");
    for (int i = 0; i < n; i++) {
        const struct bh_dom *d = &doms[i];
        char st[7];
        uint64_t ds = d->cpu_ns / 100000000u; /* tenths of a second */

        if (argc == 2 && strcmp(argv[1], d->name)) {
            continue;
        }
        state_letters(d, st);
        bh_printf(ops, "%-40s %5u %5lu %5u     %s %7lu.%lu\n", d->name, d->id,
                  (unsigned long)(d->mem_kib / 1024), d->vcpus, st, (unsigned long)(ds / 10),
                  (unsigned long)(ds % 10));
    }
    return 0;
}

void bh_print_created(const struct bh_ops *ops, unsigned id)
{
    int n = ops->list(doms, BH_MAX_DOMS);

    for (int i = 0; i < n; i++) {
        if (doms[i].id == id && doms[i].stub_id) {
            bh_printf(ops, "create: %s is d%u (stub d%u)\n", doms[i].name, id, doms[i].stub_id);
        } else if (doms[i].id == id) {
            bh_printf(ops, "create: %s is d%u\n", doms[i].name, id);
        }
    }
}

static int cmd_create(const struct bh_ops *ops, int argc, char **argv)
{
    char err[BH_ERR_MAX] = "";
    int rc;

    if (argc < 2) {
        return usage(ops, argv[0]);
    }
    rc = ops->create(argv[1], (unsigned)(argc - 2), argv + 2, err);
    if (rc < 0) {
        return report(ops, "create", rc, err);
    }
    if (rc > 0) {
        bh_print_created(ops, (unsigned)rc);
    }
    return 0;
}

static int simple(const struct bh_ops *ops, int argc, char **argv,
                  int (*op)(const struct bh_ops *ops, unsigned id, char *err))
{
    char err[BH_ERR_MAX] = "";
    unsigned id;
    int rc;

    if (need_dom(ops, argc, argv, &id)) {
        return 1;
    }
    rc = op(ops, id, err);
    return rc < 0 ? report(ops, argv[0], rc, err) : 0;
}

static int op_destroy(const struct bh_ops *o, unsigned id, char *err)
{
    return o->destroy(id, err);
}
static int op_shutdown(const struct bh_ops *o, unsigned id, char *err)
{
    return o->shutdown(id, false, err);
}
static int op_reboot(const struct bh_ops *o, unsigned id, char *err)
{
    return o->shutdown(id, true, err);
}
static int op_pause(const struct bh_ops *o, unsigned id, char *err)
{
    return o->pause(id, true, err);
}
static int op_unpause(const struct bh_ops *o, unsigned id, char *err)
{
    return o->pause(id, false, err);
}
static int op_console(const struct bh_ops *o, unsigned id, char *err)
{
    return o->console(id, err);
}

static int cmd_destroy(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_destroy);
}
static int cmd_shutdown(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_shutdown);
}
static int cmd_reboot(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_reboot);
}
static int cmd_pause(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_pause);
}
static int cmd_unpause(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_unpause);
}
static int cmd_console(const struct bh_ops *ops, int argc, char **argv)
{
    return simple(ops, argc, argv, op_console);
}

static int cmd_vcpu_list(const struct bh_ops *ops, int argc, char **argv)
{
    static struct bh_vcpu v[8];
    int n;

    if (argc > 2) {
        return usage(ops, argv[0]);
    }
    n = ops->list(doms, BH_MAX_DOMS);
    if (n < 0) {
        return report(ops, argv[0], n, NULL);
    }
    if (argc == 2) {
        int m;
        int i = find_dom(ops, argv[0], argv[1], &m);

        if (i < 0) {
            return 1;
        }
        doms[0] = doms[i];
        n = 1;
    }
    bh_printf(ops, "Name                                ID  VCPU   CPU State   Time(s) Affinity "
                   "(Hard / Soft)\n");
    for (int i = 0; i < n; i++) {
        int nv = ops->vcpus(doms[i].id, v, 8);

        if (nv < 0) {
            return report(ops, argv[0], nv, NULL);
        }
        for (int j = 0; j < nv; j++) {
            char cpu[8], aff[24];
            uint64_t ds = v[j].cpu_ns / 100000000u;

            if (v[j].cpu < 0) {
                fmt_snprintf(cpu, sizeof(cpu), "-");
            } else {
                fmt_snprintf(cpu, sizeof(cpu), "%d", v[j].cpu);
            }
            if (v[j].affinity) {
                fmt_snprintf(aff, sizeof(aff), "0x%lx", (unsigned long)v[j].affinity);
            } else {
                fmt_snprintf(aff, sizeof(aff), "all");
            }
            bh_printf(ops, "%-32s %5u %5u %5s   %s%s%s %7lu.%lu %s / all\n", doms[i].name,
                      doms[i].id, v[j].id, cpu,
                      !v[j].online   ? "-"
                      : v[j].running ? "r"
                      : v[j].blocked ? "b"
                                     : "-",
                      v[j].online ? "-" : "p", "-", (unsigned long)(ds / 10),
                      (unsigned long)(ds % 10), aff);
        }
    }
    return 0;
}

/* xl vcpu-pin <domain> <vcpu|all> <cpus|all>: hard affinity ("0-3,5" as in xl.cfg). */
static int cmd_vcpu_pin(const struct bh_ops *ops, int argc, char **argv)
{
    char err[BH_ERR_MAX] = "";
    struct bh_physinfo pi;
    uint64_t vcpu = 0, mask;
    int i, n, rc;

    if (argc != 4) {
        return usage(ops, argv[0]);
    }
    if (!ops->vcpu_pin) {
        bh_printf(ops, "%s: not supported by this back end\n", argv[0]);
        return 1;
    }
    i = find_dom(ops, argv[0], argv[1], &n);
    if (i < 0) {
        return 1;
    }
    if (strcmp(argv[2], "all") && (!parse_uint(argv[2], &vcpu) || vcpu >= doms[i].vcpus)) {
        bh_printf(ops, "%s: bad vCPU '%s' (0..%u or all)\n", argv[0], argv[2],
                  doms[i].vcpus ? doms[i].vcpus - 1 : 0);
        return 1;
    }
    if (!xlcfg_cpulist(argv[3], &mask)) {
        bh_printf(ops, "%s: bad CPU list '%s' (e.g. 0-3,5 or all)\n", argv[0], argv[3]);
        return 1;
    }
    if (!mask) { /* "all": every CPU the host has */
        rc = ops->physinfo(&pi);
        if (rc < 0) {
            return report(ops, argv[0], rc, NULL);
        }
        mask = pi.nr_cpus >= 64 ? ~0ull : (1ull << pi.nr_cpus) - 1;
    }
    rc = ops->vcpu_pin(doms[i].id, strcmp(argv[2], "all") ? (int)vcpu : -1, mask, err);
    return rc < 0 ? report(ops, argv[0], rc, err) : 0;
}

static int cmd_sched_credit(const struct bh_ops *ops, int argc, char **argv)
{
    const char *which = NULL;
    int weight = -1, cap = -1;
    int n;

    for (int i = 1; i < argc; i++) {
        uint64_t v;

        if (!strcmp(argv[i], "-d") && i + 1 < argc) {
            which = argv[++i];
        } else if ((!strcmp(argv[i], "-w") || !strcmp(argv[i], "-c")) && i + 1 < argc) {
            bool w = argv[i][1] == 'w';

            if (!parse_uint(argv[i + 1], &v) || (w && (v < 1 || v > 65535)) || (!w && v > 800)) {
                bh_printf(ops, "sched-credit: bad %s '%s' (%s)\n", w ? "weight" : "cap",
                          argv[i + 1], w ? "1..65535" : "0..800, percent of one CPU");
                return 1;
            }
            if (w) {
                weight = (int)v;
            } else {
                cap = (int)v;
            }
            i++;
        } else {
            return usage(ops, argv[0]);
        }
    }
    if ((weight >= 0 || cap >= 0) && !which) {
        bh_printf(ops, "sched-credit: -w and -c need a domain (-d)\n");
        return 1;
    }
    n = ops->list(doms, BH_MAX_DOMS);
    if (n < 0) {
        return report(ops, argv[0], n, NULL);
    }
    if (which) {
        int m;
        int i = find_dom(ops, argv[0], which, &m);

        if (i < 0) {
            return 1;
        }
        if (weight >= 0 || cap >= 0) {
            int rc = ops->sched_set(doms[i].id, weight, cap);

            return rc < 0 ? report(ops, argv[0], rc, NULL) : 0;
        }
        doms[0] = doms[i];
        n = 1;
    }
    bh_printf(ops, "Name                                ID Weight  Cap\n");
    for (int i = 0; i < n; i++) {
        unsigned w, c;
        int rc = ops->sched_get(doms[i].id, &w, &c);

        if (rc < 0) {
            return report(ops, argv[0], rc, NULL);
        }
        bh_printf(ops, "%-32s %5u %6u %4u\n", doms[i].name, doms[i].id, w, c);
    }
    return 0;
}

static int cmd_info(const struct bh_ops *ops, int argc, char **argv)
{
    struct bh_physinfo pi;
    int rc;

    if (argc != 1) {
        return usage(ops, argv[0]);
    }
    rc = ops->physinfo(&pi);
    if (rc < 0) {
        return report(ops, argv[0], rc, NULL);
    }
    bh_printf(ops, "nr_cpus                : %u\n", pi.nr_cpus);
    bh_printf(ops, "cpu_mhz                : %u.%03u\n", pi.cpu_khz / 1000, pi.cpu_khz % 1000);
    bh_printf(ops, "total_memory           : %lu\n",
              (unsigned long)(pi.total_pages * pi.page_size >> 20));
    bh_printf(ops, "free_memory            : %lu\n",
              (unsigned long)(pi.free_pages * pi.page_size >> 20));
    bh_printf(ops, "xen_version            : %s\n", ops->version);
    return 0;
}

static void uptime_text(uint64_t ns, char *buf, size_t size)
{
    uint64_t s = ns / 1000000000u;

    fmt_snprintf(buf, size, "%lu:%02lu:%02lu", (unsigned long)(s / 3600),
                 (unsigned long)(s / 60 % 60), (unsigned long)(s % 60));
}

static int cmd_uptime(const struct bh_ops *ops, int argc, char **argv)
{
    char up[32];
    int n;

    if (argc != 1) {
        return usage(ops, argv[0]);
    }
    uptime_text(ops->uptime_ns(), up, sizeof(up));
    bh_printf(ops, "Name                                ID Uptime\n");
    bh_printf(ops, "%-32s %5s %s\n", "Xen", "-", up);
    n = ops->list(doms, BH_MAX_DOMS);
    for (int i = 0; i < n; i++) {
        /* The hypervisor does not report a domain's start time: its CPU time stands in. */
        uptime_text(doms[i].cpu_ns, up, sizeof(up));
        bh_printf(ops, "%-32s %5u %s (cpu)\n", doms[i].name, doms[i].id, up);
    }
    return 0;
}

static int cmd_help(const struct bh_ops *ops, int argc, char **argv)
{
    if (argc == 2) {
        return usage(ops, argv[1]) == 2 ? 1 : 0;
    }
    bh_printf(ops, "Usage: <subcommand> [args]   (bh, the Bulkhead toolstack, in xl's style)\n\n");
    for (unsigned i = 0; i < bh_cmd_count; i++) {
        if (!bh_cmd_table[i].hidden) {
            bh_printf(ops, " %-16s %s\n", bh_cmd_table[i].name, bh_cmd_table[i].help);
        }
    }
    bh_printf(ops, "\nCTRL-a three times moves the keyboard between dom0-lite and the guests.\n");
    return 0;
}

/* ---- dmesg, top ---- */

static int cmd_dmesg(const struct bh_ops *ops, int argc, char **argv)
{
    char err[BH_ERR_MAX] = "";
    bool clear = argc == 2 && !strcmp(argv[1], "-c");
    int rc;

    if (argc > 2 || (argc == 2 && !clear)) {
        return usage(ops, argv[0]);
    }
    if (!ops->dmesg) {
        bh_printf(ops, "%s: not available here\n", argv[0]);
        return 1;
    }
    rc = ops->dmesg(clear, ops->out, err);
    return rc ? report(ops, argv[0], rc, err) : 0;
}

struct bh_top bh_top_request;
bool bh_top_active;

void bh_top_frame(const struct bh_ops *ops, struct bh_top *t)
{
    uint64_t now = ops->uptime_ns(), span = now - t->last_ns;
    int n = ops->list(doms, BH_MAX_DOMS);
    unsigned nr = 0;

    bh_printf(ops, "bh top - %lu.%lu s up, %d domains%s\n", (unsigned long)(now / 1000000000u),
              (unsigned long)(now / 100000000u % 10), n < 0 ? 0 : n,
              t->iterations ? "" : "; any key ends it");
    bh_printf(ops, "      NAME    ID  STATE   CPU(sec) CPU(%%)  MEM(k) VCPUS\n");
    for (int i = 0; i < n; i++) {
        const struct bh_dom *d = &doms[i];
        uint64_t before = 0, used;
        char st[7], name[11];

        state_letters(d, st);
        for (unsigned j = 0; j < t->nr; j++) {
            if (t->prev[j].id == d->id) {
                before = t->prev[j].cpu_ns;
            }
        }
        used = d->cpu_ns >= before ? d->cpu_ns - before : 0;
        /* The share of one CPU since the last frame (the first: since power-on). */
        memcpy(name, d->name, sizeof(name) - 1); /* the first 10 characters, as xentop */
        name[sizeof(name) - 1] = '\0';
        bh_printf(ops, "%10s %5u %6s %10lu %6lu %7lu %5u\n", name, d->id, st,
                  (unsigned long)(d->cpu_ns / 1000000000u),
                  (unsigned long)(span ? used * 100 / span : 0), (unsigned long)(d->mem_kib),
                  d->vcpus);
        if (nr < sizeof(t->prev) / sizeof(t->prev[0])) {
            t->prev[nr].id = d->id;
            t->prev[nr++].cpu_ns = d->cpu_ns;
        }
    }
    t->nr = nr;
    t->last_ns = now;
    t->shown++;
}

static int cmd_top(const struct bh_ops *ops, int argc, char **argv)
{
    struct bh_top t = {.delay_s = 1};

    for (int i = 1; i < argc; i++) {
        uint64_t v;

        if (i + 1 >= argc || (strcmp(argv[i], "-d") && strcmp(argv[i], "-n")) ||
            !parse_uint(argv[i + 1], &v) || v > 3600 || (!strcmp(argv[i], "-d") && !v)) {
            return usage(ops, argv[0]);
        }
        if (!strcmp(argv[i++], "-d")) {
            t.delay_s = (unsigned)v;
        } else {
            t.iterations = (unsigned)v;
        }
    }
    bh_top_frame(ops, &t);
    if (t.iterations != 1) {
        bh_top_request = t;
        bh_top_active = true; /* the front end goes on */
    }
    return 0;
}

/* ---- xenstore (dom0-lite/xsdom.c) ---- */

static int cmd_xenstore(const struct bh_ops *ops, int argc, char **argv)
{
    char err[BH_ERR_MAX] = "";
    int rc;

    if (!ops->xs_ls) {
        bh_printf(ops, "%s: no xenstore here\n", argv[0]);
        return 1;
    }
    if (!strcmp(argv[0], "xenstore-ls") && argc <= 2) {
        rc = ops->xs_ls(argc == 2 ? argv[1] : "/", ops->out, err);
    } else if (!strcmp(argv[0], "xenstore-read") && argc == 2) {
        rc = ops->xs_read(argv[1], ops->out, err);
    } else if (!strcmp(argv[0], "xenstore-write") && argc == 3) {
        rc = ops->xs_write(argv[1], argv[2], err);
    } else {
        return usage(ops, argv[0]);
    }
    return rc ? report(ops, argv[0], rc, err) : 0;
}

static int cmd_crash(const struct bh_ops *ops, int argc, char **argv)
{
    (void)argc;
    if (!ops->crash) {
        bh_printf(ops, "%s: not supported by this back end\n", argv[0]);
        return 1;
    }
    ops->crash();
    return 1;
}

const struct bh_cmd bh_cmd_table[] = {
    {"create", cmd_create, "<config> [key=value ...]",
     "create a domain from configs/<config>.cfg in the boot bundle", false},
    {"list", cmd_list, "[domain]", "list information about all/some domains", false},
    {"destroy", cmd_destroy, "<domain>", "terminate a domain immediately", false},
    {"shutdown", cmd_shutdown, "<domain>", "ask a domain to power off", false},
    {"reboot", cmd_reboot, "<domain>", "ask a domain to reboot", false},
    {"pause", cmd_pause, "<domain>", "pause execution of a domain", false},
    {"unpause", cmd_unpause, "<domain>", "unpause a paused domain", false},
    {"console", cmd_console, "<domain>",
     "attach to a domain's console (bh>: CTRL-a three times to come back; bh --connect: CTRL-])",
     false},
    {"vcpu-list", cmd_vcpu_list, "[domain]", "list the vCPUs of all/some domains", false},
    {"vcpu-pin", cmd_vcpu_pin, "<domain> <vcpu|all> <cpus|all>",
     "set which CPUs a domain's vCPU may run on (hard affinity, e.g. 0-3,5)", false},
    {"sched-credit", cmd_sched_credit, "[-d <domain> [-w <weight>] [-c <cap>]]",
     "get/set credit scheduler parameters", false},
    {"info", cmd_info, "", "get information about the host", false},
    {"uptime", cmd_uptime, "", "print the uptime of the hypervisor and the domains", false},
    {"dmesg", cmd_dmesg, "[-c]", "read (-c: and clear) the hypervisor's console history", false},
    {"top", cmd_top, "[-d <seconds>] [-n <iterations>]",
     "monitor the domains' CPU and memory use (any key ends it)", false},
    {"help", cmd_help, "[command]", "print this help", false},
    {"xenstore-ls", cmd_xenstore, "[path]", "list the xenstore below path (default /)", false},
    {"xenstore-read", cmd_xenstore, "<path>", "print the value of a xenstore node", false},
    {"xenstore-write", cmd_xenstore, "<path> <value>", "write a xenstore node", false},
    {"crash-dom0", cmd_crash, "", "crash dom0-lite on purpose (tests)", true},
};
const unsigned bh_cmd_count = sizeof(bh_cmd_table) / sizeof(bh_cmd_table[0]);

static const struct bh_cmd *lookup(const char *name)
{
    for (unsigned i = 0; i < bh_cmd_count; i++) {
        if (!strcmp(bh_cmd_table[i].name, name)) {
            return &bh_cmd_table[i];
        }
    }
    return NULL;
}

/* 1 after printing a command's usage, 2 for an unknown command. */
static int usage(const struct bh_ops *ops, const char *cmd)
{
    const struct bh_cmd *c = lookup(cmd);

    if (!c) {
        bh_printf(ops, "%s: unknown command; 'help' lists them\n", cmd);
        return 2;
    }
    bh_printf(ops, "Usage: %s%s%s\n  %s\n", c->name, c->usage[0] ? " " : "", c->usage, c->help);
    return 1;
}

int bh_run_line(const struct bh_ops *ops, char *line)
{
    char *argv[BH_MAX_ARGS + 1];
    int argc = 0;
    char *p = line;

    for (;;) {
        char *w;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (!*p) {
            break;
        }
        if (argc == BH_MAX_ARGS) {
            bh_printf(ops, "%s: too many arguments (at most %d)\n", argv[0], BH_MAX_ARGS - 1);
            return 1;
        }
        w = p;
        argv[argc++] = w;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '"') {
                /* key="a b": keep the quotes, xlcfg_override reads them */
                p++;
                while (*p && *p != '"') {
                    p++;
                }
                if (!*p) {
                    bh_printf(ops, "%s: unterminated quote\n", argv[0]);
                    return 1;
                }
            }
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    argv[argc] = NULL;
    return bh_run_argv(ops, argc, argv);
}

int bh_run_argv(const struct bh_ops *ops, int argc, char **argv)
{
    if (argc <= 0) {
        return 0;
    }
    const struct bh_cmd *c = lookup(argv[0]);

    if (!c) {
        return usage(ops, argv[0]);
    }
    return c->fn(ops, argc, argv) ? 1 : 0;
}
