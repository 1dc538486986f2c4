/* SPDX-License-Identifier: MIT */
/* PSCI over SMC (Arm DEN0022, SMC64 function ids). arch/aarch64 internal. */
#ifndef BULKHEAD_ARCH_AARCH64_PSCI_H
#define BULKHEAD_ARCH_AARCH64_PSCI_H

#include <stdint.h>

#define PSCI_VERSION    0x84000000u
#define PSCI_CPU_ON_64  0xc4000003u
#define PSCI_SYSTEM_OFF 0x84000008u

/* A firmware call: function id and up to three arguments in x0-x3, result in x0. */
int64_t psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
