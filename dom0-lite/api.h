/* SPDX-License-Identifier: MIT */
/*
 * The management API (docs/api.md): newline-delimited JSON over a byte stream, one
 * request object a line, one response line for each, and event lines for a client that
 * subscribed. The handlers call the same back end as the `bh>` shell (struct bh_ops,
 * control.c in dom0-lite), so both front ends share one implementation. Transport-free:
 * the caller feeds received bytes to api_input() and gives a write function for the
 * answers. Freestanding (<string.h>, fmt, jsmn); the host builds it too (unit tests, the
 * host `bh --connect`, which shares the JSON helpers below).
 */
#ifndef DOM0_API_H
#define DOM0_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdtable.h"

#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER

#define API_VERSION       1
#define API_LINE_MAX      (64 * 1024) /* a request line, without its '\n' */
#define API_OUT_MAX       (32 * 1024) /* a response or event line */
#define API_MAX_TOKENS    128         /* JSON tokens in one request */
#define API_STR_MAX       640         /* a string parameter, unescaped, with its NUL */
#define API_MAX_OVERRIDES (BH_MAX_ARGS - 2)
#define API_CON_HISTORY   2048 /* console: the history bytes an attach answers with */
#define API_CON_IN_MAX    1024 /* console-input: data bytes (decoded) in one request */
#define API_CON_OUT       4096 /* a console event line (longer output: more events) */
#define API_CON_RESERVE   1024 /* transport room console events leave for answers */

struct api_snap {
    unsigned id;
    uint32_t flags;
    unsigned code;
    char name[BH_NAME_MAX];
};

struct api_server {
    const struct bh_ops *ops;
    void (*write)(const char *s, size_t len);
    bool subscribed;
    bool discarding; /* the rest of an oversized line, up to its '\n' */
    size_t len;
    char line[API_LINE_MAX + 1];
    /* the answer being built */
    size_t out_len;
    bool out_over;
    char out[API_OUT_MAX];
    /* the error of the request being handled */
    const char *ecode;
    int eerrno;
    char emsg[BH_ERR_MAX + 64];
    /* the domains as last seen, for the events */
    bool snap_valid;
    unsigned nsnap;
    struct api_snap snap[BH_MAX_DOMS];
    struct bh_dom doms[BH_MAX_DOMS];
    char strs[API_MAX_OVERRIDES + 1][API_STR_MAX];
    /* counters (tests, docs) */
    unsigned long requests, errors, events;
    /* Optional (set after api_init): the transport's counters, for `channel-stats`:
     * bytes received, sent, interrupts, times its receive ring filled. */
    void (*channel_stats)(uint64_t counters[4]);
    /* Optional: stop reading the stream until the transport's receive ring is full (tests
     * of its flow control), for `channel-hold`. */
    void (*channel_hold)(void);
    /* Optional: the console service (dom0-lite/consoled.h), for `console` and
     * `console-input`: domain @dom's last output bytes (-1: no console), input for it
     * (bytes taken, maybe fewer than @len; -1: no console). */
    long (*console_history)(unsigned dom, char *buf, size_t max);
    long (*console_input)(unsigned dom, const char *buf, size_t len);
    /* Optional: bytes @write takes now without waiting. Console output that would leave
     * less than API_CON_RESERVE is dropped (and counted in the next event), never waited
     * for: a host that reads slowly cannot stall dom0-lite. */
    size_t (*write_room)(void);
    /* The console attached by `console` (one per stream): its output as events. */
    bool con_attached;
    unsigned con_dom;
    char con_name[BH_NAME_MAX];
    unsigned long con_dropped;         /* bytes lost since the last console event */
    unsigned long con_bytes, con_lost; /* totals (tests, docs) */
    char con_out[API_CON_OUT];         /* a console event (its own: it may be sent while
                                        * an answer is being built in out[]) */
    char con_buf[API_CON_HISTORY];     /* history / input bytes */
};

/* Start (or restart) @s on back end @ops, answering through @write. */
void api_init(struct api_server *s, const struct bh_ops *ops,
              void (*write)(const char *s, size_t len));
/* A new client on the stream: forget the partial line and the subscription. */
void api_reset(struct api_server *s);
/* Bytes from the stream, any split: each complete line is one request. */
void api_input(struct api_server *s, const char *data, size_t len);
/* Domains may have changed (VIRQ_DOM_EXC, a shell command): compare with the last look
 * and send the events (domain-started, -paused, -resumed, -shutdown, -crashed,
 * -destroyed) to a subscribed client. Also called after every request. */
void api_domains_changed(struct api_server *s);
/* Domain @dom wrote @data (any bytes): a `console` event for a client attached to it.
 * May be called at any time, while a request is being handled too (its answer then
 * follows the event). */
void api_console_output(struct api_server *s, unsigned dom, const char *data, size_t len);

/* ---- JSON helpers, shared with the host `bh --connect` (toolstack/bh) ---- */

/* The token after the value at @i (its whole subtree), or @n. */
int api_json_skip(const jsmntok_t *t, int n, int i);
/* The value of member @key of the object at @obj, or -1. */
int api_json_member(const char *js, const jsmntok_t *t, int n, int obj, const char *key);
/* Whether token @i is the string / literal @text exactly. */
bool api_json_is(const char *js, const jsmntok_t *t, const char *text);
/* A string token unescaped into @out (@size with the NUL); false for a bad escape, a NUL
 * or too long. */
bool api_json_str(const char *js, const jsmntok_t *t, char *out, size_t size);
/* A non-negative integer token (at most 2^53 - 1). */
bool api_json_uint(const char *js, const jsmntok_t *t, uint64_t *v);
/* @s as a JSON string with its quotes into @out (always NUL-terminated); the length it
 * needed. Bytes outside printable ASCII are escaped (controls) or become '?'. */
size_t api_json_quote(char *out, size_t size, const char *s);
/* Bytes as a JSON string, one code point per byte (U+0000..U+00FF, so any byte, NUL
 * included, comes back exactly): printable ASCII as it is, \n \r \t \" \\, any other
 * byte \u00XX. Takes as many of @data's @len bytes as fit @size (quotes and NUL
 * included): how many; *@olen: the string's length. */
size_t api_json_quote_bytes(char *out, size_t size, const char *data, size_t len, size_t *olen);
/* A string token read as bytes, the way api_json_quote_bytes writes them: \u00XX is byte
 * XX, other characters are taken as they are (UTF-8 text stays UTF-8). The byte count,
 * or -1 for a bad escape, \u above 00ff, a raw control character or more than @size. */
long api_json_bytes(const char *js, const jsmntok_t *t, char *out, size_t size);

#endif
