/* SPDX-License-Identifier: MIT */
/*
 * A stateful fake bh back end (struct bh_ops) for the host: the management API's unit
 * test (test_api.c) and the fake server behind `bh --connect` in the toolstack tests
 * (tests/toolstack/api_fake_server.c). Domains are created from a few known configs,
 * paused, shut down, destroyed; fake_fail makes every call fail with that errno.
 * Header-only (static): include it once per program.
 */
#ifndef TESTS_FAKE_BH_H
#define TESTS_FAKE_BH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dom0-lite/cmdtable.h"
#include "../../dom0-lite/xlcfg.h"

#include <xen/errno.h>

struct fake_dom {
    bool used;
    struct bh_dom d;
    unsigned weight, cap;
    uint64_t affinity[XLCFG_MAX_VCPUS];
};

static struct fake_dom fake_doms[BH_MAX_DOMS];
static int fake_fail; /* != 0: every call returns it */
static unsigned fake_next_id;
static void (*fake_out)(const char *s, size_t len);
static char fake_last_focus; /* console: the last domain given the keyboard */

static struct fake_dom *fake_add(const char *name, uint64_t mib, unsigned vcpus, uint32_t flags)
{
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        struct fake_dom *f = &fake_doms[i];

        if (!f->used) {
            memset(f, 0, sizeof(*f));
            f->used = true;
            f->d.id = fake_next_id++;
            snprintf(f->d.name, sizeof(f->d.name), "%s", name);
            f->d.mem_kib = mib * 1024;
            f->d.vcpus = vcpus;
            f->d.flags = flags;
            f->weight = 256;
            return f;
        }
    }
    return NULL;
}

static struct fake_dom *fake_find(unsigned id)
{
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        if (fake_doms[i].used && fake_doms[i].d.id == id) {
            return &fake_doms[i];
        }
    }
    return NULL;
}

/* The domain @id for a call (*@f), or the call's error: fake_fail, -ESRCH. */
static int fake_get(unsigned id, struct fake_dom **f)
{
    *f = fake_find(id);
    return fake_fail ? fake_fail : *f ? 0 : -XEN_ESRCH;
}

/* dom0-lite (d1) and a boot-time guest (echo, d2). */
static void fake_reset(void)
{
    struct fake_dom *f;

    memset(fake_doms, 0, sizeof(fake_doms));
    fake_fail = 0;
    fake_next_id = 1;
    f = fake_add("dom0-lite", 20, 1, BH_DOM_RUNNING);
    f->d.cpu_ns = 1234567890;
    f = fake_add("echo", 16, 1, BH_DOM_BLOCKED);
    f->d.cpu_ns = 50000000;
}

static int fake_list(struct bh_dom *d, unsigned max)
{
    unsigned n = 0;

    if (fake_fail) {
        return fake_fail;
    }
    for (unsigned i = 0; i < BH_MAX_DOMS && n < max; i++) {
        if (fake_doms[i].used) {
            d[n++] = fake_doms[i].d;
        }
    }
    return (int)n;
}

/* Configs: echo (16 MiB), uart (16 MiB and a stub), spinner (64 MiB, 2 vCPUs), crasher
 * (crashes at once, on_crash = preserve); overrides name=, memory=, vcpus=. */
static int fake_create(const char *cfg, unsigned n, char *const ov[], char *err)
{
    char name[BH_NAME_MAX];
    uint64_t mib = 16, used = 0;
    unsigned vcpus = 1;
    bool stub = false, crash = false;
    struct fake_dom *f;

    if (fake_fail) {
        return fake_fail;
    }
    if (!strcmp(cfg, "spinner")) {
        mib = 64;
        vcpus = 2;
    } else if (!strcmp(cfg, "uart")) {
        stub = true;
    } else if (!strcmp(cfg, "crasher")) {
        crash = true;
    } else if (strcmp(cfg, "echo")) {
        snprintf(err, BH_ERR_MAX, "configs/%.64s.cfg: no such config in the boot bundle", cfg);
        return -XEN_ENOENT;
    }
    snprintf(name, sizeof(name), "%s", cfg);
    for (unsigned i = 0; i < n; i++) {
        if (!strncmp(ov[i], "name=", 5) && ov[i][5]) {
            snprintf(name, sizeof(name), "%s", ov[i] + 5);
        } else if (!strncmp(ov[i], "memory=", 7) && atoi(ov[i] + 7) > 0) {
            mib = (uint64_t)atoi(ov[i] + 7);
        } else if (!strncmp(ov[i], "vcpus=", 6) && atoi(ov[i] + 6) > 0 &&
                   atoi(ov[i] + 6) <= XLCFG_MAX_VCPUS) {
            vcpus = (unsigned)atoi(ov[i] + 6);
        } else {
            snprintf(err, BH_ERR_MAX, "configs/%.64s.cfg (command line): bad override '%.64s'", cfg,
                     ov[i]);
            return -XEN_EINVAL;
        }
    }
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        if (fake_doms[i].used && !strcmp(fake_doms[i].d.name, name)) {
            snprintf(err, BH_ERR_MAX, "a domain named '%s' already exists (d%u)", name,
                     fake_doms[i].d.id);
            return -XEN_EEXIST;
        }
        used += fake_doms[i].used ? fake_doms[i].d.mem_kib / 1024 : 0;
    }
    if (used + mib + (stub ? 1 : 0) > 1024) {
        snprintf(err, BH_ERR_MAX, "not enough memory: '%s' needs %lu MiB, %lu MiB free", name,
                 (unsigned long)mib, (unsigned long)(1024 - used));
        return -XEN_ENOMEM;
    }
    f = fake_add(name, mib, vcpus, crash ? BH_DOM_SHUTDOWN : BH_DOM_RUNNING);
    if (!f) {
        return -XEN_ENOSPC;
    }
    f->d.shutdown_code = crash ? BH_SHUTDOWN_CRASH : 0;
    if (stub) {
        char sname[BH_NAME_MAX];
        struct fake_dom *s;

        snprintf(sname, sizeof(sname), "%.60s-dm", name);
        s = fake_add(sname, 1, 1, BH_DOM_BLOCKED);
        f->d.stub_id = s ? s->d.id : 0;
    }
    return (int)f->d.id;
}

static int fake_destroy(unsigned id, char *err)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    (void)err;
    if (rc) {
        return rc;
    }
    if (f->d.stub_id && fake_find(f->d.stub_id)) {
        fake_find(f->d.stub_id)->used = false;
    }
    f->used = false;
    return 0;
}

static int fake_shutdown(unsigned id, bool reboot, char *err)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    (void)err;
    if (rc) {
        return rc;
    }
    f->d.flags = (f->d.flags & ~(BH_DOM_RUNNING | BH_DOM_BLOCKED)) | BH_DOM_SHUTDOWN;
    f->d.shutdown_code = reboot ? 1 : 0;
    return 0;
}

static int fake_pause(unsigned id, bool pause, char *err)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    if (rc) {
        return rc;
    }
    if (id == 1) {
        snprintf(err, BH_ERR_MAX, "dom0-lite does not pause itself");
        return -XEN_EINVAL;
    }
    f->d.flags = pause ? f->d.flags | BH_DOM_PAUSED : f->d.flags & ~BH_DOM_PAUSED;
    return 0;
}

static int fake_vcpus(unsigned id, struct bh_vcpu *v, unsigned max)
{
    struct fake_dom *f;
    unsigned n = 0;
    int rc = fake_get(id, &f);

    if (rc) {
        return rc;
    }
    for (; n < f->d.vcpus && n < max; n++) {
        bool run = (f->d.flags & BH_DOM_RUNNING) && !(f->d.flags & BH_DOM_PAUSED);

        v[n] = (struct bh_vcpu){.id = n,
                                .cpu = run ? (int)((id + n) % 4) : -1,
                                .online = true,
                                .running = run,
                                .blocked = !run,
                                .cpu_ns = f->d.cpu_ns / f->d.vcpus,
                                .affinity = f->affinity[n]};
    }
    return (int)n;
}

static int fake_sched_get(unsigned id, unsigned *weight, unsigned *cap)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    if (rc) {
        return rc;
    }
    *weight = f->weight;
    *cap = f->cap;
    return 0;
}

static int fake_sched_set(unsigned id, int weight, int cap)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    if (rc) {
        return rc;
    }
    if (weight >= 0) {
        f->weight = (unsigned)weight;
    }
    if (cap >= 0) {
        f->cap = (unsigned)cap;
    }
    return 0;
}

static int fake_physinfo(struct bh_physinfo *p)
{
    uint64_t used = 0;

    if (fake_fail) {
        return fake_fail;
    }
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        used += fake_doms[i].used ? fake_doms[i].d.mem_kib / 4 : 0;
    }
    *p = (struct bh_physinfo){4, 62500, 262144, 262144 - used, 4096};
    return 0;
}

static uint64_t fake_uptime(void)
{
    return 3725000000000ull;
}

static int fake_console(unsigned id, char *err)
{
    if (fake_fail) {
        return fake_fail;
    }
    if (!fake_find(id)) {
        return -XEN_ESRCH;
    }
    if (strstr(fake_find(id)->d.name, "-dm")) {
        snprintf(err, BH_ERR_MAX, "d%u has no console of its own (a stub domain?)", id);
        return -XEN_ESRCH;
    }
    fake_last_focus = (char)id;
    return 0;
}

static int fake_vcpu_pin(unsigned id, int vcpu, uint64_t mask, char *err)
{
    struct fake_dom *f;
    int rc = fake_get(id, &f);

    (void)err;
    if (rc) {
        return rc;
    }
    for (unsigned i = 0; i < f->d.vcpus; i++) {
        if (vcpu < 0 || (unsigned)vcpu == i) {
            f->affinity[i] = mask;
        }
    }
    return 0;
}

/* Consoles (for the API's console methods): a domain with a stub has one, which says
 * "d<id> login: " at first; input is taken up to 64 bytes a call (a full ring takes no
 * more) and echoed back through fake_con_echo (api_console_output), with "\r\nok\r\n"
 * after a '\r'; CTRL-d (0x04) powers the domain off (it and its stub are destroyed). */
#define FAKE_CON_IN 64
static void (*fake_con_echo)(unsigned dom, const char *s, size_t len);

static long fake_con_history(unsigned dom, char *buf, size_t max)
{
    struct fake_dom *f = fake_find(dom);
    char h[64];
    int n;

    if (!f || !f->d.stub_id) {
        return -1;
    }
    n = snprintf(h, sizeof(h), "booted\r\n\x01\xff d%u login: ", dom);
    n = (size_t)n < max ? n : (int)max;
    memcpy(buf, h, (size_t)n);
    return n;
}

static long fake_con_input(unsigned dom, const char *buf, size_t len)
{
    struct fake_dom *f = fake_find(dom);
    size_t n = len < FAKE_CON_IN ? len : FAKE_CON_IN;

    if (!f || !f->d.stub_id) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == 0x04) {
            fake_destroy(dom, NULL);
            return (long)(i + 1);
        }
        if (!fake_con_echo) {
            continue;
        }
        fake_con_echo(dom, buf + i, 1);
        if (buf[i] == '\r') {
            fake_con_echo(dom, "\r\nok\r\n", 6);
        }
    }
    return (long)n;
}

static void fake_out_fn(const char *s, size_t len)
{
    if (fake_out) {
        fake_out(s, len);
    }
}

static const struct bh_ops fake_ops = {
    .out = fake_out_fn,
    .list = fake_list,
    .create = fake_create,
    .destroy = fake_destroy,
    .shutdown = fake_shutdown,
    .pause = fake_pause,
    .vcpus = fake_vcpus,
    .sched_get = fake_sched_get,
    .sched_set = fake_sched_set,
    .physinfo = fake_physinfo,
    .uptime_ns = fake_uptime,
    .console = fake_console,
    .vcpu_pin = fake_vcpu_pin,
    .crash = NULL,
    .version = "Bulkhead (Xen 4.17 ABI)",
};

#endif
