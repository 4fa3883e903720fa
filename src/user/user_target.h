/* The process to trace: an existing pid, or a command started held until
 * every probe is attached; and every allocator module it has mapped. */
#ifndef MEMLEAKBPF_USER_TARGET_H
#define MEMLEAKBPF_USER_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "user/user_hooks.h"

#define MAX_TARGET_MODULES 64

struct target {
	pid_t pid;
	bool spawned;          /* -c: our child */
	bool no_allocators;    /* set before attaching: allocators not looked for */
	int release_fd;        /* -c: write end the held child waits on */
	int exec_err_fd;       /* -c: read end reporting exec failure */
	int pidfd;             /* -p: readable when the process exits */
	char comm[64];
	char exe[PATH_MAX];    /* executable path as we can open it */
	/* Modules whose malloc family we probe, in load order: every one
	 * that defines malloc and free (libc, a linked or preloaded
	 * jemalloc, tcmalloc, mimalloc, an interposer, a static executable),
	 * or only --lib's. */
	char *allocators[USER_MAX_ALLOCATORS];
	int nallocators;
	char *modules[MAX_TARGET_MODULES]; /* files to preload unwind rows for */
	int nmodules;
};

/* -p PID: checks the process and finds its modules and allocators (only
 * lib when given; prefix: --symbol-prefix, or NULL). */
int target_attach_pid(struct target *t, pid_t pid, const char *lib, const char *prefix);
/* -c CMD: splits the command line, resolves the program on PATH, its
 * interpreter and libraries, forks a child held before exec. */
int target_spawn(struct target *t, const char *cmdline, const char *lib, const char *prefix);
/* -c: lets the held child exec; returns 0 when exec succeeded. */
int target_release(struct target *t);
/* True while the target runs; fills *status for a child that ended. */
bool target_alive(struct target *t, int *status);
/* Kills (SIGTERM) a held or running child we started; frees resources. */
void target_cleanup(struct target *t, bool kill_child);

/* Splits a command line on blanks with '...' and "..." quoting and
 * backslash escapes (no other shell syntax).  NULL-terminated argv in
 * one allocation; NULL on an unterminated quote or empty command. */
char **split_command(const char *cmdline);
/* Finds name on PATH (or as given when it has a '/'). */
bool resolve_on_path(const char *name, char *out, size_t len);

#endif
