/* Kernel feature probes: can this kernel load a program of type X on hook
 * Y?  Mechanism only: which hooks a mode uses, and in what order it falls
 * back, is decided in the mode's folder. */
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
/* True when uprobe_multi links exist (Linux 6.6+). */
bool probe_uprobe_multi(void);
/* Describe a hook decision at -v: "hook <what>: <how> (<why>)". */
void probe_report(const char *what, const char *how, const char *why);
/* True when a BTF-typed tracepoint (tp_btf/NAME) exists in kernel BTF. */
bool probe_tp_btf(const char *name);
/* True when kernel function `func` is in vmlinux BTF (a fentry/fexit
 * target by name; whether a program loads on it is probe_fentry's). */
bool probe_btf_func(const char *func);
/* True when the memory controller is compiled in and enabled (memcg
 * tracepoints fire only then). */
bool probe_memcg_enabled(void);

#endif
