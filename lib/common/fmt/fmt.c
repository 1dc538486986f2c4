/* SPDX-License-Identifier: MIT */
/* printf-style formatting for freestanding code. See lib/common/include/fmt.h. */
#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"

/* Output cursor: counts everything, stores what fits (always NUL-terminated). */
struct fmt_out {
    char *buf;   /* destination, may be NULL when size is 0 */
    size_t size; /* bytes available in buf, including the NUL */
    size_t len;  /* characters produced so far, stored or not */
};

/* One conversion's flags, width and length modifier. */
struct fmt_spec {
    bool left;      /* '-': pad on the right */
    bool zero;      /* '0': pad numbers with zeroes */
    unsigned width; /* minimum field width */
    unsigned lng;   /* number of 'l' (z counts as 2) */
};

static void out_char(struct fmt_out *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void out_pad(struct fmt_out *o, char c, unsigned n)
{
    while (n--) {
        out_char(o, c);
    }
}

static void out_field(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n,
                      bool numeric)
{
    unsigned pad = sp->width > n ? sp->width - (unsigned)n : 0;

    if (!sp->left) {
        out_pad(o, numeric && sp->zero ? '0' : ' ', pad);
    }
    for (size_t i = 0; i < n; i++) {
        out_char(o, s[i]);
    }
    if (sp->left) {
        out_pad(o, ' ', pad);
    }
}

static void out_number(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v, unsigned base,
                       bool upper, bool negative)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = sizeof(tmp);

    do {
        tmp[--n] = digits[v % base];
        v /= base;
    } while (v);
    if (negative) {
        if (sp->zero && !sp->left && sp->width) {
            /* The sign goes before the zero padding. */
            struct fmt_spec rest = *sp;

            out_char(o, '-');
            rest.width = sp->width ? sp->width - 1 : 0;
            out_field(o, &rest, tmp + n, sizeof(tmp) - n, true);
            return;
        }
        tmp[--n] = '-';
    }
    out_field(o, sp, tmp + n, sizeof(tmp) - n, true);
}

static const char *parse_spec(const char *f, struct fmt_spec *sp)
{
    *sp = (struct fmt_spec){0};
    for (;; f++) {
        if (*f == '-') {
            sp->left = true;
        } else if (*f == '0') {
            sp->zero = true;
        } else {
            break;
        }
    }
    while (*f >= '0' && *f <= '9') {
        sp->width = sp->width * 10 + (unsigned)(*f++ - '0');
    }
    for (;; f++) {
        if (*f == 'l') {
            sp->lng++;
        } else if (*f == 'z') {
            sp->lng = 2;
        } else {
            return f;
        }
    }
}

static uint64_t arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
    if (sp->lng >= 2) {
        return va_arg(*ap, unsigned long long);
    }
    if (sp->lng == 1) {
        return va_arg(*ap, unsigned long);
    }
    return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(const struct fmt_spec *sp, va_list *ap)
{
    if (sp->lng >= 2) {
        return va_arg(*ap, long long);
    }
    if (sp->lng == 1) {
        return va_arg(*ap, long);
    }
    return va_arg(*ap, int);
}

static void convert(struct fmt_out *o, const struct fmt_spec *sp, char c, va_list *ap)
{
    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(sp, ap);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        out_number(o, sp, mag, 10, false, v < 0);
        break;
    }
    case 'u':
        out_number(o, sp, arg_unsigned(sp, ap), 10, false, false);
        break;
    case 'x':
    case 'X':
        out_number(o, sp, arg_unsigned(sp, ap), 16, c == 'X', false);
        break;
    case 'p':
        out_char(o, '0');
        out_char(o, 'x');
        out_number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, false, false);
        break;
    case 'c': {
        char ch = (char)va_arg(*ap, int);

        out_field(o, sp, &ch, 1, false);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        size_t n = 0;

        if (!s) {
            s = "(null)";
        }
        while (s[n]) {
            n++;
        }
        out_field(o, sp, s, n, false);
        break;
    }
    case '%':
        out_char(o, '%');
        break;
    default:
        /* Unknown conversion: print it literally so the mistake is visible. */
        out_char(o, '%');
        out_char(o, c);
        break;
    }
}

int fmt_vsnprintf(char *buf, size_t size, const char *f, va_list ap)
{
    struct fmt_out o = {.buf = buf, .size = size, .len = 0};
    struct fmt_spec sp;
    va_list args;

    va_copy(args, ap);
    while (*f) {
        if (*f != '%') {
            out_char(&o, *f++);
            continue;
        }
        f = parse_spec(f + 1, &sp);
        if (!*f) {
            break;
        }
        convert(&o, &sp, *f++, &args);
    }
    va_end(args);
    if (size) {
        buf[o.len < size ? o.len : size - 1] = '\0';
    }
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = fmt_vsnprintf(buf, size, f, ap);
    va_end(ap);
    return n;
}
