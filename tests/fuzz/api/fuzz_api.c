/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the management API server (dom0-lite/api.c) over the fake back end
 * (tests/unit/fake_bh.h). The input's first byte picks the read size (1..64 bytes a
 * read); the rest is the stream, then a '\n'. Every line the server writes must be one
 * JSON object (jsmn, strict) ending in '\n', and the server must then still answer a
 * request. `make api-fuzz` (toolstack/bh/bh.mk).
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../../dom0-lite/api.h"
#include "../../unit/fake_bh.h"

static struct api_server srv;
static jsmntok_t t[8192];
static unsigned long lines;

static void check(const char *s, size_t len)
{
    jsmn_parser p;
    int n;

    if (!len || s[len - 1] != '\n' || memchr(s, '\n', len - 1)) {
        abort();
    }
    jsmn_init(&p);
    n = jsmn_parse(&p, s, len - 1, t, 8192);
    if (n <= 0 || t[0].type != JSMN_OBJECT || api_json_skip(t, n, 0) != n ||
        t[0].end != (int)len - 1) {
        abort();
    }
    lines++;
}

static void con_echo(unsigned dom, const char *s, size_t len)
{
    api_console_output(&srv, dom, s, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ping[] = "{\"id\":1,\"method\":\"version\"}\n";
    size_t step;
    unsigned long before;

    if (!size) {
        return 0;
    }
    fake_reset();
    api_init(&srv, &fake_ops, check);
    srv.subscribed = data[0] & 0x80;        /* events too */
    srv.console_history = fake_con_history; /* console events too */
    srv.console_input = fake_con_input;
    fake_con_echo = con_echo;
    step = 1 + (data[0] & 63);
    for (size_t i = 1; i < size; i += step) {
        api_input(&srv, (const char *)data + i, size - i < step ? size - i : step);
    }
    api_input(&srv, "\n", 1);
    before = lines;
    api_input(&srv, ping, sizeof(ping) - 1);
    if (lines == before) {
        abort(); /* wedged */
    }
    return 0;
}
