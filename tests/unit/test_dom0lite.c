/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's host-testable parts (docs/dom0-lite.md): the xl.cfg parser and its
 * FILE:LINE: key messages, command-line overrides, cpu lists; the cpio newc bundle reader
 * against good and corrupt archives; the bh command table against a fake back end (xl's
 * list format, unknown domains and commands, usage, back-end errors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../dom0-lite/bundle.h"
#include "../../dom0-lite/cmdtable.h"
#include "../../dom0-lite/xlcfg.h"

#include <xen/errno.h>

static struct xlcfg cfg;
static char err[XLCFG_ERR_MAX];

static int parse(const char *text)
{
    err[0] = '\0';
    return xlcfg_parse("t.cfg", text, strlen(text), &cfg, err);
}

#define BASE "name = \"g\"\nkernel = \"k.bin\"\nmemory = 16\n"

static void test_xlcfg_good(void **state)
{
    (void)state;
    assert_int_equal(
        parse("# c\nname='web-1'  # trailing\nkernel = \"Image\"\nmemory=0x40\n"
              "vcpus = 2\nramdisk = \"rd.cpio\"\nextra = \"console=hvc0 a=\\\"b\\\"\"\n"
              "cpus = [\"0-1\", 3]\nweight = 512\ncap = 150\n"
              "on_poweroff = \"preserve\"\non_reboot = 'destroy'\n"
              "on_crash = \"restart\"\nstubdom = 1\n"),
        0);
    assert_string_equal(cfg.name, "web-1");
    assert_string_equal(cfg.kernel, "Image");
    assert_int_equal(cfg.memory_mib, 64);
    assert_int_equal(cfg.vcpus, 2);
    assert_string_equal(cfg.ramdisk, "rd.cpio");
    assert_string_equal(cfg.extra, "console=hvc0 a=\"b\"");
    assert_int_equal(cfg.cpus, 0xb);
    assert_int_equal(cfg.weight, 512);
    assert_int_equal(cfg.cap, 150);
    assert_int_equal(cfg.on_poweroff, XL_PRESERVE);
    assert_int_equal(cfg.on_reboot, XL_DESTROY);
    assert_int_equal(cfg.on_crash, XL_RESTART);
    /* Defaults: xl's. */
    assert_int_equal(parse(BASE), 0);
    assert_int_equal(cfg.vcpus, 1);
    assert_int_equal(cfg.weight, 256);
    assert_int_equal(cfg.on_poweroff, XL_DESTROY);
    assert_int_equal(cfg.on_reboot, XL_RESTART);
    assert_int_equal(cfg.on_crash, XL_DESTROY);
    assert_int_equal(parse(BASE "cmdline = \"x\"\n"), 0);
    assert_string_equal(cfg.extra, "x");
}

static void test_xlcfg_errors(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {BASE "memory = 32\n", "t.cfg:4: key 'memory': given twice (first at line 3)"},
        {BASE "memory2 = 32\n", "t.cfg:4: key 'memory2': unknown key"},
        {BASE "vcpus = 0\n", "t.cfg:4: key 'vcpus': 0 out of range (1..8)"},
        {BASE "vcpus = \"2\"\n", "t.cfg:4: key 'vcpus': must be an integer"},
        {BASE "weight = 70000\n", "t.cfg:4: key 'weight': 70000 out of range (1..65535)"},
        {BASE "cap = 150\n", "t.cfg: key 'cap': more than 100 per vCPU"},
        {BASE "cpus = \"2-1\"\n", NULL},
        {BASE "cpus = \"64\"\n", NULL},
        {BASE "on_crash = \"coredump\"\n", NULL},
        {BASE "extra = \"abc\n", "t.cfg:4: unterminated string (missing closing quote)"},
        {BASE "extra = \"a\\qb\"\n", "t.cfg:4: bad escape sequence in string"},
        {BASE "extra = abc\n", "t.cfg:4: expected a value (a \"string\", an integer or a [list])"},
        {BASE "vcpus = 12x\n", "t.cfg:4: bad integer (decimal, or hex with 0x)"},
        {BASE "vcpus = 1 2\n",
         "t.cfg:4: key 'vcpus': expected the end of the line after the value"},
        {BASE "vcpus\n", "t.cfg:4: key 'vcpus': expected '=' after the key"},
        {BASE "= 3\n", "t.cfg:4: expected a setting `KEY = VALUE`"},
        {BASE "cpus = [\"1\",\n", "t.cfg:4: unterminated list (the '[' has no ']')"},
        {BASE "name = \"a b\"\n", NULL},
        {"kernel = \"k\"\nmemory = 1\n", "t.cfg: key 'name': missing (required)"},
        {"name = \"a\"\nmemory = 1\n", "t.cfg: key 'kernel': missing (required)"},
        {"name = \"a\"\nkernel = \"k\"\n", "t.cfg: key 'memory': missing (required, MiB)"},
        {BASE "memory = 99999999999999999999999\n", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].text), -1);
        assert_true(strlen(err) > 0);
        if (cases[i].msg) {
            if (strcmp(err, cases[i].msg)) {
                fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].msg);
            }
        }
    }
    /* A NUL inside the text is an error, not the end of the file. */
    assert_int_equal(xlcfg_parse("t.cfg", BASE "extra = \"a\0b\"\n", sizeof(BASE) + 13, &cfg, err),
                     -1);
}

static void test_xlcfg_override(void **state)
{
    (void)state;
    assert_int_equal(parse(BASE), 0);
    assert_int_equal(xlcfg_override("t.cfg", "memory=64", &cfg, err), 0);
    assert_int_equal(cfg.memory_mib, 64);
    assert_int_equal(xlcfg_override("t.cfg", "extra=\"a b\"", &cfg, err), 0);
    assert_string_equal(cfg.extra, "a b");
    assert_int_equal(xlcfg_override("t.cfg", "name=other", &cfg, err), 0);
    assert_string_equal(cfg.name, "other");
    assert_int_equal(xlcfg_override("t.cfg", "cpus=0-1", &cfg, err), 0);
    assert_int_equal(cfg.cpus, 3);
    assert_int_equal(xlcfg_override("t.cfg", "memory=abc", &cfg, err), -1);
    assert_string_equal(err, "t.cfg (command line): key 'memory': must be an integer");
    assert_int_equal(xlcfg_override("t.cfg", "novalue", &cfg, err), -1);
    assert_int_equal(xlcfg_override("t.cfg", "=3", &cfg, err), -1);
    assert_int_equal(xlcfg_override("t.cfg", "bogus=3", &cfg, err), -1);
    assert_string_equal(err, "t.cfg (command line): key 'bogus': unknown key");
}

static void test_cpulist(void **state)
{
    uint64_t m;

    (void)state;
    assert_true(xlcfg_cpulist("0-3,6", &m));
    assert_int_equal(m, 0x4f);
    assert_true(xlcfg_cpulist("all", &m));
    assert_int_equal(m, 0);
    assert_true(xlcfg_cpulist("63", &m));
    assert_int_equal(m, 1ull << 63);
    assert_false(xlcfg_cpulist("", &m));
    assert_false(xlcfg_cpulist("1,", &m));
    assert_false(xlcfg_cpulist("3-1", &m));
    assert_false(xlcfg_cpulist("1-", &m));
    assert_false(xlcfg_cpulist("x", &m));
    assert_false(xlcfg_cpulist("0-64", &m));
}

/* ---- bundle ---- */

static size_t put_entry(uint8_t *out, const char *name, uint32_t mode, const char *data)
{
    size_t nl = strlen(name) + 1, dl = strlen(data), n;

    n = (size_t)sprintf((char *)out, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                        1u, mode, 0u, 0u, 1u, 0u, dl, 0u, 0u, 0u, 0u, nl, 0u);
    memcpy(out + n, name, nl);
    n += nl;
    while (n % 4) {
        out[n++] = 0;
    }
    memcpy(out + n, data, dl);
    n += dl;
    while (n % 4) {
        out[n++] = 0;
    }
    return n;
}

static uint8_t arc[4096];

static size_t build_archive(void)
{
    size_t n = 0;

    memset(arc, 0, sizeof(arc));
    n += put_entry(arc + n, "configs", 040755, "");
    n += put_entry(arc + n, "configs/a.cfg", 0100644, BASE);
    n += put_entry(arc + n, "./k.bin", 0100644, "KERNEL");
    n += put_entry(arc + n, "empty", 0100644, "");
    n += put_entry(arc + n, "TRAILER!!!", 0, "");
    return n;
}

static int count(const struct bundle_file *f, void *ctx)
{
    (void)f;
    (*(int *)ctx)++;
    return 0;
}

static void test_bundle(void **state)
{
    size_t n = build_archive(), bad_at = 0;
    struct bundle b = {arc, n};
    struct bundle_file f;
    int c = 0;

    (void)state;
    assert_int_equal(bundle_walk(&b, count, &c, NULL), 0);
    assert_int_equal(c, 4);
    assert_int_equal(bundle_find(&b, "configs/a.cfg", &f), 0);
    assert_int_equal(f.size, strlen(BASE));
    assert_memory_equal(f.data, BASE, f.size);
    assert_int_equal(bundle_find(&b, "k.bin", &f), 0);
    assert_memory_equal(f.data, "KERNEL", 6);
    assert_int_equal(bundle_find(&b, "/k.bin", &f), 0);
    assert_int_equal(bundle_find(&b, "empty", &f), 0);
    assert_int_equal(f.size, 0);
    assert_int_equal(bundle_find(&b, "configs", &f), -1); /* a directory */
    assert_int_equal(bundle_find(&b, "nothere", &f), -1);
    /* Every truncation is an error, never a read past the end. */
    for (size_t len = 0; len < n; len++) {
        struct bundle t = {arc, len};

        c = 0;
        assert_int_equal(bundle_walk(&t, count, &c, &bad_at), -1);
        assert_true(bad_at <= n);
    }
    /* A bad magic, a bad hex digit, a huge size, a name without its NUL. */
    arc[3] = 'x';
    assert_int_equal(bundle_walk(&b, count, &c, NULL), -1);
    build_archive();
    arc[6 + 8 * 6] = 'g';
    assert_int_equal(bundle_walk(&b, count, &c, NULL), -1);
    build_archive();
    memcpy(arc + 6 + 8 * 6, "FFFFFFFF", 8);
    assert_int_equal(bundle_walk(&b, count, &c, NULL), -1);
    build_archive();
    memcpy(arc + 6 + 8 * 11, "00000003", 8); /* "con": no NUL where the size says */
    assert_int_equal(bundle_walk(&b, count, &c, NULL), -1);
}

/* ---- the command table against a fake back end ---- */

static char outbuf[8192];
static size_t outlen;
static int fake_rc;
static unsigned last_id;
static bool last_flag;

static void out(const char *s, size_t len)
{
    if (outlen + len < sizeof(outbuf)) {
        memcpy(outbuf + outlen, s, len);
        outlen += len;
        outbuf[outlen] = '\0';
    }
}

static int list(struct bh_dom *d, unsigned max)
{
    (void)max;
    if (fake_rc) {
        return fake_rc;
    }
    d[0] = (struct bh_dom){.id = 1,
                           .name = "dom0-lite",
                           .mem_kib = 20480,
                           .vcpus = 1,
                           .flags = BH_DOM_RUNNING,
                           .cpu_ns = 1234567890};
    d[1] = (struct bh_dom){.id = 3,
                           .name = "web",
                           .mem_kib = 65536,
                           .vcpus = 2,
                           .flags = BH_DOM_PAUSED | BH_DOM_BLOCKED,
                           .cpu_ns = 50000000};
    d[2] = (struct bh_dom){.id = 4,
                           .name = "gone",
                           .mem_kib = 1024,
                           .vcpus = 1,
                           .flags = BH_DOM_SHUTDOWN,
                           .shutdown_code = BH_SHUTDOWN_CRASH};
    return 3;
}

static int create(const char *c, unsigned n, char *const ov[], char *e)
{
    (void)ov;
    if (!strcmp(c, "dup")) {
        snprintf(e, BH_ERR_MAX, "a domain named 'web' already exists (d3)");
        return -XEN_EEXIST;
    }
    last_id = n;
    return 0;
}

static int destroy(unsigned id, char *e)
{
    (void)e;
    last_id = id;
    return 0;
}

static int pause_(unsigned id, bool p, char *e)
{
    (void)e;
    last_id = id;
    last_flag = p;
    return -XEN_EBUSY;
}

static int vcpus(unsigned id, struct bh_vcpu *v, unsigned max)
{
    (void)max;
    v[0] = (struct bh_vcpu){
        .id = 0, .cpu = (int)id % 2, .online = true, .running = true, .cpu_ns = 2500000000};
    return 1;
}

static int pin_vcpu;
static uint64_t pin_mask;

static int vcpu_pin(unsigned id, int vcpu, uint64_t mask, char *e)
{
    (void)e;
    last_id = id;
    pin_vcpu = vcpu;
    pin_mask = mask;
    return 0;
}

static int physinfo(struct bh_physinfo *p)
{
    *p = (struct bh_physinfo){4, 62500, 262144, 200000, 4096};
    return 0;
}

static uint64_t uptime(void)
{
    return 3725000000000ull;
}

static const struct bh_ops ops = {
    .out = out,
    .list = list,
    .create = create,
    .destroy = destroy,
    .pause = pause_,
    .vcpus = vcpus,
    .vcpu_pin = vcpu_pin,
    .physinfo = physinfo,
    .uptime_ns = uptime,
    .version = "test",
};

static int run(const char *line)
{
    char buf[256];

    snprintf(buf, sizeof(buf), "%s", line);
    outlen = 0;
    outbuf[0] = '\0';
    return bh_run_line(&ops, buf);
}

static void test_cmdtable(void **state)
{
    (void)state;
    fake_rc = 0;
    assert_int_equal(run("list"), 0);
    assert_string_equal(
        outbuf, "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
                "dom0-lite                                    1    20     1     r-----"
                "       1.2\n"
                "web                                          3    64     2     -bp---"
                "       0.0\n"
                "gone                                         4     1     1     ----c-"
                "       0.0\n");
    assert_int_equal(run("  list   web "), 0);
    assert_non_null(strstr(outbuf, "web "));
    assert_null(strstr(outbuf, "dom0-lite"));
    assert_int_equal(run("destroy web"), 0);
    assert_int_equal(last_id, 3);
    assert_int_equal(run("destroy 4"), 0);
    assert_int_equal(last_id, 4);
    assert_int_equal(run("destroy nope"), 1);
    assert_string_equal(outbuf, "destroy: unknown domain 'nope'\n");
    assert_int_equal(run("pause web"), 1);
    assert_true(last_flag);
    assert_string_equal(outbuf, "pause: busy (-16)\n");
    assert_int_equal(run("create dup"), 1);
    assert_string_equal(outbuf, "create: a domain named 'web' already exists (d3)\n");
    assert_int_equal(run("create a memory=4 \"extra=x y\""), 0);
    assert_int_equal(last_id, 2);
    assert_int_equal(run("create a \"extra=x"), 1);
    assert_string_equal(outbuf, "create: unterminated quote\n");
    assert_int_equal(run("bogus"), 2);
    assert_string_equal(outbuf, "bogus: unknown command; 'help' lists them\n");
    assert_int_equal(run("destroy"), 1);
    assert_string_equal(outbuf, "Usage: destroy <domain>\n  terminate a domain immediately\n");
    assert_int_equal(run("info"), 0);
    assert_non_null(strstr(outbuf, "nr_cpus                : 4\n"));
    assert_non_null(strstr(outbuf, "total_memory           : 1024\n"));
    assert_int_equal(run("uptime"), 0);
    assert_non_null(strstr(outbuf, "Xen                                  - 1:02:05\n"));
    assert_int_equal(run("vcpu-list web"), 0);
    assert_non_null(strstr(outbuf, "web                                  3     0     1   r-- "
                                   "      2.5 all / all\n"));
    /* vcpu-pin: xl's syntax; "all" CPUs are the host's (physinfo: 4). */
    assert_int_equal(run("vcpu-pin web 1 0-1,3"), 0);
    assert_int_equal(last_id, 3);
    assert_int_equal(pin_vcpu, 1);
    assert_int_equal(pin_mask, 0xb);
    assert_int_equal(run("vcpu-pin 3 all all"), 0);
    assert_int_equal(pin_vcpu, -1);
    assert_int_equal(pin_mask, 0xf);
    assert_int_equal(run("vcpu-pin web 2 0"), 1);
    assert_string_equal(outbuf, "vcpu-pin: bad vCPU '2' (0..1 or all)\n");
    assert_int_equal(run("vcpu-pin web 0 5-2"), 1);
    assert_string_equal(outbuf, "vcpu-pin: bad CPU list '5-2' (e.g. 0-3,5 or all)\n");
    assert_int_equal(run("vcpu-pin nobody 0 0"), 1);
    assert_string_equal(outbuf, "vcpu-pin: unknown domain 'nobody'\n");
    assert_int_equal(run("vcpu-pin web 0"), 1);
    assert_int_equal(run("a b c d e f g h i j k l m n o p q r"), 1);
    assert_int_equal(run(""), 0);
    assert_int_equal(run("help"), 0);
    assert_null(strstr(outbuf, "crash-dom0"));
    /* The back end failing: the command says so with its name. */
    fake_rc = -XEN_ENOSYS;
    assert_int_equal(run("list"), 1);
    assert_string_equal(outbuf, "list: not implemented by this hypervisor (-38)\n");
    assert_int_equal(run("destroy web"), 1);
    assert_string_equal(outbuf, "destroy: not implemented by this hypervisor (-38)\n");
    fake_rc = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlcfg_good),     cmocka_unit_test(test_xlcfg_errors),
        cmocka_unit_test(test_xlcfg_override), cmocka_unit_test(test_cpulist),
        cmocka_unit_test(test_bundle),         cmocka_unit_test(test_cmdtable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
