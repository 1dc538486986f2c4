/* SPDX-License-Identifier: MIT */
/*
 * Domains: node accounting for quotas, and the domain management requests
 * (INTRODUCE, RELEASE, GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, RESUME, SET_TARGET).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* First domid reserved by Xen (DOMID_FIRST_RESERVED in xen.h). */
#define XS_DOMID_FIRST_RESERVED 0x7ff0u

struct xs_domain *domain_get(struct xs_core *core, unsigned domid, bool create)
{
    struct xs_domain **head = &core->domains[domid % XS_DOMAIN_HASH];
    struct xs_domain *dom;

    for (dom = *head; dom; dom = dom->next) {
        if (dom->domid == domid) {
            return dom;
        }
    }
    if (!create) {
        return NULL;
    }
    dom = calloc(1, sizeof(*dom));
    if (!dom) {
        return NULL;
    }
    dom->domid = domid;
    dom->target = -1;
    dom->next = *head;
    *head = dom;
    return dom;
}

void domain_free_all(struct xs_core *core)
{
    for (unsigned i = 0; i < XS_DOMAIN_HASH; i++) {
        while (core->domains[i]) {
            struct xs_domain *dom = core->domains[i];
            core->domains[i] = dom->next;
            free(dom);
        }
    }
}

/* Node memory is charged without a check here: domain_node_mem_check() ran first. */
void domain_node_added(struct xs_core *core, unsigned owner, uint32_t vlen)
{
    struct xs_domain *dom = domain_get(core, owner, true);

    if (dom) {
        dom->nodes++;
        core_mem_charge(core, &dom->node_mem, XS_NODE_COST(vlen), false);
    }
}

void domain_node_removed(struct xs_core *core, unsigned owner, uint32_t vlen)
{
    struct xs_domain *dom = domain_get(core, owner, false);

    if (dom && dom->nodes > 0) {
        dom->nodes--;
    }
    if (dom) {
        core_mem_release(core, &dom->node_mem, XS_NODE_COST(vlen));
    }
}

void domain_node_resized(struct xs_core *core, unsigned owner, uint32_t old_vlen, uint32_t new_vlen)
{
    struct xs_domain *dom = domain_get(core, owner, true);

    if (dom && new_vlen > old_vlen) {
        core_mem_charge(core, &dom->node_mem, new_vlen - old_vlen, false);
    } else if (dom) {
        core_mem_release(core, &dom->node_mem, old_vlen - new_vlen);
    }
}

/*
 * May @conn store @new_nodes more nodes and a value of @vlen bytes? Unprivileged
 * domains are held to quota.memory for the nodes they own; everyone to the global
 * bound. ENOMEM otherwise (Xen's answer to its memory quota).
 */
int domain_node_mem_check(struct xs_conn *conn, uint32_t vlen, unsigned new_nodes)
{
    struct xs_core *core = conn->core;
    size_t need = XS_NODE_COST(vlen) + (size_t)new_nodes * XS_NODE_COST(0);
    struct xs_domain *dom = conn->priv ? NULL : domain_get(core, conn->domid, true);

    if (core->mem_used + need > core->quota.memory_total) {
        return -ENOMEM;
    }
    if (!conn->priv && (!dom || dom->node_mem + need > core->quota.memory)) {
        return -ENOMEM;
    }
    return 0;
}

int domain_conn_target(const struct xs_conn *conn)
{
    struct xs_domain *dom = domain_get(conn->core, conn->domid, false);

    return dom ? dom->target : -1;
}

/* Parses the first @n domid arguments of a request. */
static int domid_args(struct xs_req *rq, unsigned *ids, unsigned n)
{
    const char *argv[3];

    if (n > 3 || core_split(rq->data, rq->len, argv, n) != n) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        if (parse_domid(argv[i], &ids[i]) != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

/* domid_args for a control operation: privileged connections only (checked after the
 * arguments, so a malformed request is EINVAL whoever sends it). */
static int priv_domid_args(struct xs_req *rq, unsigned *ids, unsigned n)
{
    int rc = domid_args(rq, ids, n);

    if (rc == 0 && !rq->conn->priv) {
        rc = -EACCES;
    }
    return rc;
}

static int parse_ulong(const char *s, unsigned long long *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    return (*s == '\0' || *end != '\0' || errno != 0) ? -EINVAL : 0;
}

int domain_introduce(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    const char *argv[3];
    unsigned long long mfn, evtchn;
    unsigned domid;
    struct xs_domain *dom;
    int rc;

    if (!rq->conn->priv) {
        return -EACCES;
    }
    if (core_split(rq->data, rq->len, argv, 3) != 3 || parse_domid(argv[0], &domid) != 0 ||
        parse_ulong(argv[1], &mfn) != 0 || parse_ulong(argv[2], &evtchn) != 0 ||
        evtchn > UINT32_MAX) {
        return -EINVAL;
    }
    if (domid == 0 || domid >= XS_DOMID_FIRST_RESERVED) {
        return -EINVAL;
    }
    dom = domain_get(core, domid, true);
    if (!dom) {
        return -ENOMEM;
    }
    if (dom->introduced) {
        return core_reply_str(rq, "OK");
    }
    dom->mfn = mfn;
    dom->evtchn = (unsigned)evtchn;
    if (core->dom_ops.introduce) {
        rc = core->dom_ops.introduce(core->dom_ops.ctx, dom);
        if (rc != 0) {
            return rc;
        }
    }
    dom->introduced = true;
    dom->released = false;
    rc = core_reply_str(rq, "OK");
    watch_fire(core, XS_SPECIAL_INTRODUCE, NULL, false);
    return rc;
}

int domain_release(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    struct xs_domain *dom;
    unsigned domid;
    int rc = priv_domid_args(rq, &domid, 1);

    if (rc != 0) {
        return rc;
    }
    dom = domain_get(core, domid, false);
    if (domid == 0 || !dom || !dom->introduced) {
        return -ENOENT;
    }
    if (core->dom_ops.release) {
        core->dom_ops.release(core->dom_ops.ctx, dom);
    }
    dom->introduced = false;
    dom->target = -1;
    rc = core_reply_str(rq, "OK");
    watch_fire(core, XS_SPECIAL_RELEASE, NULL, false);
    special_forget_domain(core, domid);
    return rc;
}

int domain_get_path(struct xs_req *rq)
{
    char path[32];
    unsigned domid;
    int rc = domid_args(rq, &domid, 1);

    if (rc != 0) {
        return rc;
    }
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    return core_reply_str(rq, path);
}

int domain_is_introduced(struct xs_req *rq)
{
    struct xs_domain *dom;
    unsigned domid;
    int rc = priv_domid_args(rq, &domid, 1);

    if (rc != 0) {
        return rc;
    }
    dom = domain_get(rq->conn->core, domid, false);
    return core_reply_str(rq, (dom && dom->introduced) ? "T" : "F");
}

int domain_resume(struct xs_req *rq)
{
    struct xs_domain *dom;
    unsigned domid;
    int rc = priv_domid_args(rq, &domid, 1);

    if (rc != 0) {
        return rc;
    }
    dom = domain_get(rq->conn->core, domid, false);
    if (!dom || !dom->introduced) {
        return -ENOENT;
    }
    dom->released = false;
    return core_reply_str(rq, "OK");
}

int domain_set_target(struct xs_req *rq)
{
    struct xs_domain *dom;
    unsigned ids[2];
    int rc = priv_domid_args(rq, ids, 2);

    if (rc != 0) {
        return rc;
    }
    dom = domain_get(rq->conn->core, ids[0], false);
    if (!dom || !dom->introduced || ids[0] == ids[1]) {
        return dom && dom->introduced ? -EINVAL : -ENOENT;
    }
    dom->target = (int)ids[1];
    return core_reply_str(rq, "OK");
}
