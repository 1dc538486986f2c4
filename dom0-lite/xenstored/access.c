/* SPDX-License-Identifier: MIT */
/*
 * Paths and permissions (docs/misc/xenstore.txt in Xen's tree, "Permissions" on the
 * XenBus wiki page).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static bool path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '/' || c == '_' || c == '@';
}

/* Absolute, allowed characters only, no doubled or trailing slash, at most @max bytes. */
bool path_valid(const char *path, size_t max)
{
    size_t len = strlen(path);

    if (len == 0 || len > max || path[0] != '/') {
        return false;
    }
    if (len > 1 && path[len - 1] == '/') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!path_char_ok(path[i]) || (path[i] == '/' && path[i + 1] == '/')) {
            return false;
        }
    }
    return true;
}

/* Turns a request path into an absolute one; relative paths are under the domain's home. */
int path_canon(const struct xs_conn *conn, const char *in, char *out, size_t out_size)
{
    size_t len = strlen(in);
    int n;

    if (in[0] == '/') {
        if (len > XENSTORE_ABS_PATH_MAX || len >= out_size) {
            return -EINVAL;
        }
        memcpy(out, in, len + 1);
    } else {
        /* A name starting with '@' is special (xenstore.txt), never relative, as in Xen. */
        if (len == 0 || len > XENSTORE_REL_PATH_MAX || in[0] == '@') {
            return -EINVAL;
        }
        n = snprintf(out, out_size, "/local/domain/%u/%s", conn->domid, in);
        if (n < 0 || (size_t)n >= out_size) {
            return -EINVAL;
        }
    }
    return path_valid(out, XENSTORE_ABS_PATH_MAX) ? 0 : -EINVAL;
}

/* True if @child is @parent or below it. */
bool path_is_child(const char *child, const char *parent)
{
    size_t plen = strlen(parent);

    if (plen == 1 && parent[0] == '/') {
        return child[0] == '/';
    }
    return strncmp(child, parent, plen) == 0 && (child[plen] == '/' || child[plen] == '\0');
}

/*
 * Owner (and a domain acting for it through SET_TARGET) may do anything; otherwise the
 * first ACL entry naming the domain applies, or else perms[0]'s default for everyone.
 */
unsigned perm_of(const struct xs_conn *conn, const struct xs_node *node)
{
    int target = domain_conn_target(conn);
    unsigned id = conn->domid;

    if (conn->priv) {
        return XS_PERM_BOTH;
    }
    if (node->perms[0].id == id || (target >= 0 && node->perms[0].id == (unsigned)target)) {
        return XS_PERM_BOTH;
    }
    for (uint32_t i = 1; i < node->nperms; i++) {
        if (node->perms[i].id == id) {
            return node->perms[i].perm;
        }
    }
    for (uint32_t i = 1; target >= 0 && i < node->nperms; i++) {
        if (node->perms[i].id == (unsigned)target) {
            return node->perms[i].perm;
        }
    }
    return node->perms[0].perm;
}

int parse_domid(const char *s, unsigned *domid)
{
    unsigned long v = 0;

    if (*s == '\0') {
        return -EINVAL;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return -EINVAL;
        }
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > XS_DOMID_MAX) {
            return -EINVAL;
        }
    }
    *domid = (unsigned)v;
    return 0;
}

static int perm_char(char c, uint32_t *perm)
{
    switch (c) {
    case 'n':
        *perm = XS_PERM_NONE;
        return 0;
    case 'r':
        *perm = XS_PERM_READ;
        return 0;
    case 'w':
        *perm = XS_PERM_WRITE;
        return 0;
    case 'b':
        *perm = XS_PERM_BOTH;
        return 0;
    default:
        return -EINVAL;
    }
}

/* Parses "<c><domid>|"+ into node->perms. */
int perms_parse(const char *data, uint32_t len, struct xs_node *node)
{
    const char *argv[XS_PERMS_MAX + 1];
    unsigned n = core_split(data, len, argv, XS_PERMS_MAX + 1);

    if (n == 0) {
        return -EINVAL;
    }
    if (n > XS_PERMS_MAX) {
        return -ENOSPC;
    }
    for (unsigned i = 0; i < n; i++) {
        if (perm_char(argv[i][0], &node->perms[i].perm) != 0 ||
            parse_domid(argv[i] + 1, &node->perms[i].id) != 0) {
            return -EINVAL;
        }
    }
    node->nperms = n;
    return 0;
}

size_t perms_format(const struct xs_node *node, char *out, size_t size)
{
    static const char letters[] = {'n', 'r', 'w', 'b'};
    size_t off = 0;

    for (uint32_t i = 0; i < node->nperms; i++) {
        int n = snprintf(out + off, size - off, "%c%u", letters[node->perms[i].perm & 3],
                         node->perms[i].id);
        if (n < 0 || (size_t)n + 1 > size - off) {
            break;
        }
        off += (size_t)n + 1;
    }
    return off;
}
