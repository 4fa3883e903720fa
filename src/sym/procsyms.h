/* Frames of any process's user stacks, named after the process is gone:
 * its executable mappings copied while it lived, each mapped file held
 * open (one cache for shmem --stacks and growth -a). */
#ifndef MEMLEAKBPF_PROCSYMS_H
#define MEMLEAKBPF_PROCSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A mapping as BPF saw it (bpf_find_vma), for a process that may be gone
 * before its /proc/PID/maps is read. */
struct procsyms_vma {
	unsigned long long start, end, off;	/* off: file offset of start */
	unsigned long long ino;
	unsigned int dev;			/* kernel dev_t */
	const char *name;			/* the file's last path component */
};

/* Copies tgid's executable file mappings from /proc/PID/maps, and holds
 * their files.  A process already noted is read again only with `reread`
 * (its mappings replaced: dlopen, exec).  0, or -errno when the process
 * is gone (nothing noted then). */
int procsyms_note(pid_t tgid, bool reread);
/* Whether tgid has been noted (or given a vma). */
bool procsyms_known(pid_t tgid);
/* Adds a mapping of tgid unless one just like it is known; its file is
 * found by (dev, ino) among the files held, or in any process's mappings
 * (at most every few seconds); on overlayfs by inode and name (a layer's
 * file as BPF sees it, the overlay's as /proc shows it: procsyms.c).  False when the file was found nowhere:
 * its frames will be named "ADDR [name+OFF]". */
bool procsyms_add_vma(pid_t tgid, const struct procsyms_vma *v);
/* "function (file:line) [module]", or what is known of frame `ip` (a
 * return address when is_return); false when no mapping of tgid holds
 * ip. */
bool procsyms_frame_name(pid_t tgid, unsigned long long ip, bool is_return, char *buf,
			 size_t len);
/* tgid is gone or exec'd: its mappings are dropped (the files stay). */
void procsyms_forget(pid_t tgid);
void procsyms_free(void);

#endif
