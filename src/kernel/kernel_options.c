/* Command line of the kernel mode (see kernel_options.h). */
#include "kernel/kernel_options.h"

#include <stdio.h>

#include "kernel/kmem_report.h"
#include "kmem.h"
#include "lib/cli.h"
#include "lib/common.h"

#define DEFAULT_KINDS ((1U << KMEM_KMALLOC) | (1U << KMEM_CACHE) | (1U << KMEM_VMALLOC) | \
		       (1U << KMEM_PERCPU))

static const struct kernel_env defaults = {
	.interval = 5,
	.top = 10,
	.max_size = ~0ULL,
	.kinds = DEFAULT_KINDS,
	.sample = 1,
	.max_allocs = 262144,
	.max_stacks = 16384,
};

static const char usage[] =
"Usage: memleakbpf kernel [OPTIONS] [INTERVAL [COUNT]]\n"
"\n"
"Outstanding kernel allocations (kmalloc, kmem_cache, vmalloc, percpu, and\n"
"pages with --pages) per kernel call stack, every INTERVAL seconds (default\n"
"5), COUNT times or until Ctrl-C.  Only allocations made after start count:\n"
"memory allocated before is never reported.\n"
"\n"
"Options:\n"
"  -p, --pid PID        only allocations made by process PID\n"
"  -T, --top N          stacks per report (default 10, 0: all)\n"
"  -z, --min-size SIZE  only allocations of at least SIZE bytes (4k, 1M)\n"
"  -Z, --max-size SIZE  only allocations of at most SIZE bytes\n"
"      --older SEC      only allocations older than SEC seconds\n"
"  -k, --kind LIST      kinds to trace, comma-separated: kmalloc, kmem_cache,\n"
"                       vmalloc, percpu, page (default: all but page)\n"
"      --pages          also trace page allocations (same as adding 'page')\n"
"  -s, --sample N       track one allocation in N (default 1: all)\n"
"      --max-allocs N   live allocations tracked at once (default 262144)\n"
"      --max-stacks N   distinct stacks kept (default 16384)\n"
"      --exact-stacks   walk the stack at every allocation instead of reusing\n"
"                       the stack of an identical call site, depth and syscall\n"
"  -j, --json           one JSON object per report\n"
"      --pprof FILE     each report also as a gzipped pprof profile in FILE\n"
"                       (replaced atomically; go tool pprof, Pyroscope, Parca)\n"
"      --svg FILE       each report also as an interactive flame graph of\n"
"                       outstanding bytes in FILE (replaced atomically)\n"
"  -v, --verbose        hooks in use and refused (-vv: libbpf debug)\n"
"  -h, --help           this help\n"
"  -V, --version        version, git commit, libbpf and elfutils versions\n"
"\n"
"Examples:\n"
"  memleakbpf kernel                   # every 5 s, top 10 stacks\n"
"  memleakbpf kernel -T 5 10 6         # every 10 s, 6 reports\n"
"  memleakbpf kernel --kind kmem_cache --older 60\n"
"  memleakbpf kernel -p 1234 --json 1  # what process 1234 makes the kernel hold\n"
"  memleakbpf kernel --pages -s 10     # pages too, one in ten tracked\n"
"  memleakbpf kernel -T 0 --pprof k.pb.gz 10 1 && go tool pprof -top k.pb.gz\n";

static int opt_kinds(const struct cli_mode *m, const char *arg, void *dest)
{
	char bad[64];

	if (!kmem_parse_kinds(arg, dest, bad, sizeof(bad)))
		return cli_usage_error(m, "unknown kind '%s' (kinds: kmalloc, kmem_cache, vmalloc, "
				       "percpu, page)", bad);
	return 0;
}

int kernel_parse_args(int argc, char **argv, struct kernel_env *e)
{
	bool pages = false;
	const struct cli_opt opts[] = {
		CLI_PID(e->pid),
		CLI_NUM("top", 'T', e->top, 0, 1000000, "0..1000000, 0 = all"),
		CLI_SIZE("min-size", 'z', e->min_size, 0, CLI_U64_MAX, "bytes: 64, 4k, 1M"),
		CLI_SIZE("max-size", 'Z', e->max_size, 0, CLI_U64_MAX, "bytes: 64, 4k, 1M"),
		CLI_SECONDS("older", 0, e->older, 0, 1e9, "seconds, >= 0"),
		CLI_CALL("kind", 'k', opt_kinds, &e->kinds),
		CLI_FLAG("pages", 0, pages),
		CLI_NUM("sample", 's', e->sample, 1, 1000000, "1..1000000"),
		CLI_NUM("max-allocs", 0, e->max_allocs, 16, 1 << 24, "16..16777216"),
		CLI_NUM("max-stacks", 0, e->max_stacks, 16, 1 << 24, "16..16777216"),
		CLI_FLAG("json", 'j', e->json),
		CLI_REPLACED_FILE("pprof", e->pprof),
		CLI_REPLACED_FILE("svg", e->svg),
		CLI_FLAG("exact-stacks", 0, e->exact_stacks),
		{},
	};
	const struct cli_operands ops = { .interval = &e->interval, .min_interval = 0.1,
					  .count = &e->count };
	const struct cli_mode mode = { "kernel", usage, opts, &ops };
	int rc;

	*e = defaults;
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	if (pages)
		e->kinds |= 1U << KMEM_PAGE;
	if (e->min_size > e->max_size)
		return cli_usage_error(&mode, "--min-size is larger than --max-size");
	return CLI_RUN;
}
