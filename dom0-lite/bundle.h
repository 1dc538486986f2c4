/* SPDX-License-Identifier: MIT */
/*
 * The boot bundle (docs/dom0-lite.md): dom0-lite's ramdisk, a cpio "newc" archive
 * (070701 headers, as tests/e2e/mkcpio.py and the kernel's initramfs write them) holding
 * configs/<name>.cfg, the files they name, stub.bin, `autostart` and boot/<name>.cfg
 * (bh-boot's boot-time guests). Read in place: a
 * file is a pointer into the archive. Every header field is checked against the archive's
 * end, so a corrupt bundle is an error, never a wild read.
 */
#ifndef DOM0_BUNDLE_H
#define DOM0_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

struct bundle {
    const uint8_t *base;
    size_t size;
};

struct bundle_file {
    const char *name; /* NUL-terminated, inside the archive */
    const uint8_t *data;
    size_t size;
    uint32_t mode;
};

/*
 * Walk the archive: call @fn for every entry before the trailer until it returns non-zero
 * (which is returned). 0 at the trailer, -1 for a malformed archive (*@bad_at gets its
 * offset when non-NULL).
 */
int bundle_walk(const struct bundle *b, int (*fn)(const struct bundle_file *f, void *ctx),
                void *ctx, size_t *bad_at);

/* Find the regular file @name ("configs/x.cfg", a leading "./" or "/" ignored). 0 or -1. */
int bundle_find(const struct bundle *b, const char *name, struct bundle_file *out);

#endif
