/* SPDX-License-Identifier: MIT */
/* The <stdio.h> subset xenstored needs in dom0-lite: snprintf over lib/common/fmt. */
#ifndef XSD_SHIM_STDIO_H
#define XSD_SHIM_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#include "fmt.h"

#define snprintf  fmt_snprintf
#define vsnprintf fmt_vsnprintf

#endif
