/* SPDX-License-Identifier: MIT */
/*
 * The management API server (dom0-lite/api.c, docs/api.md) on the host against a fake
 * bh back end (fake_bh.h): every method, every error, events, the stream (lines split
 * across reads, CRLF, oversized lines) and random / mutated lines with a fixed seed;
 * every answer must be one valid JSON line and the server must answer on.
 */
#include <stdio.h>

#include "unit.h"

#include "../../dom0-lite/api.h"
#include "fake_bh.h"

static struct api_server srv;
static char wbuf[1 << 20];
static size_t wlen;

static void capture(const char *s, size_t len)
{
    assert_true(wlen + len < sizeof(wbuf));
    memcpy(wbuf + wlen, s, len);
    wlen += len;
    wbuf[wlen] = '\0';
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    api_init(&srv, &fake_ops, capture);
    wlen = 0;
    wbuf[0] = '\0';
    return 0;
}

/* Feed @line and its newline; the answer lines (events too). */
static const char *req(const char *line)
{
    wlen = 0;
    wbuf[0] = '\0';
    api_input(&srv, line, strlen(line));
    api_input(&srv, "\n", 1);
    return wbuf;
}

/* Every line of @text is a JSON object (jsmn, strict) and ends with '\n'. */
static int valid_lines(const char *text)
{
    static jsmntok_t t[4096];
    int lines = 0;

    while (*text) {
        const char *nl = strchr(text, '\n');
        jsmn_parser p;

        if (!nl) {
            print_error("no newline: %s\n", text);
        }
        assert_non_null(nl);
        jsmn_init(&p);
        int n = jsmn_parse(&p, text, (size_t)(nl - text), t, 4096);

        if (n <= 0) {
            print_error("not JSON: %.*s\n", (int)(nl - text), text);
        }
        assert_true(n > 0);
        assert_int_equal(t[0].type, JSMN_OBJECT);
        assert_int_equal(api_json_skip(t, n, 0), n);
        assert_int_equal(t[0].end, nl - text);
        text = nl + 1;
        lines++;
    }
    return lines;
}

static void expect(const char *line, const char *answer)
{
    const char *got = req(line);

    if (strcmp(got, answer)) {
        print_error("request  %s\nexpected %sgot      %s", line, answer, got);
        fail();
    }
    valid_lines(got);
}

/* The answer to @line has error code @code (and is the only line). */
static void expect_error(const char *line, const char *id, const char *code)
{
    char prefix[128];
    const char *got = req(line);

    snprintf(prefix, sizeof(prefix), "{\"id\":%s,\"error\":{\"code\":\"%s\",", id, code);
    if (strncmp(got, prefix, strlen(prefix))) {
        print_error("request  %.200s\nexpected %s...\ngot      %s", line, prefix, got);
        fail();
    }
    assert_int_equal(valid_lines(got), 1);
}

static void fake_stats(uint64_t c[4])
{
    c[0] = 100;
    c[1] = 200;
    c[2] = 3;
    c[3] = 1;
}

static bool held;
static void fake_hold(void)
{
    held = true;
}

static void test_info_methods(void **state)
{
    (void)state;
    expect("{\"id\":1,\"method\":\"version\"}",
           "{\"id\":1,\"result\":{\"version\":\"Bulkhead (Xen 4.17 ABI)\",\"api\":1,"
           "\"line_max\":65536}}\n");
    expect("{\"id\": 2, \"method\": \"host-info\", \"params\": {}}",
           "{\"id\":2,\"result\":{\"nr_cpus\":4,\"cpu_khz\":62500,\"total_pages\":262144,"
           "\"free_pages\":252928,\"page_size\":4096,\"total_memory_mib\":1024,"
           "\"free_memory_mib\":988,\"version\":\"Bulkhead (Xen 4.17 ABI)\"}}\n");
    expect("{\"id\":3,\"method\":\"list\"}",
           "{\"id\":3,\"result\":{\"domains\":["
           "{\"domid\":1,\"name\":\"dom0-lite\",\"memory_kib\":20480,\"vcpus\":1,"
           "\"state\":\"r-----\",\"shutdown_reason\":null,\"cpu_time_ns\":1234567890,"
           "\"stub_domid\":null},"
           "{\"domid\":2,\"name\":\"echo\",\"memory_kib\":16384,\"vcpus\":1,"
           "\"state\":\"-b----\",\"shutdown_reason\":null,\"cpu_time_ns\":50000000,"
           "\"stub_domid\":null}]}}\n");
    expect("{\"id\":4,\"method\":\"info\",\"params\":{\"dom\":\"echo\"}}",
           "{\"id\":4,\"result\":{\"domid\":2,\"name\":\"echo\",\"memory_kib\":16384,"
           "\"vcpus\":1,\"state\":\"-b----\",\"shutdown_reason\":null,"
           "\"cpu_time_ns\":50000000,\"stub_domid\":null}}\n");
    assert_non_null(strstr(req("{\"id\":5,\"method\":\"info\",\"params\":{\"dom\":1}}"),
                           "\"name\":\"dom0-lite\""));
    expect("{\"id\":6,\"method\":\"uptime\"}",
           "{\"id\":6,\"result\":{\"uptime_ns\":3725000000000}}\n");
    expect("{\"id\":7,\"method\":\"vcpu-list\",\"params\":{\"dom\":1}}",
           "{\"id\":7,\"result\":{\"vcpus\":[{\"vcpu\":0,\"cpu\":1,\"online\":true,"
           "\"running\":true,\"blocked\":false,\"cpu_time_ns\":1234567890,\"affinity\":0}]}}\n");
    expect("{\"id\":8,\"method\":\"sched-credit\",\"params\":{\"dom\":\"echo\"}}",
           "{\"id\":8,\"result\":{\"weight\":256,\"cap\":0}}\n");
    expect("{\"id\":9,\"method\":\"sched-credit\",\"params\":{\"dom\":\"echo\",\"weight\":512,"
           "\"cap\":50}}",
           "{\"id\":9,\"result\":{\"weight\":512,\"cap\":50}}\n");
    expect("{\"id\":10,\"method\":\"sched-credit\",\"params\":{\"cap\":0,\"dom\":2}}",
           "{\"id\":10,\"result\":{\"weight\":512,\"cap\":0}}\n");
    expect_error("{\"id\":11,\"method\":\"sched-credit\",\"params\":{\"dom\":2,\"weight\":0}}",
                 "11", "invalid-params");
    expect_error("{\"id\":12,\"method\":\"sched-credit\",\"params\":{\"dom\":2,\"cap\":801}}", "12",
                 "invalid-params");
    expect_error("{\"id\":13,\"method\":\"sched-credit\"}", "13", "invalid-params");
    expect_error("{\"id\":14,\"method\":\"console\",\"params\":{\"dom\":\"echo\"}}", "14",
                 "not-supported");
    expect_error("{\"id\":15,\"method\":\"console\",\"params\":{\"dom\":\"nobody\"}}", "15",
                 "unknown-domain");
    expect_error("{\"id\":16,\"method\":\"dmesg\"}", "16", "not-supported");
    expect_error("{\"id\":18,\"method\":\"channel-stats\"}", "18", "not-supported");
    srv.channel_stats = fake_stats;
    expect("{\"id\":19,\"method\":\"channel-stats\"}",
           "{\"id\":19,\"result\":{\"rx_bytes\":100,\"tx_bytes\":200,\"irqs\":3,\"stops\":1,"
           "\"requests\":18,\"errors\":7,\"events\":0}}\n");
    expect_error("{\"id\":20,\"method\":\"channel-hold\"}", "20", "not-supported");
    srv.channel_hold = fake_hold;
    expect("{\"id\":21,\"method\":\"channel-hold\"}",
           "{\"id\":21,\"result\":{\"holding\":true}}\n");
    assert_true(held);
    expect("{\"id\":17,\"method\":\"unsubscribe\"}",
           "{\"id\":17,\"result\":{\"subscribed\":false}}\n");
}

static void test_domain_methods(void **state)
{
    (void)state;
    /* create: the new domain, its stub */
    const char *got = req("{\"id\":1,\"method\":\"create\",\"params\":{\"config\":\"uart\"}}");

    assert_non_null(strstr(got, "{\"id\":1,\"result\":{\"domid\":3,\"name\":\"uart\","));
    assert_non_null(strstr(got, "\"stub_domid\":4}}\n"));
    got = req("{\"id\":2,\"method\":\"create\",\"params\":{\"config\":\"spinner\","
              "\"overrides\":[\"name=s2\",\"memory=32\",\"vcpus=2\"]}}");
    assert_non_null(strstr(got, "\"domid\":5,\"name\":\"s2\",\"memory_kib\":32768,\"vcpus\":2,"));
    assert_string_equal(fake_find(5)->d.name, "s2");
    expect("{\"id\":3,\"method\":\"create\",\"params\":{\"config\":\"uart\"}}",
           "{\"id\":3,\"error\":{\"code\":\"already-exists\",\"message\":\"a domain named "
           "'uart' already exists (d3)\",\"errno\":-17}}\n");
    expect("{\"id\":4,\"method\":\"create\",\"params\":{\"config\":\"nope\"}}",
           "{\"id\":4,\"error\":{\"code\":\"not-found\",\"message\":\"configs/nope.cfg: no "
           "such config in the boot bundle\",\"errno\":-2}}\n");
    expect_error("{\"id\":5,\"method\":\"create\",\"params\":{\"config\":\"echo\","
                 "\"overrides\":[\"bogus\"]}}",
                 "5", "invalid-argument");
    expect_error("{\"id\":6,\"method\":\"create\",\"params\":{\"config\":\"echo\","
                 "\"overrides\":\"name=x\"}}",
                 "6", "invalid-params");
    expect_error("{\"id\":7,\"method\":\"create\",\"params\":{\"config\":\"echo\","
                 "\"overrides\":[1]}}",
                 "7", "invalid-params");
    expect_error("{\"id\":8,\"method\":\"create\",\"params\":{\"config\":\"echo\","
                 "\"overrides\":[\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\","
                 "\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\",\"a=1\"]}}",
                 "8", "invalid-params");
    expect_error("{\"id\":9,\"method\":\"create\",\"params\":{}}", "9", "invalid-params");
    expect_error("{\"id\":10,\"method\":\"create\",\"params\":{\"config\":7}}", "10",
                 "invalid-params");
    expect_error("{\"id\":11,\"method\":\"create\",\"params\":{\"config\":\"big\\u0000\"}}", "11",
                 "invalid-params");
    expect_error("{\"id\":12,\"method\":\"create\",\"params\":{\"config\":\"spinner\","
                 "\"overrides\":[\"memory=2000\",\"name=big\"]}}",
                 "12", "out-of-memory");
    /* the domain verbs, by name or id */
    expect("{\"id\":20,\"method\":\"pause\",\"params\":{\"dom\":\"uart\"}}",
           "{\"id\":20,\"result\":{}}\n");
    assert_true(fake_find(3)->d.flags & BH_DOM_PAUSED);
    expect("{\"id\":21,\"method\":\"resume\",\"params\":{\"dom\":3}}",
           "{\"id\":21,\"result\":{}}\n");
    assert_false(fake_find(3)->d.flags & BH_DOM_PAUSED);
    expect("{\"id\":22,\"method\":\"pause\",\"params\":{\"dom\":3}}",
           "{\"id\":22,\"result\":{}}\n");
    expect("{\"id\":23,\"method\":\"boot\",\"params\":{\"dom\":3}}", "{\"id\":23,\"result\":{}}\n");
    assert_false(fake_find(3)->d.flags & BH_DOM_PAUSED);
    expect("{\"id\":24,\"method\":\"pause\",\"params\":{\"dom\":\"dom0-lite\"}}",
           "{\"id\":24,\"error\":{\"code\":\"invalid-argument\",\"message\":\"dom0-lite does "
           "not pause itself\",\"errno\":-22}}\n");
    expect("{\"id\":25,\"method\":\"reboot\",\"params\":{\"dom\":\"s2\"}}",
           "{\"id\":25,\"result\":{}}\n");
    assert_int_equal(fake_find(5)->d.shutdown_code, 1);
    expect("{\"id\":26,\"method\":\"shutdown\",\"params\":{\"dom\":\"echo\"}}",
           "{\"id\":26,\"result\":{}}\n");
    assert_true(fake_find(2)->d.flags & BH_DOM_SHUTDOWN);
    assert_non_null(strstr(req("{\"id\":27,\"method\":\"info\",\"params\":{\"dom\":2}}"),
                           "\"state\":\"---s--\",\"shutdown_reason\":\"poweroff\","
                           "\"shutdown_code\":0,"));
    expect("{\"id\":28,\"method\":\"destroy\",\"params\":{\"dom\":\"uart\"}}",
           "{\"id\":28,\"result\":{}}\n");
    assert_null(fake_find(3));
    assert_null(fake_find(4)); /* its stub too */
    expect("{\"id\":29,\"method\":\"destroy\",\"params\":{\"dom\":3}}",
           "{\"id\":29,\"error\":{\"code\":\"unknown-domain\",\"message\":\"unknown domain "
           "3\"}}\n");
    expect_error("{\"id\":30,\"method\":\"destroy\",\"params\":{\"dom\":\"uart\"}}", "30",
                 "unknown-domain");
    expect_error("{\"id\":31,\"method\":\"destroy\",\"params\":{\"dom\":-1}}", "31",
                 "invalid-params");
    expect_error("{\"id\":32,\"method\":\"destroy\",\"params\":{\"dom\":true}}", "32",
                 "invalid-params");
    expect_error("{\"id\":33,\"method\":\"destroy\"}", "33", "invalid-params");
    expect_error("{\"id\":34,\"method\":\"destroy\",\"params\":{\"domid\":1}}", "34",
                 "invalid-params");
    /* vcpu-pin */
    expect("{\"id\":40,\"method\":\"vcpu-pin\",\"params\":{\"dom\":\"s2\",\"vcpu\":1,"
           "\"cpus\":\"0-1,3\"}}",
           "{\"id\":40,\"result\":{}}\n");
    assert_int_equal(fake_find(5)->affinity[1], 0xb);
    assert_int_equal(fake_find(5)->affinity[0], 0);
    expect("{\"id\":41,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"vcpu\":\"all\","
           "\"cpus\":\"all\"}}",
           "{\"id\":41,\"result\":{}}\n");
    assert_int_equal(fake_find(5)->affinity[0], 0xf);
    assert_non_null(strstr(req("{\"id\":42,\"method\":\"vcpu-list\",\"params\":{\"dom\":5}}"),
                           "\"affinity\":15}"));
    expect_error("{\"id\":43,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"vcpu\":2,"
                 "\"cpus\":\"0\"}}",
                 "43", "invalid-params");
    expect_error("{\"id\":44,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"vcpu\":0,"
                 "\"cpus\":\"5-2\"}}",
                 "44", "invalid-params");
    expect_error("{\"id\":45,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"vcpu\":0}}", "45",
                 "invalid-params");
    expect_error("{\"id\":46,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"cpus\":\"1\"}}", "46",
                 "invalid-params");
    expect_error("{\"id\":47,\"method\":\"vcpu-pin\",\"params\":{\"dom\":5,\"vcpu\":\"some\","
                 "\"cpus\":\"1\"}}",
                 "47", "invalid-params");
    /* the back end failing */
    fake_fail = -XEN_ENOSYS;
    expect("{\"id\":50,\"method\":\"list\"}",
           "{\"id\":50,\"error\":{\"code\":\"not-implemented\",\"message\":\"not implemented by "
           "this hypervisor (-38)\",\"errno\":-38}}\n");
    expect_error("{\"id\":51,\"method\":\"host-info\"}", "51", "not-implemented");
    expect_error("{\"id\":52,\"method\":\"destroy\",\"params\":{\"dom\":1}}", "52",
                 "not-implemented");
    expect_error("{\"id\":53,\"method\":\"create\",\"params\":{\"config\":\"echo\"}}", "53",
                 "not-implemented");
    fake_fail = 0;
}

static void test_events(void **state)
{
    const char *got;

    (void)state;
    /* nothing unless subscribed */
    expect("{\"id\":1,\"method\":\"create\",\"params\":{\"config\":\"echo\",\"overrides\":"
           "[\"name=e1\"]}}",
           "{\"id\":1,\"result\":{\"domid\":3,\"name\":\"e1\",\"memory_kib\":16384,\"vcpus\":1,"
           "\"state\":\"r-----\",\"shutdown_reason\":null,\"cpu_time_ns\":0,\"stub_domid\":"
           "null}}\n");
    expect("{\"id\":2,\"method\":\"subscribe\"}",
           "{\"id\":2,\"result\":{\"subscribed\":true,\"events\":[\"domain-started\","
           "\"domain-paused\",\"domain-resumed\",\"domain-shutdown\",\"domain-crashed\","
           "\"domain-destroyed\"]}}\n");
    /* the answer first, then the events the request caused */
    expect("{\"id\":3,\"method\":\"create\",\"params\":{\"config\":\"uart\"}}",
           "{\"id\":3,\"result\":{\"domid\":4,\"name\":\"uart\",\"memory_kib\":16384,\"vcpus\":1,"
           "\"state\":\"r-----\",\"shutdown_reason\":null,\"cpu_time_ns\":0,\"stub_domid\":5}}\n"
           "{\"event\":\"domain-started\",\"domid\":4,\"name\":\"uart\"}\n"
           "{\"event\":\"domain-started\",\"domid\":5,\"name\":\"uart-dm\"}\n");
    expect("{\"id\":4,\"method\":\"pause\",\"params\":{\"dom\":\"e1\"}}",
           "{\"id\":4,\"result\":{}}\n"
           "{\"event\":\"domain-paused\",\"domid\":3,\"name\":\"e1\"}\n");
    expect("{\"id\":5,\"method\":\"resume\",\"params\":{\"dom\":\"e1\"}}",
           "{\"id\":5,\"result\":{}}\n"
           "{\"event\":\"domain-resumed\",\"domid\":3,\"name\":\"e1\"}\n");
    expect("{\"id\":6,\"method\":\"shutdown\",\"params\":{\"dom\":\"e1\"}}",
           "{\"id\":6,\"result\":{}}\n"
           "{\"event\":\"domain-shutdown\",\"domid\":3,\"name\":\"e1\",\"reason\":\"poweroff\"}\n");
    expect("{\"id\":7,\"method\":\"destroy\",\"params\":{\"dom\":\"uart\"}}",
           "{\"id\":7,\"result\":{}}\n"
           "{\"event\":\"domain-destroyed\",\"domid\":4,\"name\":\"uart\"}\n"
           "{\"event\":\"domain-destroyed\",\"domid\":5,\"name\":\"uart-dm\"}\n");
    got = req("{\"id\":8,\"method\":\"create\",\"params\":{\"config\":\"crasher\"}}");
    assert_non_null(strstr(got, "\"state\":\"----c-\",\"shutdown_reason\":\"crash\""));
    assert_non_null(strstr(got, "}}\n{\"event\":\"domain-started\",\"domid\":6,\"name\":"
                                "\"crasher\"}\n{\"event\":\"domain-crashed\",\"domid\":6,"
                                "\"name\":\"crasher\",\"reason\":\"crash\"}\n"));
    /* a change from elsewhere (the shell, VIRQ_DOM_EXC): api_domains_changed() */
    wlen = 0;
    fake_find(2)->d.flags |= BH_DOM_SHUTDOWN;
    fake_find(2)->d.shutdown_code = 1;
    api_domains_changed(&srv);
    assert_string_equal(wbuf, "{\"event\":\"domain-shutdown\",\"domid\":2,\"name\":\"echo\","
                              "\"reason\":\"reboot\"}\n");
    /* the same id again with another name: the old one went, a new one came */
    wlen = 0;
    wbuf[0] = '\0';
    snprintf(fake_find(2)->d.name, BH_NAME_MAX, "echo2");
    api_domains_changed(&srv);
    assert_string_equal(wbuf, "{\"event\":\"domain-destroyed\",\"domid\":2,\"name\":\"echo\"}\n"
                              "{\"event\":\"domain-started\",\"domid\":2,\"name\":\"echo2\"}\n"
                              "{\"event\":\"domain-shutdown\",\"domid\":2,\"name\":\"echo2\","
                              "\"reason\":\"reboot\"}\n");
    /* a dying domain (destroyed, memory not all back) is gone; its name may be lost */
    wlen = 0;
    wbuf[0] = '\0';
    fake_find(2)->d.flags |= BH_DOM_DYING;
    snprintf(fake_find(2)->d.name, BH_NAME_MAX, "d2");
    api_domains_changed(&srv);
    fake_find(2)->used = false;
    api_domains_changed(&srv);
    assert_string_equal(wbuf, "{\"event\":\"domain-destroyed\",\"domid\":2,\"name\":\"echo2\"}\n");
    /* a back end that fails: no events, no crash */
    wlen = 0;
    wbuf[0] = '\0';
    fake_fail = -XEN_EPERM;
    api_domains_changed(&srv);
    assert_string_equal(wbuf, "");
    fake_fail = 0;
    /* a new client: no subscription */
    api_reset(&srv);
    expect("{\"id\":9,\"method\":\"destroy\",\"params\":{\"dom\":\"e1\"}}",
           "{\"id\":9,\"result\":{}}\n");
    assert_true(srv.events >= 9);
}

static void test_malformed(void **state)
{
    (void)state;
    expect("hello", "{\"id\":null,\"error\":{\"code\":\"parse-error\",\"message\":\"not JSON "
                    "(invalid)\"}}\n");
    expect_error("{\"id\":1,\"method\":\"list\"", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\"}}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\"} {}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\"} x", "null", "parse-error");
    expect_error("[1,2]", "null", "invalid-request");
    expect_error("42", "null", "parse-error"); /* strict jsmn: a bare number is incomplete */
    expect_error("\"list\"", "null", "invalid-request");
    expect_error("{}", "null", "invalid-request");
    expect_error("{\"method\":\"list\"}", "null", "invalid-request");
    expect_error("{\"id\":-1,\"method\":\"list\"}", "null", "invalid-request");
    expect_error("{\"id\":1.5,\"method\":\"list\"}", "null", "invalid-request");
    expect_error("{\"id\":\"1\",\"method\":\"list\"}", "null", "invalid-request");
    expect_error("{\"id\":9007199254740992,\"method\":\"list\"}", "null", "invalid-request");
    expect_error("{\"id\":01,\"method\":\"list\"}", "null", "parse-error");
    expect_error("{\"id\":9007199254740991}", "9007199254740991", "invalid-request");
    expect_error("{\"id\":1,\"method\":7}", "1", "invalid-request");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":[]}", "1", "invalid-request");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":\"x\"}", "1", "invalid-request");
    expect_error("{\"id\":1,\"method\":\"list\",\"extra\":1}", "null", "invalid-request");
    expect_error("{\"id\":1,\"id\":2,\"method\":\"list\"}", "null", "invalid-request");
    expect("{\"id\":1,\"method\":\"frob\"}",
           "{\"id\":1,\"error\":{\"code\":\"unknown-method\",\"message\":\"unknown method "
           "'frob'\"}}\n");
    expect_error("{\"id\":1,\"method\":\"a-method-name-much-longer-than-thirty-one-bytes\"}", "1",
                 "invalid-request");
    expect("{\"id\":1,\"method\":\"list\",\"params\":{\"all\":true}}",
           "{\"id\":1,\"error\":{\"code\":\"invalid-params\",\"message\":\"list: unknown "
           "parameter 'all'; it takes none\"}}\n");
    expect_error("{\"id\":1,\"method\":\"info\",\"params\":{\"dom\":1,\"dom\":2}}", "1",
                 "invalid-params");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":{1:2}}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"li\\u0000st\"}", "1", "invalid-request");
    expect_error("{\"id\":1,\"method\":\"\\x\"}", "null", "parse-error");
    expect_error("{\"id\":tru,\"method\":\"list\"}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":{\"x\":1.}}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":{\"x\":-01}}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":{\"x\":1e}}", "null", "parse-error");
    expect_error("{\"id\":1,\"method\":\"list\",\"params\":{\"x\":-1.5e+3}}", "1",
                 "invalid-params"); /* valid JSON, a parameter list takes none */
    /* binary garbage, a NUL inside the line */
    static const char bin[] = {'{', '"', 'i', 'd', '"', ':', '1', 0, ',', '\x01', '\xff', '}'};

    wlen = 0;
    api_input(&srv, bin, sizeof(bin));
    api_input(&srv, "\n", 1);
    assert_non_null(strstr(wbuf, "\"code\":\"parse-error\""));
    assert_non_null(strstr(wbuf, "control byte 0x00 at offset 7"));
    /* too many tokens */
    char big[4096];
    size_t o =
        (size_t)snprintf(big, sizeof(big), "{\"id\":1,\"method\":\"list\",\"params\":{\"x\":[");

    for (int i = 0; i < 200; i++) {
        o += (size_t)snprintf(big + o, sizeof(big) - o, "%s1", i ? "," : "");
    }
    snprintf(big + o, sizeof(big) - o, "]}}");
    expect_error(big, "null", "invalid-request");
    assert_non_null(strstr(wbuf, "too many JSON tokens"));
    /* deep nesting */
    memset(big, '[', 3000);
    big[3000] = '\0';
    expect_error(big, "null", "invalid-request");
    /* non-ASCII in strings: answered, quoted as '?' */
    expect("{\"id\":1,\"method\":\"info\",\"params\":{\"dom\":\"\xc3\xa9t\xc3\xa9\"}}",
           "{\"id\":1,\"error\":{\"code\":\"unknown-domain\",\"message\":\"unknown domain "
           "'?\?t?\?'\"}}\n");
    expect("{\"id\":1,\"method\":\"info\",\"params\":{\"dom\":\"a\\\"b\\u00e9\\n\"}}",
           "{\"id\":1,\"error\":{\"code\":\"unknown-domain\",\"message\":\"unknown domain "
           "'a\\\"b?\?\\n'\"}}\n");
    /* the server is still there */
    expect("{\"id\":99,\"method\":\"uptime\"}",
           "{\"id\":99,\"result\":{\"uptime_ns\":3725000000000}}\n");
    assert_int_equal(srv.errors, srv.requests - 1);
}

static void test_stream(void **state)
{
    static char line[API_LINE_MAX + 64];
    const char *r = "{\"id\":7,\"method\":\"uptime\"}\n";
    const char *answer = "{\"id\":7,\"result\":{\"uptime_ns\":3725000000000}}\n";

    (void)state;
    /* byte by byte */
    wlen = 0;
    for (size_t i = 0; i < strlen(r); i++) {
        api_input(&srv, r + i, 1);
        assert_true(wlen == 0 || i == strlen(r) - 1);
    }
    assert_string_equal(wbuf, answer);
    /* two in one read, CRLF, empty and blank lines (no answer) */
    wlen = 0;
    const char *two = "\n   \r\n{\"id\":7,\"method\":\"uptime\"}\r\n{\"id\":7,\"method\":"
                      "\"uptime\"}\n\n";

    api_input(&srv, two, strlen(two));
    assert_int_equal(wlen, 2 * strlen(answer));
    /* the longest line there may be, padded with spaces, is answered */
    memset(line, ' ', API_LINE_MAX);
    memcpy(line, "{\"id\":7,\"method\":\"uptime\"}", 26);
    line[API_LINE_MAX] = '\0';
    expect(line, answer);
    /* one byte more: one error (id null), the rest of the line dropped, then on as before */
    line[API_LINE_MAX] = ' ';
    line[API_LINE_MAX + 1] = '\0';
    expect("", ""); /* nothing pending */
    wlen = 0;
    for (size_t i = 0; i <= API_LINE_MAX; i += 1000) {
        api_input(&srv, line + i, API_LINE_MAX + 1 - i < 1000 ? API_LINE_MAX + 1 - i : 1000);
    }
    for (int i = 0; i < 100; i++) { /* a megabyte more of the same line */
        api_input(&srv, line, 10000);
    }
    api_input(&srv, "\n", 1);
    assert_string_equal(wbuf, "{\"id\":null,\"error\":{\"code\":\"line-too-long\",\"message\":"
                              "\"a request line is at most 65536 bytes\"}}\n");
    expect("{\"id\":7,\"method\":\"uptime\"}", answer);
    /* an oversized line with its newline in the same read, a request after it */
    static char two_lines[API_LINE_MAX + 128];

    memset(two_lines, 'x', API_LINE_MAX + 10);
    two_lines[API_LINE_MAX + 10] = '\n';
    memcpy(two_lines + API_LINE_MAX + 11, r, strlen(r));
    wlen = 0;
    api_input(&srv, two_lines, API_LINE_MAX + 11 + strlen(r));
    assert_non_null(strstr(wbuf, "line-too-long"));
    assert_non_null(strstr(wbuf, "}}\n{\"id\":7,\"result\""));
}

static void test_fuzz(void **state)
{
    static const char *const seeds[] = {
        "{\"id\":1,\"method\":\"create\",\"params\":{\"config\":\"echo\",\"overrides\":"
        "[\"name=f\",\"memory=8\"]}}",
        "{\"id\":2,\"method\":\"vcpu-pin\",\"params\":{\"dom\":\"echo\",\"vcpu\":\"all\","
        "\"cpus\":\"0-3\"}}",
        "{\"id\":3,\"method\":\"sched-credit\",\"params\":{\"dom\":2,\"weight\":9}}",
        "{\"id\":4,\"method\":\"list\"}",
        "{\"id\":5,\"method\":\"destroy\",\"params\":{\"dom\":\"f\"}}",
        "{\"id\":6,\"method\":\"subscribe\"}",
        "{\"id\":7,\"method\":\"info\",\"params\":{\"dom\":\"\\u00e9\\\"\"}}",
    };
    static const char alphabet[] = "{}[]\":,\\ 0123456789-.eEtrufalsn\"idmethodparams\x01\xff\n";
    uint64_t rng = 0x5eed5eed1234ull;
    char buf[512];
    unsigned answered = 0;

    (void)state;
    for (int round = 0; round < 30000; round++) {
        size_t n;
        unsigned kind = (unsigned)(unit_rand(&rng) % 3);

        if (kind == 0) { /* random bytes */
            n = unit_rand(&rng) % 200;
            for (size_t i = 0; i < n; i++) {
                buf[i] = (char)unit_rand(&rng);
            }
        } else if (kind == 1) { /* JSON-ish symbols */
            n = unit_rand(&rng) % 200;
            for (size_t i = 0; i < n; i++) {
                buf[i] = alphabet[unit_rand(&rng) % (sizeof(alphabet) - 1)];
            }
        } else { /* a valid request, mutated */
            const char *s = seeds[unit_rand(&rng) % (sizeof(seeds) / sizeof(seeds[0]))];

            n = strlen(s);
            memcpy(buf, s, n);
            for (unsigned m = (unsigned)(unit_rand(&rng) % 4); m > 0; m--) {
                size_t at = unit_rand(&rng) % n;
                unsigned op = (unsigned)(unit_rand(&rng) % 3);

                if (op == 0) {
                    buf[at] = alphabet[unit_rand(&rng) % (sizeof(alphabet) - 1)];
                } else if (op == 1 && n > 1) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                } else if (n + 1 < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = alphabet[unit_rand(&rng) % (sizeof(alphabet) - 1)];
                    n++;
                }
            }
        }
        /* fed in random pieces, then a newline */
        wlen = 0;
        wbuf[0] = '\0';
        for (size_t i = 0; i < n;) {
            size_t k = 1 + unit_rand(&rng) % 16;

            k = k > n - i ? n - i : k;
            api_input(&srv, buf + i, k);
            i += k;
        }
        api_input(&srv, "\n", 1);
        valid_lines(wbuf);
        answered += wlen > 0;
    }
    assert_true(answered > 20000);
    expect("{\"id\":99,\"method\":\"uptime\"}",
           "{\"id\":99,\"result\":{\"uptime_ns\":3725000000000}}\n");
}

/* The command table prints what create made (its autostart in dom0-lite too). */
static char outb[256];
static size_t outl;
static void out_capture(const char *s, size_t len)
{
    memcpy(outb + outl, s, len);
    outl += len;
    outb[outl] = '\0';
}

static void con_echo(unsigned dom, const char *s, size_t len)
{
    api_console_output(&srv, dom, s, len);
}

static size_t room = (size_t)-1;
static size_t fake_room(void)
{
    return room;
}

/* console, console-input, console-detach: history, output events (any byte, split into
 * lines of at most API_CON_OUT), input taken, drops when the transport has no room, the
 * domain going away, every error. */
static void test_console(void **state)
{
    static char big[3 * API_CON_OUT];
    const char *got;

    (void)state;
    srv.console_history = fake_con_history;
    srv.console_input = fake_con_input;
    fake_con_echo = con_echo;
    expect("{\"id\":1,\"method\":\"create\",\"params\":{\"config\":\"uart\"}}",
           "{\"id\":1,\"result\":{\"domid\":3,\"name\":\"uart\",\"memory_kib\":16384,"
           "\"vcpus\":1,\"state\":\"r-----\",\"shutdown_reason\":null,\"cpu_time_ns\":0,"
           "\"stub_domid\":4}}\n");
    /* errors: unknown domain, no console (no stub), bad data, not attached */
    expect_error("{\"id\":2,\"method\":\"console\",\"params\":{\"dom\":\"nobody\"}}", "2",
                 "unknown-domain");
    expect("{\"id\":3,\"method\":\"console\",\"params\":{\"dom\":\"echo\"}}",
           "{\"id\":3,\"error\":{\"code\":\"no-console\",\"message\":\"d2 (echo) has no "
           "console that dom0-lite serves (no stub domain: its output goes to the board "
           "console)\"}}\n");
    expect_error("{\"id\":4,\"method\":\"console-input\",\"params\":{\"dom\":2,\"data\":\"x\"}}",
                 "4", "no-console");
    expect_error("{\"id\":5,\"method\":\"console-detach\"}", "5", "not-attached");
    expect_error("{\"id\":6,\"method\":\"console\"}", "6", "invalid-params");
    expect_error("{\"id\":7,\"method\":\"console\",\"params\":{\"dom\":3,\"x\":1}}", "7",
                 "invalid-params");
    for (unsigned i = 0; i < 6; i++) {
        static const char *const bad[] = {
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"dom\":3}}",
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":1}}",
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":\"\\u0100\"}}",
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":null}}",
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":[\"a\"]}}",
            "{\"id\":8,\"method\":\"console-input\",\"params\":{\"data\":\"a\"}}",
        };
        expect_error(bad[i], "8", "invalid-params");
    }
    memset(big, 'a', API_CON_IN_MAX + 1);
    snprintf(big + API_CON_IN_MAX + 1, 64, "\"}}");
    {
        static char line[2 * API_CON_OUT];

        snprintf(line, sizeof(line),
                 "{\"id\":9,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":\"%.1100s",
                 big);
        expect_error(line, "9", "invalid-params"); /* 1025 bytes */
    }
    /* attach: the history, every byte as one code point */
    expect("{\"id\":10,\"method\":\"console\",\"params\":{\"dom\":\"uart\"}}",
           "{\"id\":10,\"result\":{\"domid\":3,\"name\":\"uart\",\"history\":"
           "\"booted\\r\\n\\u0001\\u00ff d3 login: \"}}\n");
    /* input: taken, echoed as events before the answer (the fake echoes at once) */
    expect("{\"id\":11,\"method\":\"console-input\",\"params\":{\"dom\":3,\"data\":"
           "\"\\u0000\\r\"}}",
           "{\"event\":\"console\",\"domid\":3,\"data\":\"\\u0000\"}\n"
           "{\"event\":\"console\",\"domid\":3,\"data\":\"\\r\"}\n"
           "{\"event\":\"console\",\"domid\":3,\"data\":\"\\r\\nok\\r\\n\"}\n"
           "{\"id\":11,\"result\":{\"taken\":2}}\n");
    /* a full ring takes part: 64 of 100 */
    fake_con_echo = NULL;
    memset(big, 'b', 100);
    big[100] = '\0';
    {
        static char line[512];

        snprintf(line, sizeof(line),
                 "{\"id\":12,\"method\":\"console-input\",\"params\":{\"dom\":\"uart\","
                 "\"data\":\"%.100s\"}}",
                 big);
        expect(line, "{\"id\":12,\"result\":{\"taken\":64}}\n");
    }
    /* output of another domain: nothing; a long chunk of binary: several events of at most
     * API_CON_OUT bytes, every byte back */
    wlen = 0;
    api_console_output(&srv, 2, "x", 1);
    assert_int_equal(wlen, 0);
    for (unsigned i = 0; i < sizeof(big); i++) {
        big[i] = (char)(i * 7);
    }
    api_console_output(&srv, 3, big, sizeof(big));
    {
        static jsmntok_t t[16];
        static char bytes[sizeof(big)];
        size_t have = 0;
        int lines = valid_lines(wbuf);

        assert_true(lines >= 3); /* 12 KiB, most of it escaped: over 40 KiB of text */
        for (const char *p = wbuf; *p;) {
            const char *nl = strchr(p, '\n');
            jsmn_parser jp;
            int n, d;

            assert_true(nl - p <= API_CON_OUT);
            jsmn_init(&jp);
            n = jsmn_parse(&jp, p, (size_t)(nl - p), t, 16);
            d = api_json_member(p, t, n, 0, "data");
            assert_true(d > 0);
            have += (size_t)api_json_bytes(p, &t[d], bytes + have, sizeof(bytes) - have);
            p = nl + 1;
        }
        assert_int_equal(have, sizeof(big));
        assert_memory_equal(bytes, big, sizeof(big));
    }
    /* a transport without room: dropped, counted in the next event */
    srv.write_room = fake_room;
    room = 100;
    wlen = 0;
    api_console_output(&srv, 3, "lost", 4);
    api_console_output(&srv, 3, "lost too", 8);
    assert_int_equal(wlen, 0);
    room = 4096;
    api_console_output(&srv, 3, "back", 4);
    assert_string_equal(wbuf, "{\"event\":\"console\",\"domid\":3,\"dropped\":12,\"data\":"
                              "\"back\"}\n");
    assert_int_equal(srv.con_lost, 12);
    wlen = 0;
    api_console_output(&srv, 3, "on", 2);
    assert_string_equal(wbuf, "{\"event\":\"console\",\"domid\":3,\"data\":\"on\"}\n");
    srv.write_room = NULL;
    /* detach; again: not attached; attach, another console (a second uart), its history */
    expect("{\"id\":13,\"method\":\"console-detach\"}", "{\"id\":13,\"result\":{\"domid\":3}}\n");
    wlen = 0;
    api_console_output(&srv, 3, "x", 1);
    assert_int_equal(wlen, 0);
    expect_error("{\"id\":14,\"method\":\"console-detach\"}", "14", "not-attached");
    got = req("{\"id\":15,\"method\":\"create\",\"params\":{\"config\":\"uart\","
              "\"overrides\":[\"name=u2\"]}}");
    assert_non_null(strstr(got, "\"domid\":5"));
    assert_non_null(
        strstr(req("{\"id\":16,\"method\":\"console\",\"params\":{\"dom\":3}}"), "d3 login"));
    assert_non_null(
        strstr(req("{\"id\":17,\"method\":\"console\",\"params\":{\"dom\":5}}"), "d5 login"));
    wlen = 0;
    api_console_output(&srv, 3, "x", 1);
    assert_int_equal(wlen, 0);
    /* the domain goes away (CTRL-d powers the fake off): console-detached, once, unasked */
    fake_con_echo = con_echo;
    expect("{\"id\":18,\"method\":\"console-input\",\"params\":{\"dom\":5,\"data\":\"\\u0004\"}}",
           "{\"id\":18,\"result\":{\"taken\":1}}\n"
           "{\"event\":\"console-detached\",\"domid\":5,\"name\":\"u2\","
           "\"reason\":\"domain-gone\"}\n");
    expect_error("{\"id\":19,\"method\":\"console-detach\"}", "19", "not-attached");
    /* a new client on the stream starts detached */
    req("{\"id\":20,\"method\":\"console\",\"params\":{\"dom\":3}}");
    api_reset(&srv);
    expect_error("{\"id\":21,\"method\":\"console-detach\"}", "21", "not-attached");
}

static void test_print_created(void **state)
{
    char line[64];

    (void)state;
    fake_out = out_capture;
    outl = 0;
    snprintf(line, sizeof(line), "create uart");
    assert_int_equal(bh_run_line(&fake_ops, line), 0);
    assert_string_equal(outb, "create: uart is d3 (stub d4)\n");
    outl = 0;
    snprintf(line, sizeof(line), "create echo name=e9");
    assert_int_equal(bh_run_line(&fake_ops, line), 0);
    assert_string_equal(outb, "create: e9 is d5\n");
    outl = 0;
    snprintf(line, sizeof(line), "crash-dom0");
    assert_int_equal(bh_run_line(&fake_ops, line), 1);
    assert_string_equal(outb, "crash-dom0: not supported by this back end\n");
    fake_out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_info_methods, setup),
        cmocka_unit_test_setup(test_domain_methods, setup),
        cmocka_unit_test_setup(test_events, setup),
        cmocka_unit_test_setup(test_malformed, setup),
        cmocka_unit_test_setup(test_stream, setup),
        cmocka_unit_test_setup(test_fuzz, setup),
        cmocka_unit_test_setup(test_print_created, setup),
        cmocka_unit_test_setup(test_console, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
