/* Command line of the shmem mode (see shmem_options.h). */
#include "shmem/shmem_options.h"

#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "procfs/cgroup.h"
#include "shmem/shmem_hooks.h"

static const struct shmem_env defaults = {
	.max_pages = 4ULL << 20,	/* 16 GiB of 4 KiB pages */
	.max_writers = 65536,
	.max_stacks = 16384,
	.ring_size = 8ULL << 20,
};

static const char usage[] =
"Usage: memleakbpf shmem [OPTIONS] [INTERVAL [COUNT]]\n"
"\n"
"Attribute every page added to tmpfs, memfd, SysV shm and shared anonymous\n"
"memory, system-wide from start, to the process that caused it.  The\n"
"attribution survives close() and the writer's exit.  Reports per inode,\n"
"per writer and per tmpfs mount, largest first; without INTERVAL, one\n"
"report at Ctrl-C.\n"
"\n"
"Options:\n"
"  -p, --pid PID         only writers with this process id\n"
"      --cgroup PATH     only writers in this cgroup or below it\n"
"      --mount PATH      only inodes on the tmpfs mounted at PATH\n"
"      --min-bytes N     hide inodes and writers below N bytes (4k, 1M, ...)\n"
"      --stacks          record the writer's user stack per page add\n"
"  -j, --json            one JSON object per report, one per line\n"
"      --svg FILE        each report also as an interactive flame graph of the\n"
"                        writers' bytes in FILE, per stack with --stacks\n"
"                        (replaced atomically)\n"
"      --max-pages N     pages tracked at once (default 4194304); more are\n"
"                        dropped\n"
"      --max-writers N   distinct writers (default 65536)\n"
"      --max-stacks N    distinct stacks with --stacks (default 16384)\n"
"      --ring-size N     BPF-to-userspace event buffer (default 8M); a full\n"
"                        buffer loses events, counted as drops\n"
"      --hooks SET       force a hook set: fentry, tracepoint or lru (default:\n"
"                        the first that loads, in that order; also from the\n"
"                        environment as SHMEM_HOOKS=SET)\n"
"  -v, --verbose         say which hook set is in use and why the others were\n"
"                        not (-vv: libbpf debug, verifier logs)\n"
"  -h, --help            this text\n"
"  -V, --version         version, git commit, libbpf and elfutils versions\n"
"\n"
"EXAMPLES:\n"
"  memleakbpf shmem                    # trace until Ctrl-C, then report\n"
"  memleakbpf shmem 10                 # a report every 10 seconds\n"
"  memleakbpf shmem --mount /run 60 1  # who fills /run, one report after 60 s\n"
"  memleakbpf shmem --json --min-bytes 1M\n"
"  memleakbpf shmem --stacks --svg shm.svg 60 1   # who writes, by stack\n";

static int opt_hooks(const struct cli_mode *m, const char *arg, void *dest)
{
	enum shmem_hookset set = shmem_hookset_parse(arg);

	if (set == SHMEM_HOOKS_NONE)
		return cli_usage_error(m, "unknown hook set '%s' (fentry, tracepoint, lru)", arg);
	*(enum shmem_hookset *)dest = set;
	return 0;
}

static int opt_cgroup(const struct cli_mode *m, const char *arg, void *dest)
{
	struct shmem_env *e = dest;

	if (cgroup_normalize(arg, e->cgroup_rel, sizeof(e->cgroup_rel)))
		return cli_usage_error(m, "no such cgroup '%s' under any mounted cgroup hierarchy", arg);
	e->cgroup = arg;
	return 0;
}

/* The ring buffer: the kernel wants a power-of-two number of pages. */
static int opt_ring(const struct cli_mode *m, const char *arg, void *dest)
{
	unsigned long long v, *size = dest;

	if (!parse_size(arg, &v) || v < 4096 || v > (1ULL << 30))
		return cli_usage_error(m, "invalid --ring-size '%s' (4k .. 1G)", arg);
	for (*size = 4096; *size < v; *size <<= 1)
		;
	return 0;
}

int shmem_parse_args(int argc, char **argv, struct shmem_env *e)
{
	const struct cli_opt opts[] = {
		CLI_PID(e->pid),
		CLI_CALL("cgroup", 0, opt_cgroup, e),
		CLI_STRING("mount", 0, e->mount),
		CLI_SIZE("min-bytes", 0, e->min_bytes, 0, CLI_U64_MAX, "bytes: 4k, 1M"),
		CLI_FLAG("stacks", 0, e->stacks),
		CLI_FLAG("json", 'j', e->json),
		CLI_REPLACED_FILE("svg", e->svg),
		CLI_SIZE("max-pages", 0, e->max_pages, 1, 1 << 30, "1 .. 1G"),
		CLI_SIZE("max-writers", 0, e->max_writers, 1, 1 << 30, "1 .. 1G"),
		CLI_SIZE("max-stacks", 0, e->max_stacks, 1, 1 << 30, "1 .. 1G"),
		CLI_CALL("ring-size", 0, opt_ring, &e->ring_size),
		CLI_CALL("hooks", 0, opt_hooks, &e->hooks),
		{},
	};
	const struct cli_operands ops = { .interval = &e->interval, .min_interval = 0.01,
					  .count = &e->count };
	const struct cli_mode mode = { "shmem", usage, opts, &ops };
	const char *pinned = getenv("SHMEM_HOOKS");

	*e = defaults;
	/* Tests pin the hook set for a whole run; --hooks wins over it. */
	if (pinned && *pinned && opt_hooks(&mode, pinned, &e->hooks))
		return EXIT_USAGE;
	return cli_parse(&mode, argc, argv);
}
