/* Command line of the shmem mode: one struct of options with defaults. */
#ifndef MEMLEAKBPF_SHMEM_OPTIONS_H
#define MEMLEAKBPF_SHMEM_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "shmem/shmem_hooks.h"

struct shmem_env {
	double interval;		/* 0: one report at exit */
	unsigned long long count;	/* 0: until Ctrl-C */
	pid_t pid;
	const char *cgroup;
	char cgroup_rel[PATH_MAX];	/* --cgroup below its hierarchy's root */
	const char *mount;
	dev_t mount_dev;		/* set by the driver from --mount */
	unsigned long long min_bytes;
	bool stacks;
	bool json;
	const char *svg;		/* --svg: each report also as a flame graph */
	unsigned long long max_pages;
	unsigned long long max_writers;
	unsigned long long max_stacks;
	unsigned long long ring_size;
	enum shmem_hookset hooks;	/* NONE: the first hook set that loads */
};

/* Parses argv into *env (reset to defaults first; SHMEM_HOOKS in the
 * environment pins the hook set, --hooks wins over it).  The return rule of
 * lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int shmem_parse_args(int argc, char **argv, struct shmem_env *env);

#endif
