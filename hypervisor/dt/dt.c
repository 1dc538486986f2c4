/* SPDX-License-Identifier: MIT */
/* Small helpers over libfdt, shared by the board parser and the arch DT code. */
#include <libfdt.h>

#include <bulkhead/board.h>
#include <bulkhead/errno.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;

    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_to_cpu(p[i]);
    }
    return v;
}

int dt_read_reg(const void *fdt, int node, int index, struct mem_range *out)
{
    int parent = fdt_parent_offset(fdt, node);
    int ac, sc, len;
    const fdt32_t *reg;

    if (parent < 0) {
        return -EINVAL;
    }
    ac = fdt_address_cells(fdt, parent);
    sc = fdt_size_cells(fdt, parent);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        return -EINVAL;
    }
    reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < 0) {
        return -ENOENT;
    }
    if ((index + 1) * (ac + sc) * 4 > len) {
        return -ENOENT;
    }
    reg += index * (ac + sc);
    out->base = pa_init(read_cells(reg, ac));
    out->size = read_cells(reg + ac, sc);
    return 0;
}

bool dt_node_matches(const void *fdt, int node, const char *const *list, const char **match)
{
    for (; *list; list++) {
        if (fdt_node_check_compatible(fdt, node, *list) == 0) {
            if (match) {
                *match = *list;
            }
            return true;
        }
    }
    return false;
}

static bool dt_enabled(const void *fdt, int node)
{
    const char *status = fdt_getprop(fdt, node, "status", NULL);

    return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

int dt_find_compatible(const void *fdt, const char *const *list, const char **match)
{
    int node;

    for (node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        if (dt_enabled(fdt, node) && dt_node_matches(fdt, node, list, match)) {
            return node;
        }
    }
    return node == -FDT_ERR_NOTFOUND ? -ENOENT : -EINVAL;
}

int dt_read_u64(const void *fdt, int node, const char *prop, uint64_t *out)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);

    if (!p || (len != 4 && len != 8)) {
        return -ENOENT;
    }
    *out = read_cells(p, len / 4);
    return 0;
}
