/* /proc/meminfo and /proc/slabinfo snapshots for the kernel mode's summary:
 * how much of the kernel's growth since start the tracked stacks explain. */
#ifndef MEMLEAKBPF_KMEM_MEMINFO_H
#define MEMLEAKBPF_KMEM_MEMINFO_H

#include <stdbool.h>
#include <stdio.h>

enum kmem_meminfo_field {
	KMI_SLAB,
	KMI_SUNRECLAIM,
	KMI_VMALLOC_USED,
	KMI_PERCPU,
	KMI_NR,
};

struct kmem_sysinfo {
	/* Bytes; valid[i] false when the line was missing or malformed. */
	long long meminfo[KMI_NR];
	bool valid[KMI_NR];
	/* Sum of active_objs * objsize over every cache, in bytes. */
	long long slab_objects;
	bool slab_valid;
};

/* The /proc/meminfo key of each field ("Slab", ...). */
const char *kmem_meminfo_name(enum kmem_meminfo_field f);
/* Parse meminfo text; returns the number of fields found. */
int kmem_parse_meminfo(FILE *f, struct kmem_sysinfo *out);
/* Parse slabinfo 2.x; false on an unknown version or malformed line. */
bool kmem_parse_slabinfo(FILE *f, struct kmem_sysinfo *out);
/* Read both from /proc; missing files leave the fields invalid. */
void kmem_sysinfo_read(struct kmem_sysinfo *out);

#endif
