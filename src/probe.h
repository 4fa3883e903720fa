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
/* True when uprobe_multi links exist (Linux 6.6+). */
bool probe_uprobe_multi(void);
/* Describe a hook decision at -v: "hook <what>: <how> (<why>)". */
void probe_report(const char *what, const char *how, const char *why);

#endif
