/* SPDX-License-Identifier: MIT */
/*
 * The board console's input (console/console_input.c, hypercall/console_io.c) and the
 * console labels (console/guest_console.c), against the fake arch: the focus round with
 * CTRL-a x3 (stub domains left out), delivery through the input ring and VIRQ_CONSOLE,
 * CONSOLEIO_read's hostile cases, input nobody reads dropped and counted, the
 * hypervisor's keys, a focused domain that ends, and a stub printing with its target's
 * label.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "core_env.h"

#include <xen/event_channel.h>
#include <xen/xen.h>

#include <bulkhead/console.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (4 * MIB)
#define G(off)    (FAKE_GUEST_RAM_BASE + (off))
#define SWITCH    "\x01\x01\x01"

static uint8_t *ram;
static uint64_t free0;

static int group_setup(void **state)
{
    (void)state;
    console_io_init(); /* once: the keys are registered for good */
    return 0;
}

static void type(const char *s)
{
    console_input_bytes(s, strlen(s));
}

/* Back to the hypervisor's focus, whatever a test left. */
static void focus_hypervisor(void)
{
    for (unsigned i = 0; i < MAX_DOMAINS && console_input_focus(); i++) {
        type(SWITCH);
    }
    assert_int_equal(console_input_focus(), 0);
}

static int setup(void **state)
{
    (void)state;
    ram = core_env_setup(RAM_SIZE, &free0);
    focus_hypervisor();
    fake_console_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
    }
    focus_hypervisor();
    core_env_teardown(ram, free0, true);
    return 0;
}

static struct domain *start(const char *name, enum domain_role role)
{
    struct domain_config cfg = {.name = name, .role = role, .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    pcpus[0].curr = d->vcpus[0];
    return d;
}

static int64_t hc(struct domain *d, uint64_t a0, uint64_t a1, uint64_t a2)
{
    pcpus[0].curr = d->vcpus[0];
    return core_env_hypercall(d->vcpus[0], __HYPERVISOR_console_io, a0, a1, a2);
}

static unsigned unread(struct domain *d)
{
    return d->console.in_prod - d->console.in_cons;
}

/* Focus on @d: switch until it has it (the round is in id order). */
static void focus_on(struct domain *d)
{
    for (unsigned i = 0; i < MAX_DOMAINS && console_input_focus() != d->id; i++) {
        type(SWITCH);
    }
    assert_int_equal(console_input_focus(), d->id);
}

static void test_focus_round_skips_stubs(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    struct domain *s = start("a-stub", ROLE_STUB);
    struct domain *b = start("b", ROLE_GUEST);
    char msg[96];

    (void)state;
    type(SWITCH);
    assert_int_equal(console_input_focus(), a->id);
    snprintf(msg, sizeof(msg), "*** Switching input to d%u (type 'CTRL-a' three times", a->id);
    assert_true(fake_console_contains(msg));
    type(SWITCH);
    assert_int_equal(console_input_focus(), b->id); /* the stub is not in the round */
    type(SWITCH);
    assert_int_equal(console_input_focus(), 0);
    assert_true(fake_console_contains("*** Switching input to the hypervisor"));
    /* CTRL-a once or twice, then another key: the CTRL-as are passed on, not eaten. */
    focus_on(a);
    type("\x01x\x01\x01y");
    assert_int_equal(unread(a), 5);
    assert_memory_equal(a->console.in, "\x01x\x01\x01y", 5);
    assert_int_equal(unread(s), 0);
    assert_int_equal(unread(b), 0);
    /* Split across calls, three CTRL-as still switch. */
    type("\x01");
    type("\x01");
    assert_int_equal(console_input_focus(), a->id);
    type("\x01");
    assert_int_equal(console_input_focus(), b->id);
    domain_destroy(a);
    domain_destroy(s);
    domain_destroy(b);
}

/* CONSOLEIO 0x4248 (`bh console`): the control domain moves the focus to a guest; every
 * other role is refused, a stub or a missing domain is not a focus. CONSOLEIO 0x4249: the
 * control domain's raw write (no label, no wait for the newline), refused to others. */
static void test_control_focus_and_raw_output(void **state)
{
    struct domain *c = start("dom0-lite", ROLE_CONTROL);
    struct domain *g = start("g", ROLE_GUEST);
    struct domain *s = start("g-stub", ROLE_STUB);

    (void)state;
    assert_int_equal(hc(g, 0x4248, g->id, 0), -EPERM);
    assert_int_equal(hc(s, 0x4248, g->id, 0), -EPERM);
    assert_int_equal(console_input_focus(), 0);
    assert_int_equal(hc(c, 0x4248, s->id, 0), -ESRCH);
    assert_int_equal(hc(c, 0x4248, MAX_DOMAINS + 5, 0), -ESRCH);
    assert_int_equal(hc(c, 0x4248, 0xffffffffu, 0), 0); /* the query: the hypervisor's */
    assert_int_equal(hc(g, 0x4248, 0xffffffffu, 0), -EPERM);
    assert_int_equal(hc(c, 0x4248, g->id, 0), 0);
    assert_int_equal(console_input_focus(), g->id);
    assert_int_equal(hc(c, 0x4248, 0xffffffffu, 0), g->id);
    assert_true(fake_console_contains("*** Switching input to d"));
    memcpy(core_env_gpa(c, G(0x3000)), "bh> \x1b", 5);
    assert_int_equal(hc(c, 0x4249, 5, G(0x3000)), 0);
    assert_true(fake_console_contains("bh> ?"));
    assert_int_equal(hc(g, 0x4249, 5, G(0x3000)), -EPERM);
    assert_int_equal(hc(s, 0x4249, 5, G(0x3000)), -EPERM);
    domain_destroy(s);
    domain_destroy(g);
    domain_destroy(c);
}

static void test_delivery_raises_virq_console(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    struct domain *b = start("b", ROLE_GUEST);
    struct evtchn_bind_virq bv = {.virq = VIRQ_CONSOLE, .vcpu = 0};
    struct hypercall h = {.nr = __HYPERVISOR_event_channel_op,
                          .a = {EVTCHNOP_bind_virq, G(0x10000)}};
    struct shared_info *si = pa_va(a->shared_info);
    char *buf = core_env_gpa(a, G(0x3000));

    (void)state;
    memcpy(core_env_gpa(a, G(0x10000)), &bv, sizeof(bv));
    assert_int_equal(hypercall_dispatch(a->vcpus[0], &h), 0);
    memcpy(&bv, core_env_gpa(a, G(0x10000)), sizeof(bv));
    assert_true(bv.port > 0);
    assert_false((si->evtchn_pending[bv.port / 64] >> (bv.port % 64)) & 1);
    focus_on(a);
    type("ls\r");
    assert_true((si->evtchn_pending[bv.port / 64] >> (bv.port % 64)) & 1);
    assert_int_equal(hc(a, CONSOLEIO_read, 64, G(0x3000)), 3);
    assert_memory_equal(buf, "ls\r", 3);
    /* Only the focused domain gets input; b never bound the VIRQ and keeps its bytes. */
    focus_on(b);
    type("for b");
    assert_int_equal(unread(b), 5);
    assert_int_equal(unread(a), 0);
    assert_int_equal(hc(b, CONSOLEIO_read, 64, G(0x3000)), 5);
    domain_destroy(a);
    domain_destroy(b);
}

static void test_read_hostile(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    const uint64_t bad[] = {
        0, 0x10, G(GUEST_RAM), G(GUEST_RAM) + 3 * GIB, UINT64_MAX - 3, (uint64_t)(uintptr_t)ram};
    char *buf = core_env_gpa(a, G(0x3000));

    (void)state;
    focus_on(a);
    type("hello\n");
    /* 0 count: 0, nothing consumed, the pointer not looked at. */
    assert_int_equal(hc(a, CONSOLEIO_read, 0, 0), 0);
    assert_int_equal(unread(a), 6);
    /* Bad pointers, and a buffer running past RAM: -EFAULT, and nothing is lost. */
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(hc(a, CONSOLEIO_read, 6, bad[i]), -EFAULT);
    }
    assert_int_equal(hc(a, CONSOLEIO_read, 6, G(GUEST_RAM - 3)), -EFAULT);
    assert_int_equal(unread(a), 6);
    /* Huge counts (bits above 32 are not the count: Xen's unsigned int) read what is there. */
    assert_int_equal(hc(a, CONSOLEIO_read, UINT32_MAX, G(0x3000)), 6);
    assert_memory_equal(buf, "hello\n", 6);
    assert_int_equal(hc(a, CONSOLEIO_read, 0xffffffff00000004ull, G(0x3000)), 0);
    /* Partial reads keep the order. */
    type("abcdef");
    assert_int_equal(hc(a, CONSOLEIO_read, 2, G(0x3000)), 2);
    assert_int_equal(hc(a, CONSOLEIO_read, 100, G(0x3100)), 4);
    assert_memory_equal(buf, "ab", 2);
    assert_memory_equal(buf + 0x100, "cdef", 4);
    /* An unknown sub-op. */
    assert_int_equal(hc(a, 7, 1, G(0x3000)), -ENOSYS);
    domain_destroy(a);
}

static void test_unread_input_dropped_and_counted(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    char flood[1000];
    char msg[128];

    (void)state;
    memset(flood, 'z', sizeof(flood));
    focus_on(a);
    for (unsigned i = 0; i < 10; i++) {
        console_input_bytes(flood, sizeof(flood));
    }
    assert_int_equal(unread(a), GUEST_CONSOLE_INPUT);
    assert_int_equal(a->console.in_received, 10000);
    assert_int_equal(a->console.in_dropped, 10000 - GUEST_CONSOLE_INPUT);
    /* The drop is reported when the focus moves on; output still works meanwhile. */
    fake_console_reset();
    type(SWITCH);
    snprintf(msg, sizeof(msg), "d%u dropped %u of 10000 input bytes so far", a->id,
             10000 - GUEST_CONSOLE_INPUT);
    assert_true(fake_console_contains(msg));
    /* Reading makes room again. */
    assert_int_equal(hc(a, CONSOLEIO_read, 1000, G(0x3000)), GUEST_CONSOLE_INPUT);
    focus_on(a);
    type("more");
    assert_int_equal(unread(a), 4);
    domain_destroy(a);
}

static void test_focused_domain_ends(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    unsigned id = a->id;
    char msg[96];

    (void)state;
    focus_on(a);
    pcpus[0].curr = NULL;
    domain_destroy(a);
    fake_console_reset();
    type("x");
    snprintf(msg, sizeof(msg), "d%u is gone; input goes back to the hypervisor", id);
    assert_true(fake_console_contains(msg));
    assert_int_equal(console_input_focus(), 0);
}

static void test_hypervisor_keys(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    char msg[96];

    (void)state;
    type("h");
    assert_true(fake_console_contains("'q'  dump domains and vCPUs"));
    type("q");
    snprintf(msg, sizeof(msg), "d%u \"a\" guest running, 4 MiB, 1 vCPU; label (d%u)", a->id, a->id);
    assert_true(fake_console_contains(msg));
    assert_true(fake_console_contains("v0 runnable on cpu"));
    type("m");
    assert_true(fake_console_contains("console: memory: "));
    type("Z\x7f");
    assert_true(fake_console_contains("key 'Z' does nothing here"));
    assert_true(fake_console_contains("key 0x7f does nothing here"));
    /* Keys are taken once; the table is bounded. */
    assert_int_equal(console_register_key('h', "again", NULL), -EEXIST);
    assert_int_equal(console_register_key('q', "again", NULL), -EEXIST);
    domain_destroy(a);
}

static void test_stub_prints_with_targets_label(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    struct domain *s = start("a-stub", ROLE_STUB);
    char *buf = core_env_gpa(s, G(0x3000));
    char want[64], stub_own[64];

    (void)state;
    strcpy(buf, "partial");
    assert_int_equal(hc(s, CONSOLEIO_write, 7, G(0x3000)), 0);
    guest_console_set_label(s, a->id);
    /* The partial line went out under the old label before the change. */
    snprintf(stub_own, sizeof(stub_own), "(d%u) partial\r\n", s->id);
    assert_true(fake_console_contains(stub_own));
    strcpy(buf, "guest line\nsecond");
    assert_int_equal(hc(s, CONSOLEIO_write, 17, G(0x3000)), 0);
    snprintf(want, sizeof(want), "(d%u) guest line\r\n", a->id);
    assert_true(fake_console_contains(want));
    /* Lossless and whole as before: the rest comes out when the stub ends (domain.c
     * closes the console of a domain that dies). */
    guest_console_close(&s->console);
    snprintf(want, sizeof(want), "(d%u) second\r\n", a->id);
    assert_true(fake_console_contains(want));
    pcpus[0].curr = NULL;
    domain_destroy(s);
    domain_destroy(a);
}

/* The domain with the keyboard (by its label: a stub prints for its guest) has a partial
 * line (a shell's prompt) shown at once, prefixed once; the rest of the line follows
 * when it ends. Without the focus the line waits for its end, whole. */
static void test_partial_line_at_the_focus(void **state)
{
    struct domain *a = start("a", ROLE_GUEST);
    struct domain *s = start("a-stub", ROLE_STUB);
    char *buf = core_env_gpa(s, G(0x3000));
    char want[64];

    (void)state;
    guest_console_set_label(s, a->id);
    strcpy(buf, "nofocus# ");
    assert_int_equal(hc(s, CONSOLEIO_write, 9, G(0x3000)), 0);
    assert_false(fake_console_contains("nofocus# "));
    strcpy(buf, "ls\n");
    assert_int_equal(hc(s, CONSOLEIO_write, 3, G(0x3000)), 0);
    snprintf(want, sizeof(want), "(d%u) nofocus# ls\r\n", a->id);
    assert_true(fake_console_contains(want));
    console_input_set_focus(a->id, false);
    strcpy(buf, "lin1# ");
    assert_int_equal(hc(s, CONSOLEIO_write, 6, G(0x3000)), 0);
    snprintf(want, sizeof(want), "(d%u) lin1# ", a->id);
    assert_true(fake_console_contains(want));
    strcpy(buf, "ec");
    assert_int_equal(hc(s, CONSOLEIO_write, 2, G(0x3000)), 0);
    strcpy(buf, "ho hi\n");
    assert_int_equal(hc(s, CONSOLEIO_write, 6, G(0x3000)), 0);
    snprintf(want, sizeof(want), "(d%u) lin1# echo hi\r\n", a->id);
    assert_true(fake_console_contains(want));
    console_input_set_focus(0, false);
    pcpus[0].curr = NULL;
    domain_destroy(s);
    domain_destroy(a);
}

/* Two vCPUs of one domain read at once while input pours in: every byte typed is read
 * exactly once (a read consumes only what it peeked, if nobody took it first). The
 * typing is paced to the ring, so nothing is dropped and the bytes read, counted per
 * value, must be the bytes typed. */
struct reader {
    struct vcpu *v;
    uint64_t buf;
    const uint8_t *host; /* buf, as the test sees it */
    volatile bool *stop;
    uint64_t got;
    uint64_t hist[256];
    int64_t bad_rc;
};

static void *reader_thread(void *arg)
{
    struct reader *r = arg;

    arch_set_this_cpu(&pcpus[r->v->pcpu]);
    for (;;) {
        bool last = __atomic_load_n(r->stop, __ATOMIC_ACQUIRE);
        int64_t rc = core_env_hypercall(r->v, __HYPERVISOR_console_io, CONSOLEIO_read, 37, r->buf);

        if (rc < 0) {
            r->bad_rc = rc;
            return NULL;
        }
        for (int64_t i = 0; i < rc; i++) {
            r->hist[r->host[i]]++;
        }
        r->got += (uint64_t)rc;
        if (last && rc == 0) {
            return NULL;
        }
        if (rc == 0) {
            nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL); /* let input come */
        }
    }
}

static void test_two_vcpus_read_while_input_pours_in(void **state)
{
    struct domain_config cfg = {.name = "two", .ram_size = GUEST_RAM, .nr_vcpus = 2};
    static uint64_t typed_hist[256];
    volatile bool stop = false;
    struct reader r[2];
    pthread_t t[2];
    struct domain *d;
    char chunk[61];
    uint64_t typed = 0;
    uint8_t next = 2;

    (void)state;
    memset(typed_hist, 0, sizeof(typed_hist));
    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    d->vcpus[1]->state = VCPU_RUNNABLE;
    focus_on(d);
    for (unsigned i = 0; i < 2; i++) {
        r[i] = (struct reader){.v = d->vcpus[i], .buf = G(0x20000 + i * 0x1000), .stop = &stop};
        r[i].host = core_env_gpa(d, r[i].buf);
        assert_int_equal(pthread_create(&t[i], NULL, reader_thread, &r[i]), 0);
    }
    for (unsigned round = 0; round < 3000; round++) {
        unsigned n = 1 + round % sizeof(chunk);

        for (unsigned i = 0; i < n; i++) {
            chunk[i] = (char)next; /* 2..252: never CTRL-a */
            typed_hist[next]++;
            next = next == 252 ? 2 : next + 1;
        }
        for (unsigned wait = 0; unread(d) > GUEST_CONSOLE_INPUT - sizeof(chunk); wait++) {
            assert_true(wait < 1000000);
            nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL);
        }
        console_input_bytes(chunk, n);
        typed += n;
    }
    __atomic_store_n(&stop, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].bad_rc, 0);
    }
    arch_set_this_cpu(&pcpus[0]);
    assert_int_equal(d->console.in_received, typed);
    assert_int_equal(d->console.in_dropped, 0);
    assert_int_equal(r[0].got + r[1].got, typed);
    for (unsigned c = 0; c < 256; c++) {
        assert_int_equal(r[0].hist[c] + r[1].hist[c], typed_hist[c]);
    }
    assert_true(r[0].got > 0 && r[1].got > 0);
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
    }
    domain_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_focus_round_skips_stubs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivery_raises_virq_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unread_input_dropped_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_focused_domain_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hypervisor_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_line_at_the_focus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stub_prints_with_targets_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_vcpus_read_while_input_pours_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_focus_and_raw_output, setup, teardown),
    };

    return cmocka_run_group_tests_name("console", tests, group_setup, NULL);
}
