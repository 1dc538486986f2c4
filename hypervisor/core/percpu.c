/* SPDX-License-Identifier: MIT */
/*
 * The CPU table. Data only, at the bottom of the layers (docs/layers.md): the timer
 * queues, the scheduler and boot all index it, so it cannot live in boot code above them.
 */
#include <bulkhead/percpu.h>

struct pcpu pcpus[MAX_CPUS];
unsigned nr_pcpus;
