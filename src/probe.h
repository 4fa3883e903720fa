/* Kernel feature probes: the one place that decides which hooks can load.
 * Every mode asks here and prints the answer at -v. */
#ifndef MEMLEAKBPF_PROBE_H
#define MEMLEAKBPF_PROBE_H

#include <stdbool.h>

/* True when an fentry program on kernel function `func` loads (this
 * machine: EPERM for every function; production kernels: usually yes). */
bool probe_fentry(const char *func);
/* True when kprobes exist at all (CONFIG_KPROBES) and `func` is in kallsyms. */
bool probe_kprobe(const char *func);
/* Classic tracepoints need tracefs: mount it if the system has not, and
 * unmount it at exit (release_tracefs, or atexit). */
bool ensure_tracefs(void);
void release_tracefs(void);
/* True when tracepoint CATEGORY:NAME exists in tracefs. */
bool probe_tracepoint(const char *category, const char *name);
/* Describe a hook decision at -v: "hook <what>: <how> (<why>)". */
void probe_report(const char *what, const char *how, const char *why);
/* True when argument `arg` (0-based, after the hidden context pointer) of
 * BTF tracepoint `tp` (btf_trace_<tp> in vmlinux BTF) is a pointer: tells
 * apart tracepoints whose prototype changed across kernel versions. */
bool probe_tp_btf_arg_ptr(const char *tp, unsigned int arg);

#endif
