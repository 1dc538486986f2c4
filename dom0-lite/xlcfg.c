/* SPDX-License-Identifier: MIT */
/* xl.cfg for dom0-lite's builder: see xlcfg.h. */
#include "xlcfg.h"

#include <string.h>

#include "fmt.h"

#define XLCFG_MAX_KEYS 32

enum vkind {
    V_STRING,
    V_INT,
    V_LIST,
};

struct value {
    enum vkind kind;
    char str[XLCFG_EXTRA_MAX];
    uint64_t num;
    uint64_t cpus; /* V_LIST: the union of its elements as cpu lists */
    bool list_ok;
};

struct lexer {
    const char *file;
    const char *p, *end;
    unsigned line;
    char *err;
};

static const char *const action_names[] = {"destroy", "restart", "preserve"};

const char *xl_action_name(enum xl_action a)
{
    return (unsigned)a < 3 ? action_names[a] : "?";
}

static int fail(struct lexer *lx, unsigned line, const char *key, const char *problem)
{
    if (key && !line) { /* a missing key, or one given on the command line */
        fmt_snprintf(lx->err, XLCFG_ERR_MAX, "%s: key '%s': %s", lx->file, key, problem);
    } else if (key) {
        fmt_snprintf(lx->err, XLCFG_ERR_MAX, "%s:%u: key '%s': %s", lx->file, line, key, problem);
    } else if (!line) {
        fmt_snprintf(lx->err, XLCFG_ERR_MAX, "%s: %s", lx->file, problem);
    } else {
        fmt_snprintf(lx->err, XLCFG_ERR_MAX, "%s:%u: %s", lx->file, line, problem);
    }
    return -1;
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

/* Skip blanks and comments; newlines too when @nl. */
static void skip(struct lexer *lx, bool nl)
{
    while (lx->p < lx->end) {
        char c = *lx->p;

        if (c == ' ' || c == '\t' || c == '\r' || (c == ';' && !nl)) {
            lx->p++;
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n') {
                lx->p++;
            }
        } else if (c == '\n' && nl) {
            lx->line++;
            lx->p++;
        } else {
            return;
        }
    }
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;

    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n) {
        return false;
    }
    for (; i < n; i++) {
        char c = s[i];
        unsigned d;

        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            return false;
        }
        if (v > (UINT64_MAX - d) / base) {
            return false;
        }
        v = v * base + d;
    }
    *out = v;
    return true;
}

bool xlcfg_cpulist(const char *s, uint64_t *mask)
{
    uint64_t m = 0;

    if (!strcmp(s, "all")) {
        *mask = 0;
        return true;
    }
    while (*s) {
        const char *e = s;
        uint64_t lo, hi;

        while (*e >= '0' && *e <= '9') {
            e++;
        }
        if (!parse_u64(s, (size_t)(e - s), &lo)) {
            return false;
        }
        hi = lo;
        if (*e == '-') {
            s = ++e;
            while (*e >= '0' && *e <= '9') {
                e++;
            }
            if (!parse_u64(s, (size_t)(e - s), &hi) || hi < lo) {
                return false;
            }
        }
        if (hi >= 64) {
            return false;
        }
        for (uint64_t c = lo; c <= hi; c++) {
            m |= 1ull << c;
        }
        if (*e == ',') {
            e++;
            if (!*e) {
                return false;
            }
        } else if (*e) {
            return false;
        }
        s = e;
    }
    if (!m) {
        return false;
    }
    *mask = m;
    return true;
}

/* A quoted string at lx->p (the quote). */
static int lex_string(struct lexer *lx, char *out, size_t size)
{
    char q = *lx->p++;
    size_t n = 0;

    while (lx->p < lx->end && *lx->p != q) {
        char c = *lx->p++;

        if (c == '\n') {
            return fail(lx, lx->line, NULL, "unterminated string (missing closing quote)");
        }
        if (c == '\\' && lx->p < lx->end) {
            char e = *lx->p++;

            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e != 'n' && e != 't' && e != '\\' && e != '"' && e != '\'') {
                return fail(lx, lx->line, NULL, "bad escape sequence in string");
            }
        }
        if (c == '\0') {
            return fail(lx, lx->line, NULL, "a NUL character in a string");
        }
        if (n + 1 >= size) {
            return fail(lx, lx->line, NULL, "string too long");
        }
        out[n++] = c;
    }
    if (lx->p >= lx->end) {
        return fail(lx, lx->line, NULL, "unterminated string (missing closing quote)");
    }
    lx->p++;
    out[n] = '\0';
    return 0;
}

static int lex_scalar(struct lexer *lx, struct value *v)
{
    if (*lx->p == '"' || *lx->p == '\'') {
        v->kind = V_STRING;
        return lex_string(lx, v->str, sizeof(v->str));
    }
    if (*lx->p >= '0' && *lx->p <= '9') {
        const char *s = lx->p;

        while (lx->p < lx->end && is_key_char(*lx->p)) {
            lx->p++;
        }
        v->kind = V_INT;
        if (!parse_u64(s, (size_t)(lx->p - s), &v->num)) {
            return fail(lx, lx->line, NULL, "bad integer (decimal, or hex with 0x)");
        }
        return 0;
    }
    return fail(lx, lx->line, NULL, "expected a value (a \"string\", an integer or a [list])");
}

static int lex_value(struct lexer *lx, struct value *v)
{
    if (lx->p >= lx->end) {
        return fail(lx, lx->line, NULL, "expected a value after '='");
    }
    if (*lx->p != '[') {
        return lex_scalar(lx, v);
    }
    unsigned open = lx->line;

    lx->p++;
    v->kind = V_LIST;
    v->cpus = 0;
    v->list_ok = true;
    for (;;) {
        struct value e;

        skip(lx, true);
        if (lx->p >= lx->end) {
            return fail(lx, open, NULL, "unterminated list (the '[' has no ']')");
        }
        if (*lx->p == ']') {
            lx->p++;
            return 0;
        }
        if (lex_scalar(lx, &e)) {
            return -1;
        }
        if (e.kind == V_INT && e.num < 64) {
            v->cpus |= 1ull << e.num;
        } else {
            uint64_t m;

            if (e.kind != V_STRING || !xlcfg_cpulist(e.str, &m) || !m) {
                v->list_ok = false;
            }
            v->cpus |= e.kind == V_STRING ? m : 0;
        }
        skip(lx, true);
        if (lx->p < lx->end && *lx->p == ',') {
            lx->p++;
        } else if (lx->p < lx->end && *lx->p != ']') {
            return fail(lx, lx->line, NULL, "expected ',' or ']' in the list");
        }
    }
}

static void defaults(struct xlcfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->vcpus = 1;
    cfg->weight = XLCFG_WEIGHT_DEF;
    cfg->on_poweroff = XL_DESTROY;
    cfg->on_reboot = XL_RESTART;
    cfg->on_crash = XL_DESTROY;
    cfg->stubdom = true;
}

static bool name_ok(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!is_key_char(*s) && *s != '-') {
            return false;
        }
    }
    return true;
}

/* Keys bh-boot reads that the builder does not need: accepted and ignored. */
static const char *const ignored_keys[] = {"root", "role", "start_after", "stub_of",
                                           "uart", "type", "builder",     "dtb_reserve"};

static int copy_str(struct lexer *lx, unsigned line, const char *key, const struct value *v,
                    char *dst, size_t size)
{
    if (v->kind != V_STRING) {
        return fail(lx, line, key, "must be a \"string\"");
    }
    if (strlen(v->str) >= size) {
        return fail(lx, line, key, "too long");
    }
    memcpy(dst, v->str, strlen(v->str) + 1);
    return 0;
}

static int get_int(struct lexer *lx, unsigned line, const char *key, const struct value *v,
                   uint64_t lo, uint64_t hi, uint64_t *out)
{
    char msg[96];

    if (v->kind != V_INT) {
        return fail(lx, line, key, "must be an integer");
    }
    if (v->num < lo || v->num > hi) {
        fmt_snprintf(msg, sizeof(msg), "%lu out of range (%lu..%lu)", (unsigned long)v->num,
                     (unsigned long)lo, (unsigned long)hi);
        return fail(lx, line, key, msg);
    }
    *out = v->num;
    return 0;
}

static int get_action(struct lexer *lx, unsigned line, const char *key, const struct value *v,
                      enum xl_action *out)
{
    if (v->kind == V_STRING) {
        for (unsigned i = 0; i < 3; i++) {
            if (!strcmp(v->str, action_names[i])) {
                *out = (enum xl_action)i;
                return 0;
            }
        }
    }
    return fail(lx, line, key, "must be \"destroy\", \"restart\" or \"preserve\"");
}

/* Apply one setting. */
static int apply(struct lexer *lx, unsigned line, const char *key, const struct value *v,
                 struct xlcfg *cfg)
{
    uint64_t n;

    if (!strcmp(key, "name")) {
        if (copy_str(lx, line, key, v, cfg->name, sizeof(cfg->name))) {
            return -1;
        }
        if (!name_ok(cfg->name)) {
            return fail(lx, line, key, "letters, digits, '_', '-' and '.' only, not empty");
        }
        return 0;
    }
    if (!strcmp(key, "kernel")) {
        return copy_str(lx, line, key, v, cfg->kernel, sizeof(cfg->kernel));
    }
    if (!strcmp(key, "ramdisk")) {
        return copy_str(lx, line, key, v, cfg->ramdisk, sizeof(cfg->ramdisk));
    }
    if (!strcmp(key, "extra") || !strcmp(key, "cmdline")) {
        return copy_str(lx, line, key, v, cfg->extra, sizeof(cfg->extra));
    }
    if (!strcmp(key, "memory")) {
        return get_int(lx, line, key, v, 1, XLCFG_MEM_MAX, &cfg->memory_mib);
    }
    if (!strcmp(key, "vcpus")) {
        if (get_int(lx, line, key, v, 1, XLCFG_MAX_VCPUS, &n)) {
            return -1;
        }
        cfg->vcpus = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "weight")) {
        if (get_int(lx, line, key, v, 1, XLCFG_WEIGHT_MAX, &n)) {
            return -1;
        }
        cfg->weight = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "cap")) {
        if (get_int(lx, line, key, v, 0, 100 * XLCFG_MAX_VCPUS, &n)) {
            return -1;
        }
        cfg->cap = (unsigned)n;
        return 0;
    }
    if (!strcmp(key, "cpus")) {
        if (v->kind == V_STRING && xlcfg_cpulist(v->str, &cfg->cpus)) {
            return 0;
        }
        if (v->kind == V_INT && v->num < 64) {
            cfg->cpus = 1ull << v->num;
            return 0;
        }
        if (v->kind == V_LIST && v->list_ok && v->cpus) {
            cfg->cpus = v->cpus;
            return 0;
        }
        return fail(lx, line, key, "must be a cpu list such as \"0-3,5\" or \"all\" (CPUs 0..63)");
    }
    if (!strcmp(key, "stubdom")) {
        if (get_int(lx, line, key, v, 0, 1, &n)) {
            return -1;
        }
        cfg->stubdom = n == 1;
        return 0;
    }
    if (!strcmp(key, "on_poweroff")) {
        return get_action(lx, line, key, v, &cfg->on_poweroff);
    }
    if (!strcmp(key, "on_reboot")) {
        return get_action(lx, line, key, v, &cfg->on_reboot);
    }
    if (!strcmp(key, "on_crash")) {
        return get_action(lx, line, key, v, &cfg->on_crash);
    }
    for (unsigned i = 0; i < sizeof(ignored_keys) / sizeof(ignored_keys[0]); i++) {
        if (!strcmp(key, ignored_keys[i])) {
            return 0;
        }
    }
    return fail(lx, line, key, "unknown key");
}

static int check(struct lexer *lx, const struct xlcfg *cfg)
{
    if (!cfg->name[0]) {
        return fail(lx, 0, "name", "missing (required)");
    }
    if (!cfg->kernel[0]) {
        return fail(lx, 0, "kernel", "missing (required)");
    }
    if (!cfg->memory_mib) {
        return fail(lx, 0, "memory", "missing (required, MiB)");
    }
    if (cfg->cap > 100 * cfg->vcpus) {
        return fail(lx, 0, "cap", "more than 100 per vCPU");
    }
    return 0;
}

int xlcfg_parse(const char *file, const char *text, size_t len, struct xlcfg *cfg, char *err)
{
    struct lexer lx = {.file = file, .p = text, .end = text + len, .line = 1, .err = err};
    struct {
        char key[32];
        unsigned line;
    } seen[XLCFG_MAX_KEYS]; /* for "given twice" */
    unsigned nseen = 0;
    static struct value v; /* big: not on a domain's small stack */

    defaults(cfg);
    for (;;) {
        char key[32];
        size_t n = 0;
        unsigned line;

        skip(&lx, true);
        if (lx.p >= lx.end) {
            break;
        }
        line = lx.line;
        if (!is_key_char(*lx.p) || (*lx.p >= '0' && *lx.p <= '9')) {
            return fail(&lx, line, NULL, "expected a setting `KEY = VALUE`");
        }
        while (lx.p < lx.end && is_key_char(*lx.p)) {
            if (n + 1 >= sizeof(key)) {
                return fail(&lx, line, NULL, "key too long");
            }
            key[n++] = *lx.p++;
        }
        key[n] = '\0';
        skip(&lx, false);
        if (lx.p >= lx.end || *lx.p != '=') {
            return fail(&lx, line, key, "expected '=' after the key");
        }
        lx.p++;
        skip(&lx, false);
        memset(&v, 0, sizeof(v));
        if (lex_value(&lx, &v)) {
            return -1;
        }
        skip(&lx, false);
        if (lx.p < lx.end && *lx.p != '\n') {
            return fail(&lx, lx.line, key, "expected the end of the line after the value");
        }
        for (unsigned i = 0; i < nseen; i++) {
            if (!strcmp(seen[i].key, key)) {
                char msg[48];

                fmt_snprintf(msg, sizeof(msg), "given twice (first at line %u)", seen[i].line);
                return fail(&lx, line, key, msg);
            }
        }
        if (nseen < XLCFG_MAX_KEYS) {
            memcpy(seen[nseen].key, key, n + 1);
            seen[nseen++].line = line;
        }
        if (apply(&lx, line, key, &v, cfg)) {
            return -1;
        }
    }
    return check(&lx, cfg);
}

int xlcfg_override(const char *file, const char *kv, struct xlcfg *cfg, char *err)
{
    char where[XLCFG_PATH_MAX + 24];
    struct lexer lx = {.file = where, .line = 0, .err = err};
    static struct value v;
    const char *eq = strchr(kv, '=');
    char key[32];
    size_t n;

    fmt_snprintf(where, sizeof(where), "%s (command line)", file);
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
        return fail(&lx, 0, NULL, "an override is KEY=VALUE");
    }
    n = (size_t)(eq - kv);
    memcpy(key, kv, n);
    key[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!is_key_char(key[i])) {
            return fail(&lx, 0, NULL, "an override is KEY=VALUE");
        }
    }
    memset(&v, 0, sizeof(v));
    lx.p = eq + 1;
    lx.end = lx.p + strlen(lx.p);
    if (lx.p < lx.end && (*lx.p == '"' || *lx.p == '\'' || *lx.p == '[')) {
        if (lex_value(&lx, &v)) {
            return -1;
        }
        skip(&lx, false);
        if (lx.p < lx.end) {
            return fail(&lx, 0, key, "unexpected text after the value");
        }
    } else if (parse_u64(lx.p, strlen(lx.p), &v.num)) {
        v.kind = V_INT; /* a bare number; anything else bare is a string ("cpus=0-1") */
    } else {
        if (strlen(lx.p) >= sizeof(v.str)) {
            return fail(&lx, 0, key, "too long");
        }
        v.kind = V_STRING;
        memcpy(v.str, lx.p, strlen(lx.p) + 1);
    }
    if (apply(&lx, 0, key, &v, cfg)) {
        return -1;
    }
    return check(&lx, cfg);
}
