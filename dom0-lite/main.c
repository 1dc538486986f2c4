/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite, the control domain (docs/dom0-lite.md): a program on the domain runtime's
 * event loop (dom/program.h).
 *
 *   init()          finds the boot bundle (its ramdisk), binds VIRQ_CONSOLE and
 *                   VIRQ_DOM_EXC, creates the guests listed in the bundle's `autostart`,
 *                   prints the banner and the `bh>` prompt;
 *   notified(port)  VIRQ_CONSOLE: reads the typed bytes (CONSOLEIO_read) into the line
 *                   editor, runs each complete line through the bh command table;
 *                   VIRQ_DOM_EXC: applies the guests' on_* policies (builder.c); a
 *                   stub's console port: its guest's output (consoled.c).
 */
#include <string.h>

#include "api.h"
#include "cmdtable.h"
#include "consoled.h"
#include "control.h"
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"
#include "dom/program.h"
#include "timers.h"
#include "xsdom.h"
#include "mgmt.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/vcpu.h>

#define LINE_MAX      256
#define PROMPT        "bh> "
#define VIRQ_DOM_EXC_ 3 /* Xen's VIRQ_DOM_EXC (global, control domain only) */

struct bundle boot_bundle;
/* The JSON management API (docs/api.md) on the management channel (mgmt.h); a line
 * typed at bh> that starts with '{' is a request too, answered on the console (tests,
 * debugging). */
static struct api_server mgmt_api, con_api;

static struct {
    uint32_t con_port, exc_port;
    char line[LINE_MAX];
    unsigned len;
    bool cr; /* the last byte was '\r': a following '\n' is the same Enter */
} sh;

static int bind_virq(uint32_t virq, uint32_t *port)
{
    struct evtchn_bind_virq bv = {.virq = virq, .vcpu = 0};
    int rc = (int)HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);

    *port = rc ? 0 : bv.port;
    return rc;
}

static char started[96]; /* the autostarted guests' names, for the banner */
static void con_api_write(const char *s, size_t len)
{
    dom_write(s, len);
}

static void mgmt_api_write(const char *s, size_t len)
{
    /* A host that stopped reading loses the rest of the line (mgmt_write_all gave up
     * after MGMT_STALL_MS without progress) and its events: they would stall dom0-lite
     * that long each. */
    if (mgmt_write_all(s, len) < len) {
        mgmt_api.subscribed = false;
    }
}

static void mgmt_api_stats(uint64_t c[4])
{
    struct mgmt_stats st;

    mgmt_get_stats(&st);
    c[0] = st.rx_bytes;
    c[1] = st.tx_bytes;
    c[2] = st.irqs;
    c[3] = st.stops;
}

/* channel-hold (tests): read nothing until the channel's ring has filled once more. */
static uint64_t hold_stops;
static bool holding;

static void mgmt_api_hold(void)
{
    struct mgmt_stats st;

    mgmt_get_stats(&st);
    hold_stops = st.stops;
    holding = true;
}

static void mgmt_input(void)
{
    struct mgmt_stats st;
    char buf[256];
    size_t n;

    mgmt_get_stats(&st);
    if (holding && st.stops == hold_stops) {
        return; /* the handler notifies again when the ring is full */
    }
    holding = false;
    /* Take requests while their answers have room (else notified when they have). */
    while (!holding && mgmt_tx_has_room() && (n = mgmt_read(buf, sizeof(buf))) > 0) {
        api_input(&mgmt_api, buf, n);
    }
}

static void api_changed(void)
{
    api_domains_changed(&con_api);
    if (mgmt_api.ops) {
        api_domains_changed(&mgmt_api);
    }
}

/* Guests' console output, for API clients attached with `console` (docs/api.md). */
static void console_tap(unsigned label, const char *data, size_t len)
{
    api_console_output(&con_api, label, data, len);
    if (mgmt_api.ops) {
        api_console_output(&mgmt_api, label, data, len);
    }
}

static int autostart_one(const char *name)
{
    char err[BH_ERR_MAX] = "";
    int rc = builder_create(name, 0, NULL, err);
    size_t n = strlen(started);

    if (rc < 0) {
        dom_printf("dom0-lite: autostart %s: %s\n", name, err[0] ? err : bh_strerror(rc));
    } else {
        bh_print_created(&control_ops, (unsigned)rc);
        if (n + strlen(name) + 2 < sizeof(started)) {
            if (n) {
                started[n++] = ' ';
            }
            memcpy(started + n, name, strlen(name) + 1);
        }
    }
    return rc;
}

static void autostart(void)
{
    struct bundle_file f;
    char name[XLCFG_NAME_MAX];
    unsigned n = 0;

    if (bundle_find(&boot_bundle, "autostart", &f)) {
        return;
    }
    for (size_t i = 0; i <= f.size; i++) {
        char c = i < f.size ? (char)f.data[i] : '\n';

        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
            if (n) {
                name[n] = '\0';
                autostart_one(name);
            }
            n = 0;
        } else if (n + 1 < sizeof(name)) {
            name[n++] = c;
        }
    }
}

static int count_cfg(const struct bundle_file *f, void *ctx)
{
    size_t l = strlen(f->name);

    if (!strncmp(f->name, "configs/", 8) && l > 12 && !strcmp(f->name + l - 4, ".cfg")) {
        (*(unsigned *)ctx)++;
    }
    return 0;
}

/* bootargs `names=1:dom0-lite,2:web,...`: the boot-time domains' names (bh-boot's). */
static void boot_names(void)
{
    static char buf[512];
    char *p = buf;

    if (!dom_arg("names", buf, sizeof(buf))) {
        return;
    }
    while (*p) {
        char *colon = strchr(p, ':'), *end = strchr(p, ',');
        uint64_t id;

        if (!end) {
            end = p + strlen(p);
        }
        if (colon && colon < end) {
            char c = *end;

            *colon = '\0';
            *end = '\0';
            if (dom_parse_u64(p, &id)) {
                names_set((unsigned)id, colon + 1);
            }
            *end = c;
        }
        p = *end ? end + 1 : end;
    }
}

void init(void)
{
    uint64_t t0 = dom_now_ns(); /* the start time, for tests/bench/create_bench.py */
    unsigned cfgs = 0;
    size_t bad_at = 0;
    int rc;

    boot_names();
    /* Our output goes out unlabelled and at once: the prompt has no newline. Refused
     * (an older hypervisor), it stays line-buffered with a (d<id>) label. */
    if (HYPERVISOR_console_io(CONSOLEIO_BH_RAW, 0, "") == 0) {
        dom_console_write_cmd = CONSOLEIO_BH_RAW;
    }
    if (dom_info.initrd_start) {
        boot_bundle.base = (const uint8_t *)(uintptr_t)dom_info.initrd_start;
        boot_bundle.size = dom_info.initrd_end - dom_info.initrd_start;
        if (bundle_walk(&boot_bundle, count_cfg, &cfgs, &bad_at)) {
            dom_printf("dom0-lite: the boot bundle is not a cpio newc archive (bad entry at "
                       "offset %lu): no configs\n",
                       (unsigned long)bad_at);
            boot_bundle.size = 0;
        }
    } else {
        dom_printf("dom0-lite: no boot bundle (ramdisk): no configs\n");
    }
    rc = bind_virq(VIRQ_CONSOLE, &sh.con_port);
    if (rc) {
        dom_printf("dom0-lite: VIRQ_CONSOLE unavailable (%d): no shell\n", rc);
    }
    rc = bind_virq(VIRQ_DOM_EXC_, &sh.exc_port);
    if (rc) {
        dom_printf("dom0-lite: VIRQ_DOM_EXC unavailable (%d): no on_poweroff/on_reboot/on_crash "
                   "policy\n",
                   rc);
    }
    builder_adopt_boot(); /* the boot-time guests' on_* policies (builder.c) */
    dom_printf("dom0-lite: up in %lu us (init at %lu us since power-on)\n",
               (unsigned long)((dom_now_ns() - t0) / 1000), (unsigned long)(t0 / 1000));
    rc = mgmt_init(); /* the management channel (mgmt.h) */
    if (rc && rc != -XEN_ENODEV) {
        dom_printf("dom0-lite: management channel unusable (%d)\n", rc);
    } else if (!rc) {
        dom_printf("dom0-lite: management channel ready\n");
    }
    autostart();
    api_init(&con_api, &control_ops, con_api_write);
    if (!rc) {
        api_init(&mgmt_api, &control_ops, mgmt_api_write);
        mgmt_api.channel_stats = mgmt_api_stats;
        mgmt_api.channel_hold = mgmt_api_hold;
        mgmt_api.write_room = mgmt_write_room;
        mgmt_api.console_history = consoled_history;
        mgmt_api.console_input = consoled_input;
    }
    con_api.console_history = consoled_history; /* console: the API's `console` */
    con_api.console_input = consoled_input;
    consoled_set_tap(console_tap);
    xsdom_init(); /* xenstored, serving the domains running by now (docs/xenstored.md) */
    dom_printf("\ndom0-lite: the Bulkhead control domain; %u configs in the boot bundle.\n"
               "  Type 'help' for the commands, 'list' for the domains, 'create <config>' to "
               "start one;\n"
               "  CTRL-a three times moves the keyboard to the guests and back here.\n",
               cfgs);
    if (started[0]) { /* make run's demo Linux guest: where its shell is */
        dom_printf("  Started at boot: %s; 'console <name>' types to its console.\n", started);
    }
    dom_puts(PROMPT);
}

/* ---- top: a frame every delay_s seconds until a key is typed (or -n frames) ---- */

static void top_tick(void);
static struct d0_timer top_timer = {.fn = top_tick};

static void top_start(void)
{
    if (!d0_timers_init()) {
        dom_printf("top: no timer (VIRQ_TIMER): one frame only\n");
        bh_top_active = false;
        return;
    }
    d0_timer_set(&top_timer, dom_now_ns() + bh_top_request.delay_s * 1000000000ull);
}

static void top_end(void)
{
    bh_top_active = false;
    d0_timer_set(&top_timer, 0);
    dom_puts(PROMPT);
}

static void top_tick(void)
{
    if (!bh_top_active) {
        return;
    }
    dom_puts("\n");
    bh_top_frame(&control_ops, &bh_top_request);
    if (bh_top_request.iterations && bh_top_request.shown >= bh_top_request.iterations) {
        top_end();
        return;
    }
    d0_timer_set(&top_timer, dom_now_ns() + bh_top_request.delay_s * 1000000000ull);
}

static void run_line(void)
{
    sh.line[sh.len] = '\0';
    if (sh.line[0] == '{') {
        sh.line[sh.len] = '\n';
        api_input(&con_api, sh.line, sh.len + 1);
    } else {
        bh_run_line(&control_ops, sh.line);
        xsdom_sync(); /* domains the command created or destroyed */
        api_changed();
    }
    sh.len = 0;
    if (bh_top_active) {
        top_start(); /* the prompt comes back when top ends */
    }
    if (!bh_top_active) {
        dom_puts(PROMPT);
    }
}

/* One typed byte: a small line editor (backspace, CTRL-u, CTRL-c), echoing as it goes. */
static void typed(char c)
{
    if (c == '\n' && sh.cr) {
        sh.cr = false;
        return;
    }
    sh.cr = c == '\r';
    if (c == '\r' || c == '\n') {
        dom_puts("\n");
        run_line();
    } else if (c == 0x7f || c == '\b') {
        if (sh.len) {
            sh.len--;
            dom_puts("\b \b");
        }
    } else if (c == 0x15 || c == 0x03) { /* CTRL-u, CTRL-c: drop the line */
        sh.len = 0;
        dom_puts("^C\n" PROMPT);
    } else if ((unsigned char)c >= 0x20 && c != 0x7f) {
        if (sh.len + 1 < LINE_MAX) {
            sh.line[sh.len++] = c;
            dom_write(&c, 1);
        }
    }
}

void notified(uint32_t port)
{
    if (xsdom_notified(port)) {
        return;
    }
    if (port == sh.con_port) {
        char buf[64];
        long n;

        while ((n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf)) > 0) {
            for (long i = 0; i < n; i++) {
                if (bh_top_active) {
                    top_end(); /* any key ends top (and is not typed) */
                    continue;
                }
                typed(buf[i]);
            }
        }
    } else if (port == sh.exc_port) {
        api_changed(); /* the shutdown / crash, before the on_* policies act */
        builder_dom_exc();
        xsdom_sync();
        api_changed();
    } else if (mgmt_api.ops && port == mgmt_port()) {
        mgmt_input();
    } else if (d0_timers_notified(port)) {
        /* xenstored's ticks, top's frames */
    } else if (consoled_notified(port)) {
        /* a stub's console ring: its guest's lines went out */
    }
}

void fault(const struct dom_fault *f)
{
    dom_printf("dom0-lite: crashed (cause 0x%lx at pc 0x%lx, address 0x%lx); guests run on\n",
               (unsigned long)f->cause, (unsigned long)f->pc, (unsigned long)f->addr);
}
