/* SPDX-License-Identifier: MIT */
/* Build-time limits, usable from C and assembly. */
#ifndef BULKHEAD_CONFIG_H
#define BULKHEAD_CONFIG_H

#define MAX_CPUS        8  /* CPUs the hypervisor brings up; more in the DT are ignored */
#define CPU_STACK_SHIFT 14 /* 16 KiB hypervisor stack per CPU */
#define CPU_STACK_SIZE  (1 << CPU_STACK_SHIFT)

#endif
