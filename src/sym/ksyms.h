/* Kernel symbolization from /proc/kallsyms (addresses need root to be
 * non-zero), with module names. */
#ifndef MEMLEAKBPF_KSYMS_H
#define MEMLEAKBPF_KSYMS_H

struct ksym {
	unsigned long long addr;
	const char *name;
	const char *module; /* NULL for vmlinux */
};

struct ksyms;

/* Loads /proc/kallsyms (or `path` when not NULL, for tests). NULL on error. */
struct ksyms *ksyms_load(const char *path);
void ksyms_free(struct ksyms *ks);
/* The symbol containing addr (the last one at or below it), or NULL. */
const struct ksym *ksyms_lookup(const struct ksyms *ks, unsigned long long addr);
/* Address of a symbol by exact name, 0 if absent. */
unsigned long long ksyms_addr(const struct ksyms *ks, const char *name);

#endif
