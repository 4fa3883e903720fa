/* Modules (executables and shared objects) of the traced process: their
 * ids as the BPF side knows them, their unwind rows, their symbols. */
#ifndef MEMLEAKBPF_USER_MODULES_H
#define MEMLEAKBPF_USER_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "memleak.h"
#include "sym/symbolize.h"

struct memleak_bpf;
struct mountinfo;

struct umodule {
	__u32 id;
	__u64 dev, ino; /* kernel dev_t encoding */
	char *path;     /* NULL while unresolved; as the process named it */
	int fd;         /* the mapped file itself (-1: none, use path) */
	const char *name; /* basename of path */
	int state;      /* enum ml_module_state */
	size_t rows;
	struct sym_module *sym; /* opened on first symbolization */
	bool sym_failed;
	bool untraced_allocator; /* defines malloc and free, mapped too late */
};

struct map_range {
	__u64 start, end, offset, dev, ino;
	char *path;
	int fd; /* the mapped file, kept for a module not yet announced (-1) */
	bool settled; /* fd keyed (and registered) already */
};

struct umodules {
	struct umodule *v;
	size_t n, cap;
	struct memleak_bpf *skel;
	struct ml_unwind_row *rows; /* the mmapped rows map */
	size_t rows_cap, rows_used;
	pid_t pid;        /* for /proc/PID/root and maps lookups */
	size_t unresolved; /* module events whose file was not found */
	struct map_range *maps; /* last /proc/PID/maps snapshot (executable) */
	size_t nmaps;
	size_t nfds;       /* modules holding an fd (at most UMODULE_MAX_FDS) */
	size_t fds_over;   /* modules that found the cap full: path only */
	int root_fd;       /* the process's root, held (O_PATH), or -1 */
	int mntns_fd;      /* its mount namespace, held with its mounts */
	struct mountinfo *mounts; /* its mount table as of the last snapshot */
	/* The allocator modules probed (paths, the caller's), set once they
	 * are: a module mapped after that which defines malloc and free (a
	 * dlopen'ed allocator, a new image after an exec) is not traced, and
	 * is said so. */
	char *const *allocators;
	int nallocators;
	const char *symbol_prefix;
};

/* Each module keeps its file open (so a process that exits, a file deleted
 * or replaced on disk, or one only reachable in another mount namespace
 * still resolves); capped so a process mapping thousands of files cannot
 * exhaust our descriptors. */
#define UMODULE_MAX_FDS 256

int umodules_init(struct umodules *ms, struct memleak_bpf *skel, pid_t pid);
void umodules_free(struct umodules *ms);
/* From now on, a module mapped that defines malloc and free and is none of
 * the n allocators at paths (kept, not copied) is flagged and warned about:
 * its allocations are not traced. */
void umodules_allocators_probed(struct umodules *ms, char *const *paths, int n, const char *prefix);
/* Registers and loads rows for a file before tracing starts. */
int umodules_preload(struct umodules *ms, const char *path);
/* Handles a new-module event from the BPF side. */
void umodules_on_event(struct umodules *ms, const struct ml_module_event *ev);
struct umodule *umodules_get(struct umodules *ms, __u32 id);
/* A module-relative frame for an absolute code address of the process
 * (the kernel records those when it could not look a mapping up), or the
 * address unchanged when no mapping holds it. */
__u64 umodules_normalize(const struct umodules *ms, __u64 addr);
/* Re-reads the executable mappings of the process (kept as they were when
 * it has exited): normalize resolves absolute frames against them.  Every
 * mapped file not yet known is registered from /proc/PID/map_files while
 * the process lives: identity, unwind rows and symbols then never depend
 * on paths, namespaces or the process still running. */
void umodules_snapshot(struct umodules *ms);
/* Keys and registers (rows, symbols later) the files the snapshots opened:
 * the slow part, run between event batches so opening stays quick. */
void umodules_settle(struct umodules *ms);
/* The process just mapped [start, end) executable: opened first, then a
 * snapshot (start == end: none known, a snapshot only). */
void umodules_exec_mapped(struct umodules *ms, __u64 start, __u64 end);
/* Kernel dev_t from a userspace st_dev. */
__u64 kernel_dev(dev_t d);

#endif
