/* SPDX-License-Identifier: MIT */
/* The management API server: see api.h and docs/api.md. */
#define JSMN_STRICT
#include <jsmn.h> /* Debian's libjsmn-dev: the tokenizer's code, here once */

#include "api.h"
#include "xlcfg.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"

#include <xen/errno.h>

#define JSON_INT_MAX ((1ull << 53) - 1)

static jsmntok_t tok[API_MAX_TOKENS];

/* ---- JSON helpers ---- */

int api_json_skip(const jsmntok_t *t, int n, int i)
{
    int pending = 1;

    while (pending > 0 && i < n) {
        pending += t[i].size - 1;
        i++;
    }
    return i;
}

bool api_json_is(const char *js, const jsmntok_t *t, const char *text)
{
    size_t l = strlen(text);

    return t->end >= t->start && (size_t)(t->end - t->start) == l &&
           !memcmp(js + t->start, text, l);
}

int api_json_member(const char *js, const jsmntok_t *t, int n, int obj, const char *key)
{
    int i = obj + 1;

    if (obj < 0 || obj >= n || t[obj].type != JSMN_OBJECT) {
        return -1;
    }
    for (int k = 0; k < t[obj].size && i + 1 < n; k++) {
        if (t[i].type == JSMN_STRING && api_json_is(js, &t[i], key)) {
            return i + 1;
        }
        i = api_json_skip(t, n, i + 1);
    }
    return -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The escape at js[*i] (a backslash) inside a string ending before @end: its code point
 * (a \uXXXX one is 0..0xffff), with *i on its last character; -1 if malformed. */
static long json_escape(const char *js, int *i, int end)
{
    unsigned u = 0;

    if (++*i >= end) {
        return -1;
    }
    switch (js[*i]) {
    case '"':
    case '\\':
    case '/':
        return js[*i];
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'u':
        if (*i + 4 >= end) {
            return -1;
        }
        for (int k = 1; k <= 4; k++) {
            int h = hexval(js[*i + k]);

            if (h < 0) {
                return -1;
            }
            u = u << 4 | (unsigned)h;
        }
        *i += 4;
        return (long)u;
    default:
        return -1;
    }
}

bool api_json_str(const char *js, const jsmntok_t *t, char *out, size_t size)
{
    size_t o = 0;

    if (t->type != JSMN_STRING || !size) {
        return false;
    }
    for (int i = t->start; i < t->end; i++) {
        unsigned char c = (unsigned char)js[i];
        char b[3];
        size_t nb = 1;
        long u;

        if (c != '\\') {
            if (c < 0x20 || o + 1 >= size) {
                return false;
            }
            out[o++] = (char)c; /* a raw byte, UTF-8 or not: as it is */
            continue;
        }
        u = json_escape(js, &i, t->end);
        if (u <= 0 || (u >= 0xd800 && u <= 0xdfff)) {
            return false; /* malformed, or a NUL or a surrogate half */
        }
        if (u < 0x80) {
            b[0] = (char)u;
        } else if (u < 0x800) { /* UTF-8, 2 or 3 bytes */
            b[0] = (char)(0xc0 | u >> 6);
            b[1] = (char)(0x80 | (u & 0x3f));
            nb = 2;
        } else {
            b[0] = (char)(0xe0 | u >> 12);
            b[1] = (char)(0x80 | (u >> 6 & 0x3f));
            b[2] = (char)(0x80 | (u & 0x3f));
            nb = 3;
        }
        if (o + nb >= size) {
            return false;
        }
        memcpy(out + o, b, nb);
        o += nb;
    }
    out[o] = '\0';
    return true;
}

bool api_json_uint(const char *js, const jsmntok_t *t, uint64_t *v)
{
    uint64_t x = 0;
    int len = t->end - t->start;

    if (t->type != JSMN_PRIMITIVE || len < 1 || len > 16 || (js[t->start] == '0' && len > 1)) {
        return false;
    }
    for (int i = t->start; i < t->end; i++) {
        if (js[i] < '0' || js[i] > '9') {
            return false;
        }
        x = x * 10 + (uint64_t)(js[i] - '0');
    }
    if (x > JSON_INT_MAX) {
        return false;
    }
    *v = x;
    return true;
}

size_t api_json_quote(char *out, size_t size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < size) {                                                                        \
            out[o] = (ch);                                                                         \
        }                                                                                          \
        o++;                                                                                       \
    } while (0)
    PUT('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else if (c >= 0x7f) {
            PUT('?');
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    if (size) {
        out[o < size ? o : size - 1] = '\0';
    }
    return o;
}

size_t api_json_quote_bytes(char *out, size_t size, const char *data, size_t len, size_t *olen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;

    if (size < 3) {
        *olen = 0;
        return 0;
    }
    out[o++] = '"';
    for (; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        char e[6];
        size_t n = 0;

        if (c == '"' || c == '\\') {
            e[n++] = '\\';
            e[n++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            e[n++] = '\\';
            e[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c >= 0x7f) {
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        } else {
            e[n++] = (char)c;
        }
        if (o + n + 2 > size) { /* the closing quote and the NUL */
            break;
        }
        memcpy(out + o, e, n);
        o += n;
    }
    out[o++] = '"';
    out[o] = '\0';
    *olen = o;
    return i;
}

long api_json_bytes(const char *js, const jsmntok_t *t, char *out, size_t size)
{
    size_t o = 0;

    if (t->type != JSMN_STRING) {
        return -1;
    }
    for (int i = t->start; i < t->end; i++) {
        long c = (unsigned char)js[i];

        if (c < 0x20) {
            return -1;
        }
        if (c == '\\') {
            c = json_escape(js, &i, t->end);
            if (c < 0 || c > 0xff) {
                return -1; /* one code point a byte */
            }
        }
        if (o >= size) {
            return -1;
        }
        out[o++] = (char)c;
    }
    return (long)o;
}

static bool digits(const char *js, int *i, int end)
{
    int start = *i;

    while (*i < end && js[*i] >= '0' && js[*i] <= '9') {
        (*i)++;
    }
    return *i > start;
}

/* jsmn checks only a primitive's first character: the whole of it, as JSON says. */
static bool valid_primitive(const char *js, const jsmntok_t *t)
{
    int i = t->start, end = t->end;

    if (api_json_is(js, t, "true") || api_json_is(js, t, "false") || api_json_is(js, t, "null")) {
        return true;
    }
    if (i < end && js[i] == '-') {
        i++;
    }
    if (i < end && js[i] == '0') {
        i++;
    } else if (!digits(js, &i, end)) {
        return false;
    }
    if (i < end && js[i] == '.' && (++i, !digits(js, &i, end))) {
        return false;
    }
    if (i < end && (js[i] == 'e' || js[i] == 'E')) {
        i++;
        if (i < end && (js[i] == '+' || js[i] == '-')) {
            i++;
        }
        if (!digits(js, &i, end)) {
            return false;
        }
    }
    return i == end;
}

/* ---- the answer being built ---- */

static void put(struct api_server *s, const char *p, size_t n)
{
    if (s->out_len + n > sizeof(s->out)) {
        s->out_over = true;
        return;
    }
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
}

static void puts_(struct api_server *s, const char *str)
{
    put(s, str, strlen(str));
}

static void putf(struct api_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct api_server *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        s->out_over = true; /* never a cut answer */
    } else {
        put(s, buf, (size_t)n);
    }
}

static void putq(struct api_server *s, const char *str)
{
    size_t room = sizeof(s->out) - s->out_len;
    size_t n = api_json_quote(s->out + s->out_len, room, str);

    if (n >= room) {
        s->out_over = true;
        return;
    }
    s->out_len += n;
}

static void send_out(struct api_server *s)
{
    puts_(s, "\n");
    if (!s->out_over) {
        s->write(s->out, s->out_len);
    }
}

/* ---- errors ---- */

static int fail(struct api_server *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct api_server *s, const char *code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(s->emsg, sizeof(s->emsg), fmt, ap);
    va_end(ap);
    s->ecode = code;
    s->eerrno = 0;
    return -1;
}

static const char *errno_code(int rc)
{
    switch (-rc) {
    case XEN_ESRCH:
        return "no-such-domain";
    case XEN_EEXIST:
        return "already-exists";
    case XEN_ENOMEM:
        return "out-of-memory";
    case XEN_ENOENT:
        return "not-found";
    case XEN_EINVAL:
        return "invalid-argument";
    case XEN_EBUSY:
        return "busy";
    case XEN_EPERM:
    case XEN_EACCES:
        return "permission-denied";
    case XEN_ENOSYS:
        return "not-implemented";
    case XEN_ENOSPC:
        return "no-space";
    default:
        return "failed";
    }
}

/* A back-end error: its reason if it gave one, else the shell's "text (errno)". */
static int backend_fail(struct api_server *s, int rc, const char *err)
{
    if (err && err[0]) {
        fail(s, errno_code(rc), "%s", err);
    } else {
        fail(s, errno_code(rc), "%s (%d)", bh_strerror(rc), rc);
    }
    s->eerrno = rc;
    return -1;
}

static void send_error(struct api_server *s, const char *id)
{
    s->out_len = 0;
    s->out_over = false;
    putf(s, "{\"id\":%s,\"error\":{\"code\":\"%s\",\"message\":", id, s->ecode);
    putq(s, s->emsg);
    if (s->eerrno) {
        putf(s, ",\"errno\":%d", s->eerrno);
    }
    puts_(s, "}}");
    s->errors++;
    send_out(s);
}

/* ---- requests ---- */

struct req {
    const char *js;
    int n;      /* tokens */
    int params; /* the params object's token, or -1 */
};

static int param(const struct req *r, const char *key)
{
    return r->params < 0 ? -1 : api_json_member(r->js, tok, r->n, r->params, key);
}

static int str_param(struct api_server *s, const struct req *r, const char *key, bool required,
                     char *out, const char **val)
{
    int i = param(r, key);

    *val = NULL;
    if (i < 0) {
        return required ? fail(s, "invalid-params", "missing parameter '%s' (a string)", key) : 0;
    }
    if (!api_json_str(r->js, &tok[i], out, API_STR_MAX)) {
        return fail(s, "invalid-params",
                    "parameter '%s' must be a string (at most %d bytes, no NUL)", key,
                    API_STR_MAX - 1);
    }
    *val = out;
    return 0;
}

static int uint_param(struct api_server *s, const struct req *r, const char *key, uint64_t lo,
                      uint64_t hi, int64_t *v)
{
    int i = param(r, key);
    uint64_t x;

    *v = -1;
    if (i < 0) {
        return 0;
    }
    if (!api_json_uint(r->js, &tok[i], &x) || x < lo || x > hi) {
        return fail(s, "invalid-params", "parameter '%s' must be an integer in %lu..%lu", key,
                    (unsigned long)lo, (unsigned long)hi);
    }
    *v = (int64_t)x;
    return 0;
}

/* The "dom" parameter (an id or a name): its entry in s->doms, or NULL after the error. */
static const struct bh_dom *dom_param(struct api_server *s, const struct req *r)
{
    int i = param(r, "dom");
    char name[BH_NAME_MAX];
    uint64_t id = 0;
    bool by_id;
    int n;

    if (i < 0) {
        fail(s, "invalid-params", "missing parameter 'dom' (a domain id or name)");
        return NULL;
    }
    by_id = api_json_uint(r->js, &tok[i], &id);
    if (!by_id && !api_json_str(r->js, &tok[i], name, sizeof(name))) {
        fail(s, "invalid-params", "parameter 'dom' must be a domain id or name");
        return NULL;
    }
    n = s->ops->list(s->doms, BH_MAX_DOMS);
    if (n < 0) {
        backend_fail(s, n, NULL);
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        if (by_id ? s->doms[k].id == id : !strcmp(s->doms[k].name, name)) {
            return &s->doms[k];
        }
    }
    if (by_id) {
        fail(s, "unknown-domain", "unknown domain %lu", (unsigned long)id);
    } else {
        fail(s, "unknown-domain", "unknown domain '%s'", name);
    }
    return NULL;
}

static const char *shutdown_reason(unsigned code)
{
    static const char *const reasons[] = {"poweroff", "reboot",   "suspend",
                                          "crash",    "watchdog", "soft_reset"};

    return code < sizeof(reasons) / sizeof(reasons[0]) ? reasons[code] : "unknown";
}

static void put_dom(struct api_server *s, const struct bh_dom *d)
{
    static const char letters[] = "rbpscd";
    bool crashed = (d->flags & BH_DOM_SHUTDOWN) && d->shutdown_code == BH_SHUTDOWN_CRASH;
    bool on[6] = {d->flags & BH_DOM_RUNNING,
                  d->flags & BH_DOM_BLOCKED,
                  d->flags & BH_DOM_PAUSED,
                  (d->flags & BH_DOM_SHUTDOWN) && !crashed,
                  crashed,
                  d->flags & BH_DOM_DYING};
    char st[7];

    for (int i = 0; i < 6; i++) {
        st[i] = on[i] ? letters[i] : '-';
    }
    st[6] = '\0';
    putf(s, "{\"domid\":%u,\"name\":", d->id);
    putq(s, d->name);
    putf(s, ",\"memory_kib\":%lu,\"vcpus\":%u,\"state\":\"%s\",", (unsigned long)d->mem_kib,
         d->vcpus, st);
    if (d->flags & BH_DOM_SHUTDOWN) {
        putf(s, "\"shutdown_reason\":\"%s\",\"shutdown_code\":%u,",
             shutdown_reason(d->shutdown_code), d->shutdown_code);
    } else {
        puts_(s, "\"shutdown_reason\":null,");
    }
    putf(s, "\"cpu_time_ns\":%lu,\"stub_domid\":", (unsigned long)d->cpu_ns);
    if (d->stub_id) {
        putf(s, "%u}", d->stub_id);
    } else {
        puts_(s, "null}");
    }
}

static int m_version(struct api_server *s, const struct req *r)
{
    (void)r;
    puts_(s, "{\"version\":");
    putq(s, s->ops->version ? s->ops->version : "");
    putf(s, ",\"api\":%d,\"line_max\":%d}", API_VERSION, API_LINE_MAX);
    return 0;
}

static int m_host_info(struct api_server *s, const struct req *r)
{
    struct bh_physinfo pi;
    int rc = s->ops->physinfo(&pi);

    (void)r;
    if (rc < 0) {
        return backend_fail(s, rc, NULL);
    }
    putf(s, "{\"nr_cpus\":%u,\"cpu_khz\":%u,", pi.nr_cpus, pi.cpu_khz);
    putf(s, "\"total_pages\":%lu,\"free_pages\":%lu,\"page_size\":%lu,",
         (unsigned long)pi.total_pages, (unsigned long)pi.free_pages, (unsigned long)pi.page_size);
    putf(s, "\"total_memory_mib\":%lu,\"free_memory_mib\":%lu,\"version\":",
         (unsigned long)(pi.total_pages * pi.page_size >> 20),
         (unsigned long)(pi.free_pages * pi.page_size >> 20));
    putq(s, s->ops->version ? s->ops->version : "");
    puts_(s, "}");
    return 0;
}

static int m_list(struct api_server *s, const struct req *r)
{
    int n = s->ops->list(s->doms, BH_MAX_DOMS);

    (void)r;
    if (n < 0) {
        return backend_fail(s, n, NULL);
    }
    puts_(s, "{\"domains\":[");
    for (int i = 0; i < n && i < BH_MAX_DOMS; i++) {
        if (i) {
            puts_(s, ",");
        }
        put_dom(s, &s->doms[i]);
    }
    puts_(s, "]}");
    return 0;
}

static int m_info(struct api_server *s, const struct req *r)
{
    const struct bh_dom *d = dom_param(s, r);

    if (!d) {
        return -1;
    }
    put_dom(s, d);
    return 0;
}

static int m_create(struct api_server *s, const struct req *r)
{
    char *ov[API_MAX_OVERRIDES];
    char err[BH_ERR_MAX] = "";
    const char *cfg;
    int i = param(r, "overrides");
    unsigned nov = 0;
    int rc;

    if (str_param(s, r, "config", true, s->strs[API_MAX_OVERRIDES], &cfg)) {
        return -1;
    }
    if (i >= 0) {
        if (tok[i].type != JSMN_ARRAY || tok[i].size > API_MAX_OVERRIDES) {
            return fail(s, "invalid-params",
                        "parameter 'overrides' must be an array of at most %d strings "
                        "(\"key=value\")",
                        API_MAX_OVERRIDES);
        }
        for (int k = 0, e = i + 1; k < tok[i].size; k++, e = api_json_skip(tok, r->n, e)) {
            if (e >= r->n || !api_json_str(r->js, &tok[e], s->strs[k], API_STR_MAX)) {
                return fail(s, "invalid-params",
                            "overrides[%d] must be a string (\"key=value\", at most %d bytes)", k,
                            API_STR_MAX - 1);
            }
            ov[nov++] = s->strs[k];
        }
    }
    rc = s->ops->create(cfg, nov, ov, err);
    if (rc < 0) {
        return backend_fail(s, rc, err);
    }
    if (rc == 0) {
        puts_(s, "{\"domid\":null}");
        return 0;
    }
    int n = s->ops->list(s->doms, BH_MAX_DOMS);

    for (int k = 0; k < n; k++) {
        if (s->doms[k].id == (unsigned)rc) {
            put_dom(s, &s->doms[k]);
            return 0;
        }
    }
    putf(s, "{\"domid\":%d}", rc); /* it went at once (crashed and destroyed?) */
    return 0;
}

enum dom_action { A_PAUSE, A_RESUME, A_SHUTDOWN, A_REBOOT, A_DESTROY };

static int dom_action(struct api_server *s, const struct req *r, enum dom_action a)
{
    const struct bh_dom *d = dom_param(s, r);
    char err[BH_ERR_MAX] = "";
    int rc;

    if (!d) {
        return -1;
    }
    switch (a) {
    case A_PAUSE:
    case A_RESUME:
        rc = s->ops->pause(d->id, a == A_PAUSE, err);
        break;
    case A_SHUTDOWN:
    case A_REBOOT:
        rc = s->ops->shutdown(d->id, a == A_REBOOT, err);
        break;
    default:
        rc = s->ops->destroy(d->id, err);
        break;
    }
    if (rc < 0) {
        return backend_fail(s, rc, err);
    }
    puts_(s, "{}");
    return 0;
}

static int m_pause(struct api_server *s, const struct req *r)
{
    return dom_action(s, r, A_PAUSE);
}
static int m_resume(struct api_server *s, const struct req *r)
{
    return dom_action(s, r, A_RESUME);
}
static int m_shutdown(struct api_server *s, const struct req *r)
{
    return dom_action(s, r, A_SHUTDOWN);
}
static int m_reboot(struct api_server *s, const struct req *r)
{
    return dom_action(s, r, A_REBOOT);
}
static int m_destroy(struct api_server *s, const struct req *r)
{
    return dom_action(s, r, A_DESTROY);
}

static int m_vcpu_list(struct api_server *s, const struct req *r)
{
    static struct bh_vcpu v[XLCFG_MAX_VCPUS];
    const struct bh_dom *d = dom_param(s, r);
    int n;

    if (!d) {
        return -1;
    }
    n = s->ops->vcpus(d->id, v, XLCFG_MAX_VCPUS);
    if (n < 0) {
        return backend_fail(s, n, NULL);
    }
    puts_(s, "{\"vcpus\":[");
    for (int i = 0; i < n; i++) {
        putf(s, "%s{\"vcpu\":%u,\"cpu\":%d,\"online\":%s,\"running\":%s,\"blocked\":%s,",
             i ? "," : "", v[i].id, v[i].cpu, v[i].online ? "true" : "false",
             v[i].running ? "true" : "false", v[i].blocked ? "true" : "false");
        putf(s, "\"cpu_time_ns\":%lu,\"affinity\":%lu}", (unsigned long)v[i].cpu_ns,
             (unsigned long)v[i].affinity);
    }
    puts_(s, "]}");
    return 0;
}

static int m_vcpu_pin(struct api_server *s, const struct req *r)
{
    char err[BH_ERR_MAX] = "";
    const struct bh_dom *d = dom_param(s, r);
    const char *cpus;
    int i = param(r, "vcpu");
    uint64_t vcpu = 0, mask;
    int rc;

    if (!d) {
        return -1;
    }
    if (!s->ops->vcpu_pin) {
        return fail(s, "not-supported", "vcpu-pin is not supported by this back end");
    }
    bool all = i >= 0 && tok[i].type == JSMN_STRING && api_json_is(r->js, &tok[i], "all");

    if (!all && (i < 0 || !api_json_uint(r->js, &tok[i], &vcpu) || vcpu >= d->vcpus)) {
        return fail(s, "invalid-params", "parameter 'vcpu' must be 0..%u or \"all\"",
                    d->vcpus ? d->vcpus - 1 : 0);
    }
    if (str_param(s, r, "cpus", true, s->strs[0], &cpus)) {
        return -1;
    }
    if (!xlcfg_cpulist(cpus, &mask)) {
        return fail(s, "invalid-params", "bad CPU list '%s' (e.g. \"0-3,5\" or \"all\")", cpus);
    }
    if (!mask) {
        struct bh_physinfo pi;

        rc = s->ops->physinfo(&pi);
        if (rc < 0) {
            return backend_fail(s, rc, NULL);
        }
        mask = pi.nr_cpus >= 64 ? ~0ull : (1ull << pi.nr_cpus) - 1;
    }
    rc = s->ops->vcpu_pin(d->id, all ? -1 : (int)vcpu, mask, err);
    if (rc < 0) {
        return backend_fail(s, rc, err);
    }
    puts_(s, "{}");
    return 0;
}

static int m_sched_credit(struct api_server *s, const struct req *r)
{
    const struct bh_dom *d;
    int64_t weight, cap;
    unsigned w, c;
    int rc;

    if (uint_param(s, r, "weight", 1, 65535, &weight) || uint_param(s, r, "cap", 0, 800, &cap)) {
        return -1;
    }
    d = dom_param(s, r);
    if (!d) {
        return -1;
    }
    if (weight >= 0 || cap >= 0) {
        rc = s->ops->sched_set(d->id, (int)weight, (int)cap);
        if (rc < 0) {
            return backend_fail(s, rc, NULL);
        }
    }
    rc = s->ops->sched_get(d->id, &w, &c);
    if (rc < 0) {
        return backend_fail(s, rc, NULL);
    }
    putf(s, "{\"weight\":%u,\"cap\":%u}", w, c);
    return 0;
}

static int m_uptime(struct api_server *s, const struct req *r)
{
    (void)r;
    putf(s, "{\"uptime_ns\":%lu}", (unsigned long)s->ops->uptime_ns());
    return 0;
}

/* ---- console ---- */

static void put_bytes(struct api_server *s, const char *data, size_t len)
{
    size_t room = sizeof(s->out) - s->out_len, olen;

    if (api_json_quote_bytes(s->out + s->out_len, room, data, len, &olen) < len) {
        s->out_over = true;
        return;
    }
    s->out_len += olen;
}

static void con_detach(struct api_server *s)
{
    s->con_attached = false;
    s->con_dropped = 0;
}

/* The domain's console, or NULL after the error. */
static const struct bh_dom *con_dom_param(struct api_server *s, const struct req *r)
{
    const struct bh_dom *d = dom_param(s, r);

    if (d && (!s->console_history || !s->console_input)) {
        fail(s, "not-supported", "this stream cannot carry console bytes");
        return NULL;
    }
    return d;
}

static void no_console(struct api_server *s, const struct bh_dom *d)
{
    fail(s, "no-console",
         "d%u (%s) has no console that dom0-lite serves (no stub domain: its output goes "
         "to the board console)",
         d->id, d->name);
}

static int m_console(struct api_server *s, const struct req *r)
{
    const struct bh_dom *d = con_dom_param(s, r);
    long n;

    if (!d) {
        return -1;
    }
    n = s->console_history(d->id, s->con_buf, sizeof(s->con_buf));
    if (n < 0) {
        no_console(s, d);
        return -1;
    }
    con_detach(s); /* from another domain's, if any */
    s->con_attached = true;
    s->con_dom = d->id;
    memcpy(s->con_name, d->name, sizeof(s->con_name));
    s->con_name[sizeof(s->con_name) - 1] = '\0';
    putf(s, "{\"domid\":%u,\"name\":", d->id);
    putq(s, d->name);
    puts_(s, ",\"history\":");
    put_bytes(s, s->con_buf, (size_t)n);
    puts_(s, "}");
    return 0;
}

static int m_console_input(struct api_server *s, const struct req *r)
{
    const struct bh_dom *d = con_dom_param(s, r);
    int i = param(r, "data");
    long n, taken;

    if (!d) {
        return -1;
    }
    if (i < 0) {
        return fail(s, "invalid-params", "missing parameter 'data' (a string)");
    }
    n = api_json_bytes(r->js, &tok[i], s->con_buf, API_CON_IN_MAX);
    if (n < 0) {
        return fail(s, "invalid-params",
                    "parameter 'data' must be a string of at most %d bytes (\\u0000-\\u00ff "
                    "for any byte)",
                    API_CON_IN_MAX);
    }
    taken = s->console_input(d->id, s->con_buf, (size_t)n);
    if (taken < 0) {
        no_console(s, d);
        return -1;
    }
    putf(s, "{\"taken\":%ld}", taken);
    return 0;
}

static int m_console_detach(struct api_server *s, const struct req *r)
{
    (void)r;
    if (!s->con_attached) {
        return fail(s, "not-attached", "no console is attached");
    }
    putf(s, "{\"domid\":%u}", s->con_dom);
    con_detach(s);
    return 0;
}

void api_console_output(struct api_server *s, unsigned dom, const char *data, size_t len)
{
    if (!s->con_attached || dom != s->con_dom) {
        return;
    }
    s->con_bytes += len;
    while (len) {
        char *o = s->con_out;
        int h = fmt_snprintf(o, API_CON_OUT, "{\"event\":\"console\",\"domid\":%u,", dom);
        size_t olen, took;

        if (s->con_dropped) {
            h += fmt_snprintf(o + h, API_CON_OUT - (size_t)h, "\"dropped\":%lu,", s->con_dropped);
        }
        h += fmt_snprintf(o + h, API_CON_OUT - (size_t)h, "\"data\":");
        took = api_json_quote_bytes(o + h, API_CON_OUT - (size_t)h - 2, data, len, &olen);
        olen += (size_t)h;
        o[olen++] = '}';
        o[olen++] = '\n';
        if (s->write_room && s->write_room() < olen + API_CON_RESERVE) {
            s->con_dropped += len; /* the transport is behind: drop, say so later */
            s->con_lost += len;
            return;
        }
        s->write(o, olen);
        s->con_dropped = 0;
        s->events++;
        data += took;
        len -= took;
    }
}

/* The console history's newest DMESG_MAX bytes (the answer must fit API_OUT_MAX). */
#define DMESG_MAX (API_OUT_MAX / 2)
static char dmesg_buf[DMESG_MAX + 1];
static size_t dmesg_len;

static void dmesg_collect(const char *p, size_t n)
{
    if (n >= DMESG_MAX) {
        p += n - DMESG_MAX;
        n = DMESG_MAX;
    }
    if (dmesg_len + n > DMESG_MAX) { /* keep the newest */
        size_t drop = dmesg_len + n - DMESG_MAX;

        memmove(dmesg_buf, dmesg_buf + drop, dmesg_len - drop);
        dmesg_len -= drop;
    }
    memcpy(dmesg_buf + dmesg_len, p, n);
    dmesg_len += n;
}

static int m_dmesg(struct api_server *s, const struct req *r)
{
    char err[BH_ERR_MAX] = "";
    int rc;

    (void)r;
    if (!s->ops->dmesg) {
        return fail(s, "not-supported", "this back end cannot read the console history");
    }
    dmesg_len = 0;
    rc = s->ops->dmesg(false, dmesg_collect, err);
    if (rc < 0) {
        return backend_fail(s, rc, err[0] ? err : NULL);
    }
    for (size_t i = 0; i < dmesg_len; i++) {
        if (!dmesg_buf[i]) {
            dmesg_buf[i] = '?'; /* a string, not its first part */
        }
    }
    dmesg_buf[dmesg_len] = '\0';
    puts_(s, "{\"text\":");
    putq(s, dmesg_buf);
    puts_(s, "}");
    return 0;
}

static int m_channel_stats(struct api_server *s, const struct req *r)
{
    uint64_t c[4];

    (void)r;
    if (!s->channel_stats) {
        return fail(s, "not-supported", "this stream has no channel counters");
    }
    s->channel_stats(c);
    putf(s, "{\"rx_bytes\":%lu,\"tx_bytes\":%lu,\"irqs\":%lu,\"stops\":%lu,", (unsigned long)c[0],
         (unsigned long)c[1], (unsigned long)c[2], (unsigned long)c[3]);
    putf(s, "\"requests\":%lu,\"errors\":%lu,\"events\":%lu}", s->requests, s->errors, s->events);
    return 0;
}

static int m_channel_hold(struct api_server *s, const struct req *r)
{
    (void)r;
    if (!s->channel_hold) {
        return fail(s, "not-supported", "this stream cannot be held");
    }
    s->channel_hold();
    puts_(s, "{\"holding\":true}");
    return 0;
}

static const char events_list[] =
    "[\"domain-started\",\"domain-paused\",\"domain-resumed\",\"domain-shutdown\","
    "\"domain-crashed\",\"domain-destroyed\"]";

static int m_subscribe(struct api_server *s, const struct req *r)
{
    (void)r;
    s->subscribed = true;
    puts_(s, "{\"subscribed\":true,\"events\":");
    put(s, events_list, sizeof(events_list) - 1);
    puts_(s, "}");
    return 0;
}

static int m_unsubscribe(struct api_server *s, const struct req *r)
{
    (void)r;
    s->subscribed = false;
    puts_(s, "{\"subscribed\":false}");
    return 0;
}

struct method {
    const char *name;
    int (*fn)(struct api_server *s, const struct req *r);
    const char *params; /* the allowed ones, space-separated */
};

static const struct method methods[] = {
    {"version", m_version, ""},
    {"host-info", m_host_info, ""},
    {"list", m_list, ""},
    {"info", m_info, "dom"},
    {"create", m_create, "config overrides"},
    {"boot", m_resume, "dom"},
    {"pause", m_pause, "dom"},
    {"resume", m_resume, "dom"},
    {"shutdown", m_shutdown, "dom"},
    {"reboot", m_reboot, "dom"},
    {"destroy", m_destroy, "dom"},
    {"vcpu-list", m_vcpu_list, "dom"},
    {"vcpu-pin", m_vcpu_pin, "dom vcpu cpus"},
    {"sched-credit", m_sched_credit, "dom weight cap"},
    {"uptime", m_uptime, ""},
    {"console", m_console, "dom"},
    {"console-input", m_console_input, "dom data"},
    {"console-detach", m_console_detach, ""},
    {"dmesg", m_dmesg, ""},
    {"channel-stats", m_channel_stats, ""},
    {"channel-hold", m_channel_hold, ""},
    {"subscribe", m_subscribe, ""},
    {"unsubscribe", m_unsubscribe, ""},
};

/* Whether @key is one of the space-separated words of @allowed. */
static bool allowed(const char *key, const char *allowed)
{
    size_t kl = strlen(key);

    for (const char *p = allowed; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);

        if (l == kl && !memcmp(p, key, l)) {
            return true;
        }
        p += l + (e ? 1 : 0);
    }
    return false;
}

static bool all_primitives_valid(const char *js, int n)
{
    for (int i = 0; i < n; i++) {
        if (tok[i].type == JSMN_PRIMITIVE && !valid_primitive(js, &tok[i])) {
            return false;
        }
    }
    return true;
}

/* The text as JSON (jsmn into tok[], then what jsmn lets through): the token count, or
 * -1 after the error. */
static int parse(struct api_server *s, const char *js, size_t len)
{
    jsmn_parser p;
    int n;

    for (size_t k = 0; k < len; k++) {
        if ((unsigned char)js[k] < 0x20 && js[k] != '\t' && js[k] != '\r') {
            return fail(s, "parse-error", "not JSON: control byte 0x%02x at offset %lu",
                        (unsigned)(unsigned char)js[k], (unsigned long)k);
        }
    }
    jsmn_init(&p);
    n = jsmn_parse(&p, js, len, tok, API_MAX_TOKENS);
    if (n == JSMN_ERROR_NOMEM) {
        return fail(s, "invalid-request", "too many JSON tokens (at most %d)", API_MAX_TOKENS);
    }
    if (n <= 0) {
        return fail(s, "parse-error", "not JSON (%s)",
                    n == JSMN_ERROR_PART ? "incomplete" : "invalid");
    }
    if (tok[0].type != JSMN_OBJECT) {
        return fail(s, "invalid-request", "a request is a JSON object");
    }
    if (api_json_skip(tok, n, 0) != n) {
        return fail(s, "parse-error", "not JSON (text after the object)");
    }
    if (!all_primitives_valid(js, n)) {
        return fail(s, "parse-error", "not JSON (a bad number or literal)");
    }
    return n;
}

/* id, method, params: *@m and @id (the answer's, "null" until read); -1 after the error. */
static int envelope(struct api_server *s, struct req *r, const struct method **m, char id[24])
{
    const char *js = r->js;
    int iid = -1, imethod = -1, i = 1;
    char name[32];
    uint64_t v;

    for (int k = 0; k < tok[0].size; k++) {
        if (i + 1 >= r->n || tok[i].type != JSMN_STRING || tok[i].size != 1) {
            return fail(s, "parse-error", "not JSON (a member without a string key)");
        }
        if (api_json_is(js, &tok[i], "id") && iid < 0) {
            iid = i + 1;
        } else if (api_json_is(js, &tok[i], "method") && imethod < 0) {
            imethod = i + 1;
        } else if (api_json_is(js, &tok[i], "params") && r->params < 0) {
            r->params = i + 1;
        } else {
            return fail(s, "invalid-request",
                        "unknown or repeated member in a request (id, method, params)");
        }
        i = api_json_skip(tok, r->n, i + 1);
    }
    if (iid < 0 || !api_json_uint(js, &tok[iid], &v)) {
        return fail(s, "invalid-request", "a request needs an \"id\": an integer 0..2^53-1");
    }
    fmt_snprintf(id, 24, "%lu", (unsigned long)v);
    if (imethod < 0 || !api_json_str(js, &tok[imethod], name, sizeof(name))) {
        return fail(s, "invalid-request", "a request needs a \"method\" (a string)");
    }
    if (r->params >= 0 && tok[r->params].type != JSMN_OBJECT) {
        return fail(s, "invalid-request", "\"params\" must be an object");
    }
    for (unsigned k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
        if (!strcmp(methods[k].name, name)) {
            *m = &methods[k];
            return 0;
        }
    }
    return fail(s, "unknown-method", "unknown method '%s'", name);
}

/* Every parameter one the method takes, and once. */
static int check_params(struct api_server *s, const struct req *r, const struct method *m)
{
    for (int k = 0, j = r->params + 1; r->params >= 0 && k < tok[r->params].size; k++) {
        char key[32];

        if (j + 1 >= r->n || tok[j].type != JSMN_STRING || tok[j].size != 1) {
            return fail(s, "parse-error", "not JSON (a member without a string key)");
        }
        if (!api_json_str(r->js, &tok[j], key, sizeof(key)) || !allowed(key, m->params)) {
            return fail(s, "invalid-params", "%s: unknown parameter '%s'; it takes %s", m->name,
                        api_json_str(r->js, &tok[j], key, sizeof(key)) ? key : "?",
                        m->params[0] ? m->params : "none");
        }
        if (param(r, key) != j + 1) {
            return fail(s, "invalid-params", "%s: parameter '%s' given twice", m->name, key);
        }
        j = api_json_skip(tok, r->n, j + 1);
    }
    return 0;
}

/* One request line: its answer line (or error line) out. */
static void request(struct api_server *s, const char *js, size_t len)
{
    struct req r = {.js = js, .params = -1};
    const struct method *m = NULL;
    char id[24] = "null";

    s->requests++;
    r.n = parse(s, js, len);
    if (r.n > 0 && !envelope(s, &r, &m, id) && !check_params(s, &r, m)) {
        s->out_len = 0;
        s->out_over = false;
        putf(s, "{\"id\":%s,\"result\":", id);
        if (m->fn(s, &r) == 0) {
            puts_(s, "}");
            if (!s->out_over) {
                send_out(s);
                return;
            }
            fail(s, "response-too-large", "the answer exceeds %d bytes", API_OUT_MAX);
        }
    }
    send_error(s, id);
}

/* ---- the stream ---- */

void api_init(struct api_server *s, const struct bh_ops *ops,
              void (*write)(const char *s, size_t len))
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->write = write;
    api_domains_changed(s); /* the first look: no events */
}

void api_reset(struct api_server *s)
{
    s->len = 0;
    s->discarding = false;
    s->subscribed = false;
    con_detach(s);
}

static void line_done(struct api_server *s)
{
    size_t len = s->len;
    size_t k = 0;

    s->len = 0;
    if (len && s->line[len - 1] == '\r') {
        len--;
    }
    while (k < len && (s->line[k] == ' ' || s->line[k] == '\t')) {
        k++;
    }
    if (k == len) {
        return; /* an empty line: no request, no answer */
    }
    s->line[len] = '\0';
    s->ecode = NULL;
    s->eerrno = 0;
    request(s, s->line, len);
    api_domains_changed(s);
}

void api_input(struct api_server *s, const char *data, size_t len)
{
    size_t i = 0;

    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t chunk = (nl ? (size_t)(nl - data) : len) - i;

        if (s->discarding) {
            s->discarding = !nl; /* up to the end of the oversized line */
        } else if (s->len + chunk > API_LINE_MAX) {
            s->len = 0;
            s->discarding = !nl;
            fail(s, "line-too-long", "a request line is at most %d bytes", API_LINE_MAX);
            s->requests++;
            send_error(s, "null");
        } else {
            memcpy(s->line + s->len, data + i, chunk);
            s->len += chunk;
            if (nl) {
                line_done(s);
            }
        }
        i += chunk + (nl ? 1 : 0);
    }
}

/* ---- events ---- */

static void event(struct api_server *s, const char *what, const struct api_snap *d,
                  const char *reason)
{
    if (!s->subscribed) {
        return;
    }
    s->out_len = 0;
    s->out_over = false;
    putf(s, "{\"event\":\"%s\",\"domid\":%u,\"name\":", what, d->id);
    putq(s, d->name);
    if (reason) {
        putf(s, ",\"reason\":\"%s\"", reason);
    }
    puts_(s, "}");
    s->events++;
    send_out(s);
}

static void transitions(struct api_server *s, const struct api_snap *old,
                        const struct api_snap *now)
{
    uint32_t was = old ? old->flags : 0;

    if (!old) {
        event(s, "domain-started", now, NULL);
    }
    if ((now->flags & BH_DOM_SHUTDOWN) && !(was & BH_DOM_SHUTDOWN)) {
        event(s, now->code == BH_SHUTDOWN_CRASH ? "domain-crashed" : "domain-shutdown", now,
              shutdown_reason(now->code));
    }
    if ((now->flags & BH_DOM_PAUSED) && !(was & BH_DOM_PAUSED)) {
        event(s, "domain-paused", now, NULL);
    } else if (old && !(now->flags & BH_DOM_PAUSED) && (was & BH_DOM_PAUSED)) {
        event(s, "domain-resumed", now, NULL);
    }
}

/* The attached console's domain is gone (destroyed, or its id holds another name now):
 * say so and detach, whether or not the client subscribed to the domain events. */
static void con_gone(struct api_server *s, const struct api_snap *snap, int n)
{
    for (int i = 0; i < n && s->con_attached; i++) {
        if (snap[i].id == s->con_dom && !strcmp(snap[i].name, s->con_name)) {
            return;
        }
    }
    if (!s->con_attached) {
        return;
    }
    s->out_len = 0;
    s->out_over = false;
    putf(s, "{\"event\":\"console-detached\",\"domid\":%u,\"name\":", s->con_dom);
    putq(s, s->con_name);
    puts_(s, ",\"reason\":\"domain-gone\"}");
    s->events++;
    send_out(s);
    con_detach(s);
}

void api_domains_changed(struct api_server *s)
{
    static struct bh_dom now[BH_MAX_DOMS];
    static struct api_snap snap[BH_MAX_DOMS];
    int n = s->ops->list(now, BH_MAX_DOMS);

    int m = 0;

    if (n < 0) {
        return; /* try again next time */
    }
    for (int i = 0; i < n; i++) {
        if (now[i].flags & BH_DOM_DYING) {
            continue; /* destroyed, its memory not yet all back: gone for a client */
        }
        snap[m].id = now[i].id;
        snap[m].flags = now[i].flags;
        snap[m].code = now[i].shutdown_code;
        memcpy(snap[m].name, now[i].name, sizeof(snap[m].name));
        snap[m].name[BH_NAME_MAX - 1] = '\0';
        m++;
    }
    n = m;
    if (s->snap_valid) {
        for (unsigned k = 0; k < s->nsnap; k++) { /* gone */
            bool found = false;

            for (int i = 0; i < n && !found; i++) {
                found = snap[i].id == s->snap[k].id && !strcmp(snap[i].name, s->snap[k].name);
            }
            if (!found) {
                event(s, "domain-destroyed", &s->snap[k], NULL);
            }
        }
        for (int i = 0; i < n; i++) {
            const struct api_snap *old = NULL;

            for (unsigned k = 0; k < s->nsnap && !old; k++) {
                if (s->snap[k].id == snap[i].id && !strcmp(s->snap[k].name, snap[i].name)) {
                    old = &s->snap[k];
                }
            }
            transitions(s, old, &snap[i]);
        }
    }
    con_gone(s, snap, n);
    memcpy(s->snap, snap, (size_t)n * sizeof(snap[0]));
    s->nsnap = (unsigned)n;
    s->snap_valid = true;
}
