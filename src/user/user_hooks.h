/* User mode's hook table: the allocator functions probed in every allocator
 * module of the target, where each probe goes, and attaching them. */
#ifndef MEMLEAKBPF_USER_HOOKS_H
#define MEMLEAKBPF_USER_HOOKS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct memleak_bpf;
struct bpf_link;

/* Allocator modules traced at most (libc, the exe, preloaded and linked
 * allocators: a handful in practice). */
#define USER_MAX_ALLOCATORS 8
/* Rows of the hook table (user_hooks.c), and probe sites per module: each
 * row under its plain name and, with --symbol-prefix, the prefixed one. */
#define USER_HOOK_ROWS 23
#define USER_MAX_SITES (2 * USER_HOOK_ROWS)

enum site_state {
	SITE_HOOKED,	/* probed at off */
	SITE_ABSENT,	/* the module does not define it */
	SITE_SHARED,	/* an alias: same address as site[shares] */
	SITE_NO_SEGMENT,/* defined, but in no loaded segment */
};

struct hook_site {
	const char *func;	/* the table's name: "malloc", "__libc_free", "mallocx" */
	char sym[64];		/* the symbol looked up: func, or prefix + func */
	unsigned long long addr;/* its address (st_value); 0 when absent */
	enum site_state state;
	int shares;		/* SITE_SHARED: index of the site holding the probe */
	unsigned long off;	/* SITE_HOOKED: file offset of the probe */
	unsigned long skip;	/* bytes moved past flag-only instructions */
	__u64 cookie;		/* what the entry program does (ML_KIND_*, ML_HOOK_*) */
	bool ret;		/* its return is probed too */
};

struct alloc_module {
	char path[PATH_MAX];	/* as the uprobes attach to it */
	const char *name;	/* base name, for -v */
	struct hook_site site[USER_MAX_SITES];
	int nsites;
};

/* A module's symbols: the address of the function `name` it defines, 0
 * when it defines none (the ELF file, or a hand-made table in tests). */
typedef unsigned long long (*user_sym_fn)(void *ctx, const char *name);

/* An allocator module defines malloc and free (or prefix+malloc and
 * prefix+free): libc, jemalloc, tcmalloc, mimalloc, an interposer, a
 * static executable. */
bool user_hooks_is_allocator(user_sym_fn sym, void *ctx, const char *prefix);
/* The same for the ELF file at path: its exported (dynamic) symbols, and
 * for the executable (is_exe) its symbol table too. */
bool user_module_is_allocator(const char *path, bool is_exe, const char *prefix);

/* The same for a file open at fd (its exported symbols only). */
bool user_module_fd_is_allocator(int fd, const char *prefix);

/* Fills m's sites from the table (m->path and m->name are the caller's):
 * every row's symbol, its address, and which rows are aliases of an
 * earlier one (glibc's __libc_malloc is malloc: one probe serves both).
 * Offsets are left to user_hooks_locate. */
void user_hooks_plan(struct alloc_module *m, user_sym_fn sym, void *ctx, const char *prefix);

/* Plans m from its ELF file and places each probe (file offset, moved
 * onto an instruction the kernel emulates: uprobe_site.h).  -ENOENT after
 * one error line when the file is not ELF. */
int user_hooks_locate(struct alloc_module *m, bool is_exe, const char *prefix);

/* Whether m probes the function `func` (a table name) under some symbol. */
bool user_hooks_hooked(const struct alloc_module *m, const char *func);

/* Whether some module of mods probes the symbol sym (e.g. "je_malloc"). */
bool user_hooks_probes_symbol(const struct alloc_module *mods, int n, const char *sym);

/* Why site i of mods[k] has no probe of its own, in words: "not in this
 * module; libc.so.6's is hooked", "same address as malloc: shares its
 * probe"; NULL for a hooked site.  buf holds the text when needed. */
const char *user_hooks_why_not(const struct alloc_module *mods, int n, int k, int i, char *buf,
			       size_t len);

/* -v: every site of every module, hooked or why not. */
void user_hooks_report(const struct alloc_module *mods, int n);

/* The probes' links: perf-event uprobe links, or 2 uprobe_multi link fds
 * per module (entries, returns). */
struct user_links {
	struct bpf_link *v[USER_MAX_ALLOCATORS * USER_MAX_SITES * 2];
	int n;
	int fds[USER_MAX_ALLOCATORS * 2];
	int nfds;
};

/* Attaches every hooked site of every module for process pid: uprobe_multi
 * links when multi, else one perf-event uprobe per site.  One error line
 * and a negative errno when a probe will not attach. */
int user_hooks_attach(struct memleak_bpf *skel, const struct alloc_module *mods, int n, pid_t pid,
		      bool multi, struct user_links *l);
/* Keeps one more link (the exec tracepoint, the syscall tracepoints);
 * -errno when link is NULL or there is no room. */
int user_links_keep(struct user_links *l, struct bpf_link *link);
void user_links_destroy(struct user_links *l);

#endif
