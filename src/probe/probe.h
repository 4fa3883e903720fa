/* Kernel feature probes: the one place that decides which hooks can load.
 * Every mode asks here and prints the answer at -v. */
#ifndef MEMLEAKBPF_PROBE_H
#define MEMLEAKBPF_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* True when an fentry program on kernel function `func` loads and attaches
 * (this machine: EPERM for every function; production kernels: usually
 * yes; 6.1: not on functions with more than 6 arguments). */
bool probe_fentry(const char *func);
/* The first of `names` (a function and its renames, e.g. the 6.10+ `_noprof`
 * variants) that an fentry program loads on, or NULL. */
const char *probe_fentry_any(const char *const *names, int n);
/* True when argument `idx` (from 0, after the context) of tracepoint `tp`
 * as tp_btf is a pointer to `struct struct_name`: tracepoint prototypes
 * change between kernels (kmem_cache_alloc gained its kmem_cache in 6.1).
 * struct_name NULL: a pointer to anything. */
bool probe_tp_btf_arg_struct(const char *tp, int idx, const char *struct_name);
/* True when vmlinux BTF has struct `name` (e.g. an iterator's context,
 * bpf_iter__task_vma since 5.12). */
bool probe_btf_struct(const char *name);
/* True when kprobes exist at all (CONFIG_KPROBES) and `func` is in kallsyms. */
bool probe_kprobe(const char *func);
/* Classic tracepoints need tracefs: mount it if the system has not, in a
 * private mount namespace of this process (gone with it, even by SIGKILL). */
bool ensure_tracefs(void);
void release_tracefs(void);
/* True when tracepoint CATEGORY:NAME exists in tracefs. */
bool probe_tracepoint(const char *category, const char *name);
/* True when uprobe_multi links exist (Linux 6.6+). */
bool probe_uprobe_multi(void);
/* Describe a hook decision at -v: "hook <what>: <how> (<why>)". */
void probe_report(const char *what, const char *how, const char *why);
/* True when argument `arg` (0-based, after the hidden context pointer) of
 * BTF tracepoint `tp` (btf_trace_<tp> in vmlinux BTF) is a pointer: tells
 * apart tracepoints whose prototype changed across kernel versions. */
bool probe_tp_btf_arg_ptr(const char *tp, unsigned int arg);

#endif

/* True when a BTF-typed tracepoint (tp_btf/NAME) exists in kernel BTF. */
bool probe_tp_btf(const char *name);
/* True when the memory controller is compiled in and enabled (memcg
 * tracepoints fire only then). */
bool probe_memcg_enabled(void);

/* memleakbpf shmem: which hook set attributes shmem pages (see
 * bpf/shmem.bpf.c).  Decided here, reported at -v. */
enum shmem_hookset {
	SHMEM_HOOKS_NONE,
	SHMEM_HOOKS_FENTRY,	/* fexit shmem_add_to_page_cache, fentry __filemap_remove_folio */
	SHMEM_HOOKS_TRACEPOINT,	/* mm_page_alloc + NR_SHMEM at mod_memcg_lruvec_state */
	SHMEM_HOOKS_LRU,	/* mm_lru_insertion: writer may be wrong (no memcg) */
};
const char *shmem_hookset_name(enum shmem_hookset set);
/* Whether the attach points of SET exist on this kernel (BTF, memory
 * controller); false with the reason in WHY.  Whether its programs load
 * is found by loading them (src/shmem.c). */
bool probe_shmem_hookset(enum shmem_hookset set, char *why, size_t len);
/* The swap-out function's name on this kernel (shmem_writeout or, before
 * the folio conversion, shmem_writepage), NULL if neither is in BTF. */
const char *probe_shmem_writeout_func(void);
/* Both swap functions exist in BTF. */
bool probe_shmem_swap_funcs(void);
/* -v lines: what each hook of SET in use does. */
void probe_report_shmem_hooks(enum shmem_hookset set, bool swap);
