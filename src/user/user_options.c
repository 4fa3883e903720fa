/* Command line of the user mode (see user_options.h). */
#include "user/user_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/common.h"
#include "memleak.h"
#include "user/user_target.h"

static const struct user_env defaults = {
	.interval = 5,
	.top = 10,
	.max_size = ~0ULL,
	.sample = 1,
	.format = FORMAT_TEXT,
	.trace_mmap = true,
	.max_allocs = 1 << 20,
	.max_stacks = 1 << 16,
	.max_regions = 1 << 16,
	.unwind_rows = 1 << 21,
	.max_depth = MAX_FRAMES,
};

static const char usage[] =
"Usage: memleakbpf [-p PID | -c \"CMD ARGS\"] [OPTIONS] [INTERVAL [COUNT]]\n"
"       memleakbpf shmem|kernel|oom|why [OPTIONS]   (see memleakbpf MODE --help)\n"
"\n"
"Trace the outstanding (allocated, not yet freed) memory of a process per call\n"
"stack: malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,\n"
"memalign, valloc, pvalloc and free in the allocator the process really uses,\n"
"plus anonymous mmap, munmap, mremap and brk outside the allocator.  Every\n"
"INTERVAL seconds (default 5) print the stacks holding the most memory,\n"
"symbolized to function, file:line and inlined frames.  Ctrl-C or the target's\n"
"exit prints a final report.\n"
"\n"
"Target:\n"
"  -p, --pid PID           trace a running process (all its threads)\n"
"  -c, --command \"CMD\"     run CMD (PATH search, quotes allowed), held until\n"
"                          every probe is attached; report when it exits\n"
"Report:\n"
"  -T, --top N             stacks per report (default 10, 0 = all)\n"
"  -z, --min-size SIZE     only allocations of at least SIZE bytes (4k, 1M ...)\n"
"  -Z, --max-size SIZE     only allocations of at most SIZE bytes\n"
"      --older SEC         only allocations older than SEC seconds\n"
"  -s, --sample N          record 1 in N allocations (counts are not scaled)\n"
"      --json              one JSON object per report, one per line\n"
"      --folded            folded stacks for flamegraph.pl (bytes as weight)\n"
"  -o, --output FILE       reports to FILE (-c: the command keeps this stdout)\n"
"Allocator:\n"
"      --lib PATH          probe the allocator in PATH (jemalloc, tcmalloc ...)\n"
"      --symbol-prefix P   its functions are named P+malloc, P+free ... (je_)\n"
"      --no-mmap           do not trace mmap/munmap/mremap/brk\n"
"      --max-depth N       frames per stack (1..32, default 32; fewer is cheaper)\n"
"Limits (map sizes; overflows are counted and reported as drops):\n"
"      --max-allocs N      outstanding allocations tracked (default 1048576)\n"
"      --max-stacks N      distinct stacks (default 65536)\n"
"      --max-regions N     outstanding mmap/brk regions (default 65536)\n"
"      --unwind-rows N     .eh_frame unwind rows for all modules (default 2097152)\n"
"  -v, --verbose           hooks in use and decisions; twice: libbpf debug\n"
"  -h, --help              this help\n"
"\n"
"Examples:\n"
"  sudo memleakbpf -p 1234                 report every 5 s until Ctrl-C\n"
"  sudo memleakbpf -p 1234 10 3            three reports, 10 s apart\n"
"  sudo memleakbpf -c \"./server --port 8080\"   trace a command from its start\n"
"  sudo memleakbpf -p 1234 --older 60 -T 5 only memory held for over a minute\n"
"  sudo memleakbpf -p 1234 --json 5 1 | jq '.stacks[0]'\n"
"  sudo memleakbpf -c ./app --folded > leaks.folded && flamegraph.pl leaks.folded > leaks.svg\n"
"  sudo memleakbpf -p 1234 --lib /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n"
"\n"
"Exit status: 0 reports printed, 1 tracing failed, 2 bad usage.  With -c the\n"
"command's own outcome (exit status or signal) is in the final report.\n";

enum {
	OPT_OLDER = 1000,
	OPT_JSON,
	OPT_FOLDED,
	OPT_LIB,
	OPT_PREFIX,
	OPT_NO_MMAP,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_MAX_REGIONS,
	OPT_UNWIND_ROWS,
	OPT_MAX_DEPTH,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "command", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'T' },
	{ "min-size", required_argument, NULL, 'z' },
	{ "max-size", required_argument, NULL, 'Z' },
	{ "older", required_argument, NULL, OPT_OLDER },
	{ "sample", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "output", required_argument, NULL, 'o' },
	{ "lib", required_argument, NULL, OPT_LIB },
	{ "symbol-prefix", required_argument, NULL, OPT_PREFIX },
	{ "no-mmap", no_argument, NULL, OPT_NO_MMAP },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "max-regions", required_argument, NULL, OPT_MAX_REGIONS },
	{ "unwind-rows", required_argument, NULL, OPT_UNWIND_ROWS },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "memleakbpf: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'memleakbpf --help'.\n");
	return EXIT_USAGE;
}

/* A map size: a positive count below 2^31 (what the kernel accepts). */
static bool parse_entries(const char *s, unsigned long long *out)
{
	return parse_u64(s, out) && *out > 0 && *out < (1ULL << 31);
}

int user_parse_args(int argc, char **argv, struct user_env *e)
{
	unsigned long long v;
	int c;

	*e = defaults;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:c:T:z:Z:s:o:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_u64(optarg, &v) || v == 0 || v > 4194304)
				return usage_error("invalid pid '%s'", optarg);
			e->pid = v;
			break;
		case 'c': {
			/* Checked here so that a bad command line is a usage
			 * error (2), not a failure to trace (1). */
			char **words = split_command(optarg);

			if (!words)
				return usage_error("-c: empty command or unterminated quote: '%s'", optarg);
			free(words);
			e->command = optarg;
			break;
		}
		case 'o':
			if (!*optarg)
				return usage_error("%s", "-o: empty file name");
			e->output = optarg;
			break;
		case 'T':
			if (!parse_u64(optarg, &v) || v > 1000000)
				return usage_error("invalid --top '%s'", optarg);
			e->top = v;
			break;
		case 'z':
			if (!parse_size(optarg, &e->min_size))
				return usage_error("invalid --min-size '%s'", optarg);
			break;
		case 'Z':
			if (!parse_size(optarg, &e->max_size))
				return usage_error("invalid --max-size '%s'", optarg);
			break;
		case OPT_OLDER:
			if (!parse_seconds(optarg, &e->older))
				return usage_error("invalid --older '%s' (seconds, >= 0)", optarg);
			break;
		case 's':
			if (!parse_u64(optarg, &v) || v == 0 || v > 1000000000)
				return usage_error("invalid --sample '%s' (1 in N, N >= 1)", optarg);
			e->sample = v;
			break;
		case OPT_JSON:
		case OPT_FOLDED: {
			enum report_format f = c == OPT_JSON ? FORMAT_JSON : FORMAT_FOLDED;

			if (e->format != FORMAT_TEXT && e->format != f)
				return usage_error("%s", "--json and --folded exclude each other");
			e->format = f;
			break;
		}
		case OPT_LIB: e->lib = optarg; break;
		case OPT_PREFIX: e->symbol_prefix = optarg; break;
		case OPT_NO_MMAP: e->trace_mmap = false; break;
		case OPT_MAX_ALLOCS:
			if (!parse_entries(optarg, &e->max_allocs))
				return usage_error("invalid --max-allocs '%s'", optarg);
			break;
		case OPT_MAX_STACKS:
			if (!parse_entries(optarg, &e->max_stacks))
				return usage_error("invalid --max-stacks '%s'", optarg);
			break;
		case OPT_MAX_REGIONS:
			if (!parse_entries(optarg, &e->max_regions))
				return usage_error("invalid --max-regions '%s'", optarg);
			break;
		case OPT_UNWIND_ROWS:
			if (!parse_entries(optarg, &e->unwind_rows))
				return usage_error("invalid --unwind-rows '%s'", optarg);
			break;
		case OPT_MAX_DEPTH:
			if (!parse_u64(optarg, &v) || v < 1 || v > MAX_FRAMES)
				return usage_error("invalid --max-depth '%s' (1..32)", optarg);
			e->max_depth = v;
			break;
		case 'v': verbosity++; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind < argc) {
		if (!parse_seconds(argv[optind], &e->interval) || e->interval < 0.01)
			return usage_error("invalid interval '%s' (seconds, >= 0.01)", argv[optind]);
		e->interval_given = true;
		optind++;
	}
	if (optind < argc) {
		if (!parse_u64(argv[optind], &v) || v == 0 || v > 1000000000)
			return usage_error("invalid count '%s'", argv[optind]);
		e->count = v;
		optind++;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!e->pid == !e->command)
		return usage_error("%s", "give exactly one of -p PID or -c \"CMD ARGS\"");
	if (e->min_size > e->max_size)
		return usage_error("%s", "--min-size is larger than --max-size");
	return 0;
}

