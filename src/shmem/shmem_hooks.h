/* shmem's hook table: hook sets, best first, their needs and programs. */

/* Each set attributes shmem pages its own way (see bpf/shmem.bpf.c); the
 * first that loads is used.  probe/ answers the kernel questions; the
 * choice is made here. */
#ifndef MEMLEAKBPF_SHMEM_HOOKS_H
#define MEMLEAKBPF_SHMEM_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct shmem_bpf;

enum shmem_hookset {
	SHMEM_HOOKS_NONE,
	SHMEM_HOOKS_FENTRY,	/* fexit shmem_add_to_page_cache, fentry __filemap_remove_folio */
	SHMEM_HOOKS_TRACEPOINT,	/* mm_page_alloc + NR_SHMEM at mod_memcg_lruvec_state */
	SHMEM_HOOKS_LRU,	/* mm_lru_insertion: writer may be wrong (no memcg) */
};

/* "fentry", "tracepoint", "lru"; "none" for anything else. */
const char *shmem_hookset_name(enum shmem_hookset set);
/* The set of that name, SHMEM_HOOKS_NONE when there is none. */
enum shmem_hookset shmem_hookset_parse(const char *name);

/* What the BPF object is sized and set up with, from the options. */
struct shmem_hooks_opts {
	enum shmem_hookset forced;	/* NONE: the first that loads */
	bool stacks;
	unsigned long long ring_size, max_writers, max_stacks;
};

/* Opens, sizes, loads and attaches the BPF object with the first hook set
 * that loads (only opts->forced when set), saying at -v why each earlier
 * set was passed over and what the chosen one does.  On success *skel,
 * *hooks, and *swap_known (whether swap-out and swap-in are followed);
 * else one error line and a negative errno. */
int shmem_hooks_start(const struct shmem_hooks_opts *opts, struct shmem_bpf **skel,
		      enum shmem_hookset *hooks, bool *swap_known);

#endif
