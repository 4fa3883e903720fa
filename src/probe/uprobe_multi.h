/* uprobe_multi links (kernel 6.6+): many uprobes of one file in one BPF
 * link.  Detaching a link waits for one RCU grace period for all of its
 * probes, where per-probe perf-event links wait once each (~0.15 s apiece
 * here): a dozen malloc-family probes detach in one wait, not a dozen. */
#ifndef MEMLEAKBPF_UPROBE_MULTI_H
#define MEMLEAKBPF_UPROBE_MULTI_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

/* The attach type a program must be loaded with for uprobe_multi links
 * (libbpf 1.1 and the 6.1 uapi headers predate it). */
#define ML_BPF_TRACE_UPROBE_MULTI 48

/* Attaches prog_fd at cnt file offsets of path for process pid (all its
 * threads); cookies may be NULL.  Returns the link fd or -errno. */
int uprobe_multi_attach(int prog_fd, const char *path, const unsigned long *offsets,
			const __u64 *cookies, unsigned int cnt, pid_t pid, bool retprobe);

#endif
