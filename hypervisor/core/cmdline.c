/* SPDX-License-Identifier: MIT */
/* Hypervisor command line (/chosen "xen,xen-bootargs", else "bootargs"). */
#include <string.h>

#include <bulkhead/boot.h>

const char *cmdline_get(const char *cmdline, const char *name, char *buf, unsigned size)
{
    size_t nlen = strlen(name);
    const char *p = cmdline;

    if (size == 0) {
        return NULL;
    }
    while (p && *p) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len >= nlen && strncmp(p, name, nlen) == 0 && (len == nlen || p[nlen] == '=')) {
            size_t vlen = len == nlen ? 0 : len - nlen - 1;

            vlen = vlen < size - 1 ? vlen : size - 1;
            memcpy(buf, p + nlen + (len == nlen ? 0 : 1), vlen);
            buf[vlen] = '\0';
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}
