/* SPDX-License-Identifier: MIT */
/* The boot bundle: a cpio newc reader (bundle.h). */
#include "bundle.h"

#include <stdbool.h>
#include <string.h>

#define NEWC_HDR   110
#define S_IFMT_    0170000u
#define S_IFREG_   0100000u
#define NAME_LIMIT 4096u

static bool hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 8; i++) {
        uint8_t c = p[i];
        unsigned d;

        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10u;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10u;
        } else {
            return false;
        }
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

int bundle_walk(const struct bundle *b, int (*fn)(const struct bundle_file *f, void *ctx),
                void *ctx, size_t *bad_at)
{
    size_t off = 0;

    for (;;) {
        const uint8_t *h = b->base + off;
        uint32_t f[13];
        struct bundle_file file;
        size_t name_end, data_end;
        int rc;

        if (b->size < NEWC_HDR || off > b->size - NEWC_HDR ||
            (memcmp(h, "070701", 6) && memcmp(h, "070702", 6))) {
            goto bad;
        }
        for (unsigned i = 0; i < 13; i++) {
            if (!hex8(h + 6 + 8 * i, &f[i])) {
                goto bad;
            }
        }
        /* f[1] mode, f[6] filesize, f[11] namesize (with its NUL). */
        if (f[11] == 0 || f[11] > NAME_LIMIT || f[11] > b->size - off - NEWC_HDR) {
            goto bad;
        }
        file.name = (const char *)h + NEWC_HDR;
        if (file.name[f[11] - 1] != '\0' || strlen(file.name) != f[11] - 1) {
            goto bad;
        }
        name_end = align4(off + NEWC_HDR + f[11]);
        if (name_end > b->size || f[6] > b->size - name_end) {
            goto bad;
        }
        data_end = name_end + f[6];
        if (!strcmp(file.name, "TRAILER!!!")) {
            return 0;
        }
        file.data = b->base + name_end;
        file.size = f[6];
        file.mode = f[1];
        rc = fn(&file, ctx);
        if (rc) {
            return rc;
        }
        off = align4(data_end);
    }
bad:
    if (bad_at) {
        *bad_at = off;
    }
    return -1;
}

struct find_ctx {
    const char *name;
    struct bundle_file *out;
};

static const char *plain(const char *n)
{
    while (n[0] == '/' || (n[0] == '.' && n[1] == '/')) {
        n += n[0] == '/' ? 1 : 2;
    }
    return n;
}

static int find_one(const struct bundle_file *f, void *ctx)
{
    struct find_ctx *c = ctx;

    if ((f->mode & S_IFMT_) == S_IFREG_ && !strcmp(plain(f->name), c->name)) {
        *c->out = *f;
        return 1;
    }
    return 0;
}

int bundle_find(const struct bundle *b, const char *name, struct bundle_file *out)
{
    struct find_ctx c = {plain(name), out};

    return bundle_walk(b, find_one, &c, NULL) == 1 ? 0 : -1;
}
