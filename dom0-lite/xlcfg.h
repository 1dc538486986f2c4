/* SPDX-License-Identifier: MIT */
/*
 * xl.cfg for dom0-lite's builder (docs/dom0-lite.md): the subset of xl's syntax that
 * toolstack/bhboot/xlcfg.py reads (`KEY = VALUE`, VALUE a "string", 'string', an integer
 * or a [list], `#` comments) and the keys the builder uses. Errors are one line,
 * `FILE:LINE: key 'KEY': problem` (LINE 0 for a key that is missing), as bh-boot's.
 * Freestanding: no allocation, no libc beyond <string.h>; the host unit tests use it too.
 */
#ifndef DOM0_XLCFG_H
#define DOM0_XLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XLCFG_NAME_MAX   64 /* with the NUL */
#define XLCFG_PATH_MAX   128
#define XLCFG_EXTRA_MAX  512
#define XLCFG_ERR_MAX    192
#define XLCFG_MAX_VCPUS  8
#define XLCFG_MEM_MAX    3072 /* MiB: the guest RAM bank's largest size (docs/domains.md) */
#define XLCFG_WEIGHT_MAX 65535
#define XLCFG_WEIGHT_DEF 256

/* What to do when the guest powers off, reboots or crashes (xl.cfg's on_*). */
enum xl_action {
    XL_DESTROY,
    XL_RESTART,
    XL_PRESERVE,
};

struct xlcfg {
    char name[XLCFG_NAME_MAX];
    uint64_t memory_mib;
    unsigned vcpus;
    char kernel[XLCFG_PATH_MAX];
    char ramdisk[XLCFG_PATH_MAX]; /* "" if none */
    char extra[XLCFG_EXTRA_MAX];  /* extra or cmdline */
    uint64_t cpus;                /* hard affinity bitmap; 0: any CPU */
    unsigned weight;
    unsigned cap;
    enum xl_action on_poweroff, on_reboot, on_crash;
    bool stubdom; /* a stub domain serves its UART (1, the default; docs/stub-domains.md) */
};

/* xl_action's name as xl.cfg spells it. */
const char *xl_action_name(enum xl_action a);

/*
 * Parse @len bytes of @text (file name @file, for messages) into @cfg (defaults first).
 * 0, or -1 with the message in @err (XLCFG_ERR_MAX bytes).
 */
int xlcfg_parse(const char *file, const char *text, size_t len, struct xlcfg *cfg, char *err);

/*
 * One `KEY=VALUE` override as xl's command line gives it (VALUE unquoted, or quoted as
 * in a file): applied over a parsed @cfg, then checked again. 0 or -1 with @err.
 */
int xlcfg_override(const char *file, const char *kv, struct xlcfg *cfg, char *err);

/* Parse an xl cpu list ("0-3,6" or "all") into a bitmap of CPUs below 64. */
bool xlcfg_cpulist(const char *s, uint64_t *mask);

#endif
