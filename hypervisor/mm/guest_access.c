/* SPDX-License-Identifier: MIT */
/* Copies between the hypervisor and a running vCPU's virtual memory, page by page. */
#include <string.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/p2m.h>

/* Largest copy a hypercall may ask for in one go: bounds the work a guest can cause. */
#define GUEST_COPY_MAX (1u << 20)

/* Translate every page of [gva, gva+n) without copying. */
static int check_guest(struct vcpu *v, struct p2m_locked l, uint64_t gva, size_t n)
{
    for (uint64_t va = gva & ~(PAGE_SIZE - 1); va < gva + n; va += PAGE_SIZE) {
        paddr_t pa;

        if (arch_guest_va_to_pa(v, l, va, true, &pa) != 0) {
            return -EFAULT;
        }
    }
    return 0;
}

static int copy_guest(struct vcpu *v, uint64_t gva, void *hyp, size_t n, bool to_guest)
{
    struct p2m *p2m = &v->dom->p2m;
    struct p2m_locked l;
    size_t done = 0;
    int rc = 0;

    if (n > GUEST_COPY_MAX || gva + n < gva) {
        return -EFAULT;
    }
    /* A write that would fault part-way must not change the guest's memory at all. */
    if (to_guest) {
        l = p2m_lock(p2m);
        rc = check_guest(v, l, gva, n);
        p2m_unlock(l);
    }
    while (done < n && rc == 0) {
        uint64_t va = gva + done;
        size_t chunk = MIN(n - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        paddr_t pa;

        l = p2m_lock(p2m);
        rc = arch_guest_va_to_pa(v, l, va, to_guest, &pa) ? -EFAULT : 0;
        if (rc == 0 && to_guest) {
            memcpy(pa_va(pa), (char *)hyp + done, chunk);
        } else if (rc == 0) {
            memcpy((char *)hyp + done, pa_va(pa), chunk);
        }
        p2m_unlock(l);
        done += chunk;
    }
    return rc;
}

int copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t n)
{
    return copy_guest(v, gva, dst, n, false);
}

int copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t n)
{
    return copy_guest(v, gva, (void *)src, n, true);
}
