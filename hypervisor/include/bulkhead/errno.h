/* SPDX-License-Identifier: MIT */
/*
 * Error numbers: Xen's public values (xen/errno.h from Debian's libxen-dev), which are
 * also Linux's. Fallible hypervisor functions return 0 or a negative value from here.
 */
#ifndef BULKHEAD_ERRNO_H
#define BULKHEAD_ERRNO_H

#include <xen/errno.h>

#define EPERM      XEN_EPERM
#define ENOENT     XEN_ENOENT
#define EIO        XEN_EIO
#define E2BIG      XEN_E2BIG
#define ENOMEM     XEN_ENOMEM
#define EACCES     XEN_EACCES
#define EFAULT     XEN_EFAULT
#define EBUSY      XEN_EBUSY
#define EEXIST     XEN_EEXIST
#define ENODEV     XEN_ENODEV
#define EINVAL     XEN_EINVAL
#define ENOSPC     XEN_ENOSPC
#define EDOM       XEN_EDOM
#define ERANGE     XEN_ERANGE
#define ENOSYS     XEN_ENOSYS
#define ESRCH      XEN_ESRCH
#define EAGAIN     XEN_EAGAIN
#define EOPNOTSUPP XEN_EOPNOTSUPP
#define ETIME      XEN_ETIME

#endif
