/* Parsers for the /proc files the modes read: maps, mountinfo, meminfo,
 * slabinfo, status and stat, smaps, sysvipc/shm, vmallocinfo.
 *
 * Every parser takes a buffer and its length (not a path), so fixtures and
 * fuzzers drive exactly the code that reads the live files.  The buffer need
 * not be NUL-terminated.  Unknown fields are skipped, malformed lines are
 * skipped and counted in `bad_lines`, and a name field (process names,
 * paths) is copied as given: callers sanitize before printing.  Sizes are
 * bytes unless a field says otherwise.  A parser that fails leaves nothing
 * to free. */
#ifndef MEMLEAKBPF_PROCFS_H
#define MEMLEAKBPF_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads a whole (pseudo)file into a NUL-terminated malloc'ed buffer.  /proc
 * files report size 0, so this reads until EOF, up to max bytes (larger files
 * are truncated and *truncated set).  Returns 0 or -errno. */
int procfs_read_file(const char *path, size_t max, char **buf, size_t *len, bool *truncated);
/* The command name of process pid (/proc/PID/comm, without its newline)
 * into buf; false when the process is gone or unreadable (buf then ""). */
bool procfs_read_comm(pid_t pid, char *buf, size_t len);

/* ---- /proc/meminfo ---- */
/* A line is "Name: N kB" or "Name: N"; any other text after the number
 * makes it malformed. */
struct meminfo_field {
	char name[40];
	unsigned long long value; /* bytes when `kb`, else the raw count */
	bool kb;
};

struct meminfo {
	struct meminfo_field *f; /* in file order, first of duplicate names wins */
	size_t n;
	unsigned bad_lines;
};

/* 0, or -EINVAL when no counter parsed, -ENOMEM. */
int procfs_parse_meminfo(const char *buf, size_t len, struct meminfo *mi);
/* The counter's value (bytes for kB counters); false when absent. */
bool meminfo_get(const struct meminfo *mi, const char *name, unsigned long long *out);
/* Same, 0 when absent: for sums where an absent counter counts nothing. */
unsigned long long meminfo_val(const struct meminfo *mi, const char *name);
void meminfo_free(struct meminfo *mi);

/* ---- /proc/PID/smaps_rollup (and /proc/PID/smaps, summed) ---- */
struct smaps_totals {
	unsigned long long rss, pss, pss_anon, pss_file, pss_shmem;
	unsigned long long shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long long anonymous, swap, swap_pss, locked;
	/* Per-mapping-type split, only meaningful when vmas > 1 (full smaps):
	 * resident bytes in MAP_SHARED mappings, and in MAP_PRIVATE file
	 * mappings minus their copied-on-write (anonymous) pages. */
	unsigned long long rss_shared_map, rss_private_file;
	unsigned vmas;      /* mapping headers seen (1 for smaps_rollup) */
	bool has_pss_split; /* Pss_Anon/File/Shmem present (5.9+) */
	unsigned bad_lines;
};

int procfs_parse_smaps(const char *buf, size_t len, struct smaps_totals *st);

/* ---- /proc/PID/status ---- */
struct proc_status {
	char name[64];  /* Name: as the kernel escapes it (\n as "\n") */
	int tgid, ppid, uid;
	bool has_mm;    /* VmSize present: kernel threads and zombies have none */
	bool kthread;   /* "Kthread: 1" (6.4+) or no mm and ppid 2 */
	unsigned long long vm_size, vm_rss, rss_anon, rss_file, rss_shmem;
	unsigned long long vm_swap, vm_pte, vm_data;
	bool has_rss_split; /* RssAnon/RssFile/RssShmem present (4.5+) */
	unsigned bad_lines;
};

int procfs_parse_status(const char *buf, size_t len, struct proc_status *ps);

/* ---- /proc/PID/stat: only what ranking needs ---- */
/* Start time (clock ticks after boot) from a stat line; the comm field may
 * hold spaces and parentheses, so fields are counted after the last ')'. */
int procfs_parse_stat_starttime(const char *buf, size_t len, unsigned long long *start);

/* ---- one process, from PID/status and PID/stat ---- */
/* What `oom --rank` and `why` list of a process: both embed it. */
struct proc_record {
	int pid, uid;
	char comm[64];		/* status Name:, kernel-escaped; sanitize to print */
	bool has_mm;		/* false: a kernel thread or a zombie */
	bool kthread;
	bool has_rss_split;	/* RssAnon/RssFile/RssShmem present (4.5+) */
	unsigned long long vm_size, rss, rss_anon, rss_file, rss_shmem; /* bytes */
	unsigned long long swap, pgtables;			       /* bytes */
	unsigned long long start_time;	/* ticks after boot; 0 when stat is unreadable */
};

/* A /proc directory entry's name as a pid: > 0, or -1 for any other
 * entry ("self", "meminfo", ...). */
int procfs_pid_of(const char *name);
/* PROC_ROOT/PID/NAME (status, stat, cgroup, ...), up to 64 KiB, as
 * procfs_read_file. */
int procfs_read_pid_file(const char *proc_root, int pid, const char *name, char **buf, size_t *len);
/* PROC_ROOT/PID/cgroup's memory cgroup path: the v1 "N:memory:/path" line
 * wins over the v2 "0::/path" one; "" when unreadable. */
void procfs_memcg_of(const char *root, int pid, char *out, size_t outlen);

/* Reads PROC_ROOT/PID/status (and stat for the start time) into *rec.
 * 0, or -errno / -EINVAL when status is unreadable or malformed: the
 * process is gone or hidden. */
int procfs_read_proc_record(const char *proc_root, int pid, struct proc_record *rec);

/* ---- /proc/slabinfo (version 2.x) ---- */
struct slab_cache {
	char name[64];
	unsigned long long active_objs, num_objs, objsize;
	unsigned long long num_slabs, pages_per_slab;
	unsigned long long bytes; /* num_slabs * pages_per_slab * page size */
};

struct slabinfo {
	struct slab_cache *c;
	size_t n;
	unsigned long long total_bytes;
	bool version_ok; /* the last "slabinfo - version:" header said 2.x */
	unsigned bad_lines;
};

int procfs_parse_slabinfo(const char *buf, size_t len, unsigned long page_size,
			  struct slabinfo *si);
void slabinfo_free(struct slabinfo *si);

/* ---- /proc/sysvipc/shm ---- */
struct sysv_seg {
	long long key;          /* as printed (signed int) */
	int shmid;
	unsigned long long size, rss, swap; /* rss/swap: null when !has_rss */
	int cpid, lpid;
	unsigned long long nattch;
	unsigned uid;
	bool has_rss;           /* rss/swap columns exist (2.6.x+) */
	bool has_nattch;
};

struct sysv_shm {
	struct sysv_seg *s;
	size_t n;
	unsigned bad_lines;
};

int procfs_parse_sysvipc_shm(const char *buf, size_t len, struct sysv_shm *sh);
void sysv_shm_free(struct sysv_shm *sh);

/* ---- /proc/self/mountinfo ---- */
struct mount_entry {
	int mount_id, parent_id;
	unsigned major, minor;
	char *root;       /* unescaped (\040 -> ' ', \012 -> '\n', ...) */
	char *mountpoint; /* unescaped */
	char *fstype;
	char *source;     /* unescaped */
	char *super_opts;
};

struct mountinfo {
	struct mount_entry *m;
	size_t n;
	unsigned bad_lines;
};

int procfs_parse_mountinfo(const char *buf, size_t len, struct mountinfo *mi);
/* Reads and parses a mountinfo file ("/proc/self/mountinfo"); 0, -errno
 * when unreadable, -EINVAL when no mount parsed. */
int procfs_read_mountinfo(const char *path, struct mountinfo *mi);
void mountinfo_free(struct mountinfo *mi);
/* Decodes the kernel's octal escapes (\ooo) of mountinfo fields into a new
 * string; any other backslash is kept literally. */
char *procfs_unescape_octal(const char *s, size_t len);

/* ---- /proc/PID/maps ---- */
/* "start-end perms offset major:minor inode   path", numbers in hex but
 * the inode.  The path is the rest of the line as the kernel printed it:
 * a file (a newline in its name escaped as \012, nothing else), "[heap]",
 * "/memfd:NAME (deleted)", or "" for an anonymous mapping. */
struct maps_entry {
	unsigned long long start, end, offset, inode;
	unsigned major, minor;
	char perms[5];    /* "r-xp" */
	const char *path; /* NUL-terminated, lives in the struct maps */
	size_t name_len;  /* strlen(path) without a " (deleted)" suffix */
	bool deleted;     /* path ends in " (deleted)": unlinked (or named so) */
};

struct maps {
	struct maps_entry *e; /* in file order */
	size_t n;
	char *text;           /* holds every path */
	unsigned bad_lines;
};

/* 0 (an empty buffer too: a kernel thread or zombie maps nothing), or
 * -EINVAL when text held no mapping, -ENOMEM. */
int procfs_parse_maps(const char *buf, size_t len, struct maps *m);
/* Reads and parses a maps file ("/proc/PID/maps"); 0 or -errno (the
 * open's errno when the process is gone or not ours). */
int procfs_read_maps(const char *path, struct maps *m);
void maps_free(struct maps *m);

/* ---- /proc/vmallocinfo ---- */
struct vmalloc_caller {
	char caller[96];  /* "func+0x1/0x2" without the offset: "func" */
	unsigned long long bytes; /* pages * page size (vmalloc'ed pages only) */
	unsigned long long areas;
};

struct vmallocinfo {
	struct vmalloc_caller *c; /* summed per caller function */
	size_t n;
	unsigned long long vmalloc_bytes; /* all pages=N of "vmalloc" areas */
	unsigned long long stack_bytes;   /* vmalloc'ed kernel stacks */
	unsigned long long areas;
	unsigned bad_lines;
};

int procfs_parse_vmallocinfo(const char *buf, size_t len, unsigned long page_size,
			     struct vmallocinfo *vi);
void vmallocinfo_free(struct vmallocinfo *vi);

#endif
