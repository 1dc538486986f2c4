/* SPDX-License-Identifier: MIT */
/*
 * Memory-isolation modes: reads outside guest RAM (unmapped, probe), markers left in
 * RAM for other guests to look for (secret, dirty), and scrubbing (scrubcheck).
 * "Free RAM" is every page not holding our image (code, data, BSS, stacks) or the DTB.
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "testguest.h"

#define DEFAULT_SECRET 0x5ec2e7005ec2e700ull
#define DEFAULT_DIRTY  0xd127d127d127d127ull

/* Where a scan stopped: how many words matched and the first one. */
struct scan_result {
    uint64_t hits;
    uint64_t first;
    uint64_t first_val;
};

static void fill_free_ram(uint64_t marker)
{
    uint64_t s, e, from = 0;

    while (dom_free_next(from, &s, &e)) {
        for (volatile uint64_t *p = (uint64_t *)(uintptr_t)s; (uintptr_t)p < e; p++) {
            *p = marker;
        }
        from = e;
    }
}

/* Count the free-RAM words for which (word == value) == @equal. */
static struct scan_result scan_free_ram(uint64_t value, bool equal)
{
    struct scan_result r = {0};
    uint64_t s, e, from = 0;

    while (dom_free_next(from, &s, &e)) {
        for (volatile uint64_t *p = (uint64_t *)(uintptr_t)s; (uintptr_t)p < e; p++) {
            uint64_t v = *p;

            if ((v == value) == equal) {
                if (!r.hits++) {
                    r.first = (uint64_t)(uintptr_t)p;
                    r.first_val = v;
                }
            }
        }
        from = e;
    }
    return r;
}

static uint64_t free_ram_bytes(void)
{
    uint64_t s, e, from = 0, total = 0;

    while (dom_free_next(from, &s, &e)) {
        total += e - s;
        from = e;
    }
    return total;
}

/* unmapped: read addr= (default: RAM end + 1 GiB); the hypervisor must crash us. */
int mode_unmapped(void)
{
    uint64_t addr = dom_arg_u64("addr", tg_ram_end() + (1ull << 30));
    uint64_t v = tg_read_announced(addr);

    test_fail("unmapped", "survived, read 0x%lx at 0x%lx", v, addr);
    test_done();
    return 0;
}

/*
 * The hypervisor's image must not show up at the guest-physical address equal to its
 * host-physical load address. If that address is inside our RAM, what is there is ours:
 * either nothing that looks like an Image header, or our own header (when the
 * hypervisor's load address equals our own, as on QEMU virt).
 */
static void probe_hyp_header(uint64_t hyp)
{
    uint8_t hdr[64];
    const volatile uint64_t *p = (const uint64_t *)(uintptr_t)hyp;

    if (hyp & 7 || !tg_in_ram(hyp, sizeof(hdr))) {
        dom_printf("INFO probe: hyp=0x%lx is not in own RAM, header check skipped\n", hyp);
        return;
    }
    for (unsigned i = 0; i < sizeof(hdr) / 8; i++) {
        uint64_t w = p[i];

        memcpy(hdr + 8 * i, &w, 8);
    }
    if (memcmp(hdr + dom_arch_image_magic_off, dom_arch_image_magic, dom_arch_image_magic_len)) {
        test_pass("no-hyp-image");
    } else if (hyp == (uint64_t)(uintptr_t)__image_start) {
        /* Same memory as our own header: compare with what we were linked with. */
        uint64_t size = *(const volatile uint64_t *)(uintptr_t)(hyp + 16);
        uint64_t ours = (uint64_t)(uintptr_t)(__image_end - __image_start);

        test_check(size == ours, "no-hyp-image", "image_size 0x%lx at 0x%lx, ours is 0x%lx", size,
                   hyp, ours);
    } else {
        test_fail("no-hyp-image", "an Image header at 0x%lx that is not ours", hyp);
    }
}

/*
 * probe: look for another guest's marker= in our own RAM, check hyp= (see above), then
 * read addr= if given, which must crash us.
 */
int mode_probe(void)
{
    uint64_t marker = dom_arg_u64("marker", DEFAULT_SECRET);
    uint64_t hyp = dom_arg_u64("hyp", 0);
    char addr_s[32];
    struct scan_result r = scan_free_ram(marker, true);

    test_check(!r.hits, "no-foreign-data", "marker 0x%lx found %lu times, first at 0x%lx", marker,
               r.hits, r.first);
    if (hyp) {
        probe_hyp_header(hyp);
    }
    if (dom_arg("addr", addr_s, sizeof(addr_s))) {
        uint64_t addr;

        if (!dom_parse_u64(addr_s, &addr)) {
            test_fail("probe", "bad addr=%s", addr_s);
        } else {
            uint64_t v = tg_read_announced(addr);

            test_fail("probe", "survived, read 0x%lx at 0x%lx", v, addr);
        }
    }
    test_done();
    return 0;
}

/* secret: fill free RAM with marker=, wait wait_ms= (default 5000), check it is intact. */
int mode_secret(void)
{
    uint64_t marker = dom_arg_u64("marker", DEFAULT_SECRET);
    uint64_t wait_ms = dom_arg_u64("wait_ms", 5000);
    uint64_t end;
    struct scan_result r;

    fill_free_ram(marker);
    dom_printf("SECRET READY 0x%lx bytes of 0x%lx\n", free_ram_bytes(), marker);
    end = dom_now_ns() + wait_ms * 1000000ull;
    while (dom_now_ns() < end) {
        dom_sleep_ms(wait_ms < 100 ? wait_ms : 100);
    }
    r = scan_free_ram(marker, false);
    test_check(!r.hits, "secret-intact", "%lu words changed, first at 0x%lx = 0x%lx", r.hits,
               r.first, r.first_val);
    test_done();
    return 0;
}

/* dirty: fill free RAM with marker= and power off, for scrubcheck to look for later. */
int mode_dirty(void)
{
    uint64_t marker = dom_arg_u64("marker", DEFAULT_DIRTY);

    fill_free_ram(marker);
    dom_printf("DIRTY DONE 0x%lx bytes of 0x%lx\n", free_ram_bytes(), marker);
    return 0;
}

/* scrubcheck: all free RAM must read as zero; marker= names the dirty guest's pattern. */
int mode_scrubcheck(void)
{
    uint64_t marker = dom_arg_u64("marker", DEFAULT_DIRTY);
    struct scan_result nz = scan_free_ram(0, false);
    struct scan_result dirty = scan_free_ram(marker, true);

    dom_printf("scrubcheck: 0x%lx bytes checked\n", free_ram_bytes());
    test_check(!dirty.hits, "scrub-no-marker", "dirty marker 0x%lx found %lu times, first at 0x%lx",
               marker, dirty.hits, dirty.first);
    test_check(!nz.hits, "scrub-zero", "%lu non-zero words, first at 0x%lx = 0x%lx", nz.hits,
               nz.first, nz.first_val);
    test_done();
    return 0;
}
