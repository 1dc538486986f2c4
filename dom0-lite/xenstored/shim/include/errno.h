/* SPDX-License-Identifier: MIT */
/*
 * errno for xenstored in dom0-lite (shim.c): the codes the core uses, and those Xen's
 * xs_wire.h names in xsd_errors, with Linux's values (a client sees only their names).
 */
#ifndef XSD_SHIM_ERRNO_H
#define XSD_SHIM_ERRNO_H

#define EPERM     1
#define ENOENT    2
#define EIO       5
#define E2BIG     7
#define EAGAIN    11
#define ENOMEM    12
#define EACCES    13
#define EBUSY     16
#define EEXIST    17
#define EISDIR    21
#define EINVAL    22
#define ENOSPC    28
#define EROFS     30
#define ERANGE    34
#define ENOSYS    38
#define ENOTEMPTY 39
#define EPROTO    71
#define EISCONN   106

extern int errno;

#endif
