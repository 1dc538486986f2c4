/* SPDX-License-Identifier: MIT */
/*
 * bh, the host front end of the bh command table (docs/api.md):
 *
 *   bh --connect unix:PATH [--timeout SECONDS] <command> [args ...]
 *
 * The same dom0-lite/cmdtable.c as the `bh>` shell, with a back end (struct bh_ops) that
 * speaks dom0-lite's JSON management API over a Unix socket (QEMU's end of the
 * management channel), so `bh --connect unix:S list` prints what `bh> list` prints.
 * Output goes to stdout and the exit code is 0 on success; on an error the command's
 * output goes to stderr and the exit code is 1 (2: unknown command, 3: no connection or
 * a broken answer). The JSON helpers (and jsmn) are dom0-lite/api.c's.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cmdtable.h"

#include <xen/errno.h>

#define BH_EXIT_TRANSPORT 3
#define MAX_TOKENS        8192
#define RESP_MAX          (1 << 20)

static const char *connect_to; /* "unix:PATH" */
static int timeout_ms = 30000;
static bool timeout_given; /* --timeout: also ends a console session fed from a pipe */
static int sock = -1;
static uint64_t next_id = 1;

static char *outbuf; /* the command's output, shown at the end (stdout or stderr) */
static size_t outlen, outcap;

static char *resp;   /* the current answer line */
static size_t rlen;  /* bytes in resp (the answer and what came after it) */
static size_t rline; /* the answer's length, without its '\n' */
static jsmntok_t *tok;
static int ntok;

/* Called for every event line call() reads while it waits for its answer (console). */
static void (*on_event)(void);

static void out(const char *s, size_t len)
{
    if (outlen + len + 1 > outcap) {
        outcap = (outlen + len + 1) * 2;
        outbuf = realloc(outbuf, outcap);
        if (!outbuf) {
            fputs("bh: out of memory\n", stderr);
            exit(BH_EXIT_TRANSPORT);
        }
    }
    memcpy(outbuf + outlen, s, len);
    outlen += len;
}

static void flush_out(FILE *f)
{
    if (outlen) {
        fwrite(outbuf, 1, outlen, f);
    }
    outlen = 0;
}

/* The connection failed or answered nonsense: what was printed so far, then why. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    flush_out(stderr);
    fputs("bh: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(BH_EXIT_TRANSPORT);
}

static void send_all(const char *s, size_t len);

static void connect_api(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    if (!connect_to) {
        die("no management API to talk to: give --connect unix:PATH (QEMU's socket for "
            "dom0-lite's management channel)");
    }
    if (strncmp(connect_to, "unix:", 5) || !connect_to[5]) {
        die("--connect %s: only unix:PATH is supported", connect_to);
    }
    if (strlen(connect_to + 5) >= sizeof(sa.sun_path)) {
        die("--connect %s: path too long", connect_to);
    }
    strcpy(sa.sun_path, connect_to + 5);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        die("cannot connect to %s: %s", connect_to, strerror(errno));
    }
    /* The channel is one stream across clients: end whatever line an earlier client
     * left unfinished (an empty line gets no answer). */
    send_all("\n", 1);
}

static void send_all(const char *s, size_t len)
{
    while (len) {
        ssize_t n = send(sock, s, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die("%s: write failed: %s", connect_to, strerror(errno));
        }
        s += n;
        len -= (size_t)n;
    }
}

/* The next line from the socket into resp[0..rline). */
static void read_line(void)
{
    /* drop the previous line */
    if (rline < rlen) {
        memmove(resp, resp + rline + 1, rlen - rline - 1);
        rlen -= rline + 1;
    } else {
        rlen = 0;
    }
    rline = 0;
    for (;;) {
        char *nl = memchr(resp, '\n', rlen);
        struct pollfd p = {.fd = sock, .events = POLLIN};
        ssize_t n;

        if (nl) {
            rline = (size_t)(nl - resp);
            return;
        }
        if (rlen == RESP_MAX) {
            die("%s: an answer longer than %d bytes", connect_to, RESP_MAX);
        }
        n = poll(&p, 1, timeout_ms);
        if (n == 0) {
            die("%s: no answer within %d s (is dom0-lite up?)", connect_to, timeout_ms / 1000);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        n = recv(sock, resp + rlen, RESP_MAX - rlen, 0);
        if (n == 0) {
            die("%s: the connection closed", connect_to);
        }
        if (n < 0 && errno != EINTR) {
            die("%s: read failed: %s", connect_to, strerror(errno));
        }
        rlen += n > 0 ? (size_t)n : 0;
    }
}

/* One request; returns the token of "result", or -1 with @err (if any) and *@rc set. */
static int call(const char *method, const char *params, char *err, int *rc)
{
    static char req[4096];
    uint64_t id = next_id++;
    int len;

    if (sock < 0) {
        connect_api();
    }
    len = snprintf(req, sizeof(req), "{\"id\":%llu,\"method\":\"%s\",\"params\":{%s}}\n",
                   (unsigned long long)id, method, params ? params : "");
    if (len < 0 || (size_t)len >= sizeof(req)) {
        die("%s: request too long", method);
    }
    send_all(req, (size_t)len);
    for (;;) {
        jsmn_parser p;
        uint64_t got;
        int iid, ires, ierr;

        read_line();
        jsmn_init(&p);
        ntok = jsmn_parse(&p, resp, rline, tok, MAX_TOKENS);
        if (ntok <= 0 || tok[0].type != JSMN_OBJECT) {
            die("%s: not a JSON answer: %.*s", connect_to, (int)(rline > 200 ? 200 : rline), resp);
        }
        iid = api_json_member(resp, tok, ntok, 0, "id");
        if (iid < 0) {
            if (on_event) {
                on_event();
            }
            continue; /* an event */
        }
        if (!api_json_uint(resp, &tok[iid], &got)) {
            /* id null: the server could not read a request of ours */
            got = 0;
        }
        if (got && got != id) {
            continue; /* an answer to someone else's request: not ours */
        }
        ires = api_json_member(resp, tok, ntok, 0, "result");
        if (ires >= 0 && got == id) {
            return ires;
        }
        ierr = api_json_member(resp, tok, ntok, 0, "error");
        if (ierr < 0) {
            die("%s: an answer with neither result nor error", connect_to);
        }
        int im = api_json_member(resp, tok, ntok, ierr, "message");
        int ie = api_json_member(resp, tok, ntok, ierr, "errno");
        int ic = api_json_member(resp, tok, ntok, ierr, "code");
        char msg[BH_ERR_MAX] = "";
        uint64_t e;

        if (im < 0 || !api_json_str(resp, &tok[im], msg, sizeof(msg))) {
            snprintf(msg, sizeof(msg), "error");
        }
        if (!got) {
            die("the management API refused our request: %s", msg);
        }
        *rc = -XEN_ENOSYS;
        if (ie >= 0 && resp[tok[ie].start] == '-' &&
            api_json_uint(resp,
                          &(jsmntok_t){.type = JSMN_PRIMITIVE,
                                       .start = tok[ie].start + 1,
                                       .end = tok[ie].end},
                          &e) &&
            e > 0 && e < 4096) {
            *rc = -(int)e;
        } else if (ic >= 0 && api_json_is(resp, &tok[ic], "unknown-domain")) {
            *rc = -XEN_ESRCH;
        }
        if (err) {
            snprintf(err, BH_ERR_MAX, "%s", msg);
        }
        return -1;
    }
}

static uint64_t num(int obj, const char *key)
{
    int i = api_json_member(resp, tok, ntok, obj, key);
    uint64_t v = 0;

    if (i >= 0 && resp[tok[i].start] == '-') {
        return 0; /* -1: no CPU */
    }
    if (i >= 0 && !api_json_uint(resp, &tok[i], &v) && !api_json_is(resp, &tok[i], "null")) {
        die("%s: bad '%s' in an answer", connect_to, key);
    }
    return v;
}

static bool flag(int obj, const char *key)
{
    int i = api_json_member(resp, tok, ntok, obj, key);

    return i >= 0 && api_json_is(resp, &tok[i], "true");
}

/* ---- the back end ---- */

static void fill_dom(struct bh_dom *d, int o)
{
    static const char letters[] = "rbpscd";
    int i = api_json_member(resp, tok, ntok, o, "state");
    char st[8] = "";

    memset(d, 0, sizeof(*d));
    d->id = (unsigned)num(o, "domid");
    d->mem_kib = num(o, "memory_kib");
    d->vcpus = (unsigned)num(o, "vcpus");
    d->shutdown_code = (unsigned)num(o, "shutdown_code");
    d->cpu_ns = num(o, "cpu_time_ns");
    d->stub_id = (unsigned)num(o, "stub_domid");
    i = api_json_member(resp, tok, ntok, o, "name");
    if (i < 0 || !api_json_str(resp, &tok[i], d->name, sizeof(d->name))) {
        die("%s: a domain without a name in an answer", connect_to);
    }
    i = api_json_member(resp, tok, ntok, o, "state");
    if (i < 0 || !api_json_str(resp, &tok[i], st, sizeof(st)) || strlen(st) != 6) {
        die("%s: a domain without its state in an answer", connect_to);
    }
    static const uint32_t bits[] = {BH_DOM_RUNNING,  BH_DOM_BLOCKED,  BH_DOM_PAUSED,
                                    BH_DOM_SHUTDOWN, BH_DOM_SHUTDOWN, BH_DOM_DYING};

    for (int k = 0; k < 6; k++) {
        if (st[k] == letters[k]) {
            d->flags |= bits[k];
        }
    }
    if (st[4] == 'c') {
        d->shutdown_code = BH_SHUTDOWN_CRASH;
    }
}

static int r_list(struct bh_dom *doms, unsigned max)
{
    int rc = 0;
    int r = call("list", NULL, NULL, &rc);
    int a = api_json_member(resp, tok, ntok, r, "domains");
    int n = 0;

    if (r < 0) {
        return rc;
    }
    if (a < 0 || tok[a].type != JSMN_ARRAY) {
        die("%s: a list answer without domains", connect_to);
    }
    for (int k = 0, i = a + 1; k < tok[a].size && (unsigned)n < max;
         k++, i = api_json_skip(tok, ntok, i)) {
        fill_dom(&doms[n++], i);
    }
    return n;
}

static void quote(char *p, size_t size, const char *s)
{
    if (api_json_quote(p, size, s) >= size) {
        die("an argument too long for a request: %.40s...", s);
    }
}

static int r_create(const char *cfg, unsigned n, char *const ov[], char *err)
{
    static char params[3500], q[700];
    size_t o;
    int rc = 0, r;

    quote(q, sizeof(q), cfg);
    o = (size_t)snprintf(params, sizeof(params), "\"config\":%s,\"overrides\":[", q);
    for (unsigned i = 0; i < n; i++) {
        quote(q, sizeof(q), ov[i]);
        o += (size_t)snprintf(params + o, sizeof(params) - o, "%s%s", i ? "," : "", q);
        if (o >= sizeof(params)) {
            die("create: the overrides are too long for a request");
        }
    }
    snprintf(params + o, sizeof(params) - o, "]");
    r = call("create", params, err, &rc);
    if (r < 0) {
        return rc;
    }
    return (int)num(r, "domid");
}

static int dom_call(const char *method, unsigned domid, char *err)
{
    char params[32];
    int rc = 0;

    snprintf(params, sizeof(params), "\"dom\":%u", domid);
    return call(method, params, err, &rc) < 0 ? rc : 0;
}

static int r_destroy(unsigned domid, char *err)
{
    return dom_call("destroy", domid, err);
}

static int r_shutdown(unsigned domid, bool reboot, char *err)
{
    return dom_call(reboot ? "reboot" : "shutdown", domid, err);
}

static int r_pause(unsigned domid, bool pause, char *err)
{
    return dom_call(pause ? "pause" : "resume", domid, err);
}

/* ---- console: attach, forward, detach (docs/api.md, "bh --connect ... console") ---- */

#define CON_ESCAPE   0x1d /* CTRL-], as xl console */
#define CON_DRAIN_MS 2000 /* stdin a pipe, at its end: output until this long quiet */
#define CON_CHUNK    512  /* stdin bytes a console-input request carries at most */

static struct {
    unsigned dom;
    bool tty, raw, gone;
    struct termios saved;
    uint64_t last_output_ms;
} con;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_fd(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void con_restore(void)
{
    if (con.raw) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &con.saved);
        con.raw = false;
    }
}

static void con_signal(int sig)
{
    con_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void con_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void con_note(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        /* at a raw terminal, a line needs its \r */
        write_fd(STDERR_FILENO, con.raw ? "\r\n" : "", con.raw ? 2 : 0);
        write_fd(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
        write_fd(STDERR_FILENO, con.raw ? "\r\n" : "\n", con.raw ? 2 : 1);
    }
}

/* A string member of the object at @o as bytes, to stdout. */
static void con_print(int o, const char *key)
{
    static char bytes[RESP_MAX];
    int i = api_json_member(resp, tok, ntok, o, key);
    long n = i < 0 ? -1 : api_json_bytes(resp, &tok[i], bytes, sizeof(bytes));

    if (n < 0) {
        die("%s: console: a bad '%s' in: %.200s", connect_to, key, resp);
    }
    write_fd(STDOUT_FILENO, bytes, (size_t)n);
    if (n) {
        con.last_output_ms = now_ms();
    }
}

/* An event line in resp: our console's output, or its end. */
static void con_event(void)
{
    int e = api_json_member(resp, tok, ntok, 0, "event");
    int d = api_json_member(resp, tok, ntok, 0, "domid");
    uint64_t dom = 0;

    if (e < 0 || d < 0 || !api_json_uint(resp, &tok[d], &dom) || dom != con.dom) {
        return; /* another domain's, a domain event */
    }
    if (api_json_is(resp, &tok[e], "console")) {
        int dr = api_json_member(resp, tok, ntok, 0, "dropped");
        uint64_t lost = 0;

        if (dr >= 0 && api_json_uint(resp, &tok[dr], &lost) && lost) {
            con_note("[bh: %llu bytes of d%u's output lost: the channel was behind]",
                     (unsigned long long)lost, con.dom);
        }
        con_print(0, "data");
    } else if (api_json_is(resp, &tok[e], "console-detached")) {
        con.gone = true;
    }
}

/* One line from the server (waiting for it): a console event is shown, an answer (the
 * detach's, late) ignored. */
static void con_line(void)
{
    jsmn_parser jp;

    read_line();
    jsmn_init(&jp);
    ntok = jsmn_parse(&jp, resp, rline, tok, MAX_TOKENS);
    if (ntok <= 0 || tok[0].type != JSMN_OBJECT) {
        die("%s: not a JSON answer: %.*s", connect_to, (int)(rline > 200 ? 200 : rline), resp);
    }
    if (api_json_member(resp, tok, ntok, 0, "id") < 0) {
        con_event();
    }
}

/* Whether a whole line after the current one has been received already. */
static bool con_buffered(void)
{
    return rline < rlen && memchr(resp + rline + 1, '\n', rlen - rline - 1);
}

/* What the server sends for up to @ms (0: what has arrived), console events shown. */
static void con_wait(int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;

    while (!con.gone) {
        struct pollfd p = {.fd = sock, .events = POLLIN};
        uint64_t t = now_ms();

        if (!con_buffered() && poll(&p, 1, t >= end ? 0 : (int)(end - t)) <= 0) {
            return;
        }
        con_line(); /* a closed connection ends bh there */
    }
}

/* @len bytes to the guest, in requests of at most CON_CHUNK; a full ring takes fewer:
 * the rest again after a while (the output goes on meanwhile). */
static int con_send(const char *p, size_t len, char *err)
{
    static char params[64 + 6 * CON_CHUNK];

    while (len && !con.gone) {
        size_t n = len < CON_CHUNK ? len : CON_CHUNK, qlen;
        int o = snprintf(params, sizeof(params), "\"dom\":%u,\"data\":", con.dom);
        int rc = 0, r, it;
        uint64_t taken;

        api_json_quote_bytes(params + o, sizeof(params) - (size_t)o, p, n, &qlen);
        r = call("console-input", params, err, &rc);
        if (r < 0) {
            return rc;
        }
        it = api_json_member(resp, tok, ntok, r, "taken");
        if (it < 0 || !api_json_uint(resp, &tok[it], &taken) || taken > n) {
            die("%s: console-input: a bad answer: %.200s", connect_to, resp);
        }
        p += taken;
        len -= taken;
        if (taken < n) {
            con_wait(20); /* the guest's input ring is full */
        }
    }
    return 0;
}

static int r_console(unsigned domid, char *err)
{
    char params[32];
    int rc = 0, r, fail = 0;
    bool in_open = true;
    uint64_t start = now_ms(), eof_ms = 0;

    snprintf(params, sizeof(params), "\"dom\":%u", domid);
    r = call("console", params, err, &rc);
    if (r < 0) {
        return rc;
    }
    con.dom = domid;
    con.tty = isatty(STDIN_FILENO);
    on_event = con_event;
    flush_out(stdout);
    if (con.tty && tcgetattr(STDIN_FILENO, &con.saved) == 0) {
        struct termios raw = con.saved;

        cfmakeraw(&raw);
        atexit(con_restore); /* die() too */
        signal(SIGTERM, con_signal);
        signal(SIGHUP, con_signal);
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) {
            con.raw = true;
        }
        con_note("[bh: console of d%u; CTRL-] detaches]", domid);
    }
    con_print(r, "history");
    while (!con.gone && !fail) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN},
                              {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
        char buf[CON_CHUNK];
        uint64_t t = now_ms();
        int wait = in_open ? 1000 : CON_DRAIN_MS;

        if (!in_open &&
            t - (con.last_output_ms > eof_ms ? con.last_output_ms : eof_ms) >= CON_DRAIN_MS) {
            break; /* stdin ended and the output is quiet */
        }
        if (!con.tty && timeout_given && t - start >= (uint64_t)timeout_ms) {
            break;
        }
        if (con_buffered()) {
            con_wait(0); /* lines received already */
            continue;
        }
        if (poll(p, 2, wait) < 0 && errno != EINTR) {
            die("poll: %s", strerror(errno));
        }
        if (p[0].revents) {
            con_wait(0);
        }
        if (p[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            char *esc = con.tty && n > 0 ? memchr(buf, CON_ESCAPE, (size_t)n) : NULL;

            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                in_open = false; /* a pipe's end: what it sent gets its answers */
                eof_ms = now_ms();
                continue;
            }
            rc = con_send(buf, esc ? (size_t)(esc - buf) : (size_t)n, err);
            if (rc < 0) {
                fail = rc;
            }
            if (esc) {
                break;
            }
        }
    }
    on_event = NULL;
    con_restore();
    if (con.gone) {
        con_note("[bh: d%u is gone: console detached]", domid);
        return fail;
    }
    if (!fail) {
        rc = 0;
        call("console-detach", NULL, NULL, &rc); /* not-attached if it went meanwhile */
    }
    if (con.tty) {
        con_note("[bh: detached from d%u]", domid);
    }
    return fail;
}

static int r_vcpus(unsigned domid, struct bh_vcpu *v, unsigned max)
{
    char params[32];
    int rc = 0, r, a, n = 0;

    snprintf(params, sizeof(params), "\"dom\":%u", domid);
    r = call("vcpu-list", params, NULL, &rc);
    if (r < 0) {
        return rc;
    }
    a = api_json_member(resp, tok, ntok, r, "vcpus");
    if (a < 0 || tok[a].type != JSMN_ARRAY) {
        die("%s: a vcpu-list answer without vcpus", connect_to);
    }
    for (int k = 0, i = a + 1; k < tok[a].size && (unsigned)n < max;
         k++, i = api_json_skip(tok, ntok, i)) {
        int c = api_json_member(resp, tok, ntok, i, "cpu");

        v[n++] =
            (struct bh_vcpu){.id = (unsigned)num(i, "vcpu"),
                             .cpu = c >= 0 && resp[tok[c].start] != '-' ? (int)num(i, "cpu") : -1,
                             .online = flag(i, "online"),
                             .running = flag(i, "running"),
                             .blocked = flag(i, "blocked"),
                             .cpu_ns = num(i, "cpu_time_ns"),
                             .affinity = num(i, "affinity")};
    }
    return n;
}

static int r_vcpu_pin(unsigned domid, int vcpu, uint64_t mask, char *err)
{
    char params[512], cpus[300] = "";
    size_t o = 0;
    int rc = 0;

    for (unsigned c = 0; c < 64; c++) {
        if (mask >> c & 1) {
            o += (size_t)snprintf(cpus + o, sizeof(cpus) - o, "%s%u", o ? "," : "", c);
        }
    }
    if (vcpu < 0) {
        snprintf(params, sizeof(params), "\"dom\":%u,\"vcpu\":\"all\",\"cpus\":\"%s\"", domid,
                 cpus);
    } else {
        snprintf(params, sizeof(params), "\"dom\":%u,\"vcpu\":%d,\"cpus\":\"%s\"", domid, vcpu,
                 cpus);
    }
    return call("vcpu-pin", params, err, &rc) < 0 ? rc : 0;
}

static int r_sched_get(unsigned domid, unsigned *weight, unsigned *cap)
{
    char params[32];
    int rc = 0, r;

    snprintf(params, sizeof(params), "\"dom\":%u", domid);
    r = call("sched-credit", params, NULL, &rc);
    if (r < 0) {
        return rc;
    }
    *weight = (unsigned)num(r, "weight");
    *cap = (unsigned)num(r, "cap");
    return 0;
}

static int r_sched_set(unsigned domid, int weight, int cap)
{
    char params[96];
    int o, rc = 0;

    o = snprintf(params, sizeof(params), "\"dom\":%u", domid);
    if (weight >= 0) {
        o += snprintf(params + o, sizeof(params) - (size_t)o, ",\"weight\":%d", weight);
    }
    if (cap >= 0) {
        snprintf(params + o, sizeof(params) - (size_t)o, ",\"cap\":%d", cap);
    }
    return call("sched-credit", params, NULL, &rc) < 0 ? rc : 0;
}

static char version[128] = "unknown";

static int r_physinfo(struct bh_physinfo *pi)
{
    int rc = 0, r = call("host-info", NULL, NULL, &rc);
    int v;

    if (r < 0) {
        return rc;
    }
    pi->nr_cpus = (unsigned)num(r, "nr_cpus");
    pi->cpu_khz = (unsigned)num(r, "cpu_khz");
    pi->total_pages = num(r, "total_pages");
    pi->free_pages = num(r, "free_pages");
    pi->page_size = num(r, "page_size");
    v = api_json_member(resp, tok, ntok, r, "version");
    if (v >= 0) {
        api_json_str(resp, &tok[v], version, sizeof(version));
    }
    return 0;
}

static uint64_t r_uptime(void)
{
    int rc = 0, r = call("uptime", NULL, NULL, &rc);

    if (r < 0) {
        die("uptime: %s", bh_strerror(rc));
    }
    return num(r, "uptime_ns");
}

static int r_dmesg(bool clear, void (*o)(const char *s, size_t len), char *err)
{
    static char text[API_OUT_MAX];
    int rc = 0, r, i;

    if (clear) {
        snprintf(err, BH_ERR_MAX, "-c (clear) is for the bh> shell; the API only reads");
        return -XEN_EOPNOTSUPP;
    }
    r = call("dmesg", NULL, err, &rc);
    if (r < 0) {
        return rc;
    }
    i = api_json_member(resp, tok, ntok, r, "text");
    if (i < 0 || !api_json_str(resp, &tok[i], text, sizeof(text))) {
        die("dmesg: %s: no text in the answer", connect_to);
    }
    o(text, strlen(text));
    return 0;
}

static const struct bh_ops remote_ops = {
    .out = out,
    .list = r_list,
    .create = r_create,
    .destroy = r_destroy,
    .shutdown = r_shutdown,
    .pause = r_pause,
    .vcpus = r_vcpus,
    .sched_get = r_sched_get,
    .sched_set = r_sched_set,
    .physinfo = r_physinfo,
    .uptime_ns = r_uptime,
    .dmesg = r_dmesg,
    .console = r_console,
    .vcpu_pin = r_vcpu_pin,
    .crash = NULL,
    .version = version,
};

static void usage(FILE *f)
{
    fputs("Usage: bh --connect unix:PATH [--timeout SECONDS] <command> [args ...]\n"
          "  The Bulkhead toolstack on the host, through dom0-lite's management API\n"
          "  (docs/api.md). 'bh help' lists the commands, as the bh> shell's help.\n"
          "  console <dom>: at a terminal, what you type goes to the domain and CTRL-]\n"
          "  detaches; from a pipe, stdin is sent and bh exits 2 s after its end once the\n"
          "  output is quiet (or after --timeout SECONDS).\n",
          f);
}

int main(int argc, char **argv)
{
    int i = 1, rc;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
            connect_to = argv[++i];
        } else if (!strncmp(argv[i], "--connect=", 10)) {
            connect_to = argv[i] + 10;
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            timeout_ms = atoi(argv[++i]) * 1000;
            timeout_given = true;
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bh: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    resp = malloc(RESP_MAX);
    tok = malloc(MAX_TOKENS * sizeof(*tok));
    if (!resp || !tok) {
        die("out of memory");
    }
    rc = bh_run_argv(&remote_ops, argc - i, argv + i);
    flush_out(rc ? stderr : stdout);
    /* top: the further frames, every delay_s seconds (until -n frames or CTRL-c). */
    while (!rc && bh_top_active &&
           (!bh_top_request.iterations || bh_top_request.shown < bh_top_request.iterations)) {
        sleep(bh_top_request.delay_s);
        out("\n", 1);
        bh_top_frame(&remote_ops, &bh_top_request);
        flush_out(stdout);
    }
    if (sock >= 0) {
        close(sock);
    }
    return rc;
}
