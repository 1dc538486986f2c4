/* SPDX-License-Identifier: MIT */
/* <inttypes.h> for xenstored in dom0-lite: the one format macro it uses. */
#ifndef XSD_SHIM_INTTYPES_H
#define XSD_SHIM_INTTYPES_H

#include <stdint.h>

#if __SIZEOF_LONG__ == 8
#define PRIu64 "lu"
#else
#define PRIu64 "llu"
#endif

#endif
