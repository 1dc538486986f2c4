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

#endif
