/* SPDX-License-Identifier: MIT */
/*
 * console_io (Xen: `long do_console_io(unsigned int cmd, unsigned int count, buffer)`):
 * CONSOLEIO_write into the domain's console (console/guest_console.c). Any count is
 * accepted, as in Xen; a write is done in pieces of at most CON_BUDGET bytes, each
 * piece a continuation, so a long write does not hold the CPU.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>

#define CON_CHUNK  128
#define CON_BUDGET 4096 /* bytes per invocation before a continuation */

int64_t do_console_io(struct vcpu *v, struct hypercall *hc, unsigned int cmd, unsigned int count,
                      uint64_t buf)
{
    char chunk[CON_CHUNK];
    unsigned int done = 0;

    if (cmd != CONSOLEIO_write) {
        /* CONSOLEIO_read is for the control domain; none exists yet. */
        return cmd == CONSOLEIO_read ? -EPERM : -ENOSYS;
    }
    while (done < count) {
        unsigned int n = MIN(count - done, (unsigned int)sizeof(chunk));
        int rc;

        if (done >= CON_BUDGET || (done && hypercall_preempt_check())) {
            hc->a[1] = count - done;
            hc->a[2] = buf + done;
            hypercall_continue(hc);
            return 0;
        }
        rc = copy_from_guest(v, chunk, buf + done, n);
        if (rc) {
            return rc;
        }
        guest_console_write(&v->dom->console, chunk, n);
        done += n;
    }
    /* Xen returns 0 for a complete write. */
    return 0;
}

int64_t hc_console_io(struct vcpu *v, struct hypercall *hc)
{
    return do_console_io(v, hc, (unsigned int)hc->a[0], (unsigned int)hc->a[1], hc->a[2]);
}
