/* SPDX-License-Identifier: MIT */
/* Range arithmetic for the boot memory map. */
#include <bulkhead/mm.h>

void range_subtract(struct mem_range in, const struct mem_range *ex, unsigned nr_ex,
                    void (*fn)(void *ctx, struct mem_range piece), void *ctx)
{
    uint64_t start = ALIGN_UP(pa_addr(in.base), PAGE_SIZE);
    uint64_t end = ALIGN_DOWN(pa_addr(in.base) + in.size, PAGE_SIZE);

    if (end <= start) {
        return;
    }
    for (unsigned i = 0; i < nr_ex; i++) {
        /* Exclusions grow outward to whole pages. */
        uint64_t xs = ALIGN_DOWN(pa_addr(ex[i].base), PAGE_SIZE);
        uint64_t xe = ALIGN_UP(pa_addr(ex[i].base) + ex[i].size, PAGE_SIZE);

        if (ex[i].size == 0 || xe <= start || xs >= end) {
            continue;
        }
        /* Split around the first overlapping exclusion; recurse on both sides with the
         * remaining ones (earlier ones did not overlap this range). */
        if (xs > start) {
            range_subtract((struct mem_range){pa_init(start), xs - start}, ex + i + 1,
                           nr_ex - i - 1, fn, ctx);
        }
        if (xe < end) {
            range_subtract((struct mem_range){pa_init(xe), end - xe}, ex + i + 1, nr_ex - i - 1, fn,
                           ctx);
        }
        return;
    }
    fn(ctx, (struct mem_range){pa_init(start), end - start});
}
