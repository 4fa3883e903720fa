/* memleakbpf why: where the machine's memory went, from /proc alone, and
 * which tracer to run next.  No BPF: runs as any user. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/common.h"
#include "modes.h"
#include "why/why.h"

static struct env {
	bool json;
	double watch;		/* seconds between samples, 0 = one snapshot */
	long count;		/* reports to print with --watch, 0 = until Ctrl-C */
	struct why_opts o;
} env = {
	.o = {
		.top = 10,
		.top_files = 5,
		.threshold = 16ULL << 20,
		.grow_min = 16ULL << 20,
		.proc_root = "/proc",
	},
};

static const char usage[] =
"Usage: memleakbpf why [OPTIONS]\n"
"Explain the machine's used memory from /proc: a tree that adds up to\n"
"MemTotal, tmpfs mounts, SysV segments, deleted-but-open files, the top\n"
"processes, the OOM kill order, and findings with the command to run next.\n"
"Needs no root; as root it also reads slabinfo, vmallocinfo and every process.\n"
"\n"
"  -j, --json              one JSON object per report\n"
"  -w, --watch SECONDS     sample again every SECONDS and report growth\n"
"  -c, --count N           with --watch: stop after N reports\n"
"  -n, --top N             processes, slab caches, vmalloc callers, OOM\n"
"                          order to list (default 10)\n"
"      --files N           largest files listed per tmpfs mount (default 5)\n"
"  -t, --threshold SIZE    smallest thing worth a finding (default 16M)\n"
"  -g, --grow-min SIZE     with --watch: smallest growth worth a finding\n"
"                          (default 16M)\n"
"  -v, --verbose           say what could not be read, as it happens\n"
"  -h, --help              this text\n"
"\n"
"EXAMPLES\n"
"  memleakbpf why                      snapshot: where is the memory\n"
"  memleakbpf why --json | jq .tree    the tree as JSON\n"
"  memleakbpf why -w 60 -c 10          ten minutes of growth, a report a minute\n"
"  sudo memleakbpf why -t 100M         as root, only findings over 100 MiB\n";

enum { OPT_FILES = 256, OPT_PROC_ROOT };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "watch", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'n' },
	{ "files", required_argument, NULL, OPT_FILES },
	{ "threshold", required_argument, NULL, 't' },
	{ "grow-min", required_argument, NULL, 'g' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	/* Undocumented: read another /proc (fixture trees in tests). */
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{},
};

static int parse_args(int argc, char **argv)
{
	unsigned long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jw:c:n:t:g:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			env.json = true;
			break;
		case 'w':
			if (!parse_seconds(optarg, &env.watch) || env.watch < 0.1) {
				err_msg("--watch: '%s' is not a number of seconds >= 0.1", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (!parse_u64(optarg, &v) || !v || v > 1000000000) {
				err_msg("--count: '%s' is not a positive number", optarg);
				return EXIT_USAGE;
			}
			env.count = (long)v;
			break;
		case 'n':
		case OPT_FILES:
			if (!parse_u64(optarg, &v) || v > 100000) {
				err_msg("%s: '%s' is not a number up to 100000", c == 'n' ? "--top" : "--files", optarg);
				return EXIT_USAGE;
			}
			if (c == 'n')
				env.o.top = (int)v;
			else
				env.o.top_files = (int)v;
			break;
		case 't':
		case 'g':
			if (!parse_size(optarg, &v)) {
				err_msg("%s: '%s' is not a size (4096, 64k, 16M, 1G)",
					c == 't' ? "--threshold" : "--grow-min", optarg);
				return EXIT_USAGE;
			}
			if (c == 't')
				env.o.threshold = v;
			else
				env.o.grow_min = v;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		case OPT_PROC_ROOT:
			env.o.proc_root = optarg;
			break;
		default:
			fprintf(stderr, "Try 'memleakbpf why --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err_msg("why: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (env.count && !env.watch) {
		err_msg("--count needs --watch");
		return EXIT_USAGE;
	}
	return 0;
}

/* One sample: collect, tree, growth against `first`, findings. */
static int sample(struct why_report *r, const struct why_report *first,
		  const struct why_report *prev, double elapsed)
{
	int err;

	err = why_collect(r, &env.o);
	if (err) {
		err_msg("cannot read %s/meminfo: %s", env.o.proc_root, strerror(-err));
		return err;
	}
	err = why_tree_build(r);
	if (!err && first) {
		r->watching = true;
		r->elapsed = elapsed;
		err = why_growth(r, first, prev);
	}
	if (!err)
		err = why_findings(r, first, &env.o);
	if (err)
		err_msg("cannot build the report: %s", strerror(-err));
	return err;
}

static void print(const struct why_report *r)
{
	if (env.json)
		why_print_json(r, &env.o, stdout);
	else
		why_print_text(r, &env.o, stdout);
}

static void sleep_interruptible(double s)
{
	unsigned long long end = now_ns() + (unsigned long long)(s * 1e9);
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	while (!exiting && now_ns() < end)
		nanosleep(&ts, NULL);
}

int cmd_why(int argc, char **argv)
{
	struct why_report first = {}, prev = {}, cur = {};
	bool have_prev = false;
	unsigned long long t0;
	long printed = 0;
	size_t i;
	int err;

	err = parse_args(argc, argv);
	if (err)
		return err < 0 ? EXIT_OK : err;
	install_signal_handlers();
	t0 = now_ns();
	if (sample(&first, NULL, NULL, 0)) {
		err = EXIT_RUNTIME;
		goto cleanup;
	}
	/* The one-line stderr summary of what could not be read; -v lists
	 * each as it happens, the report lists them all. */
	if (first.nunreadable && !verbosity) {
		fprintf(stderr, "memleakbpf: warning: could not read:");
		for (i = 0; i < first.nunreadable; i++)
			fprintf(stderr, "%s %s", i ? "," : "", first.unreadable[i].what);
		fprintf(stderr, " (see the report)\n");
	}
	if (!env.watch) {
		print(&first);
		goto cleanup;
	}
	if (!env.json)
		fprintf(stderr, "memleakbpf: watching every %g s, Ctrl-C to stop\n", env.watch);
	while (!exiting) {
		sleep_interruptible(env.watch);
		if (exiting)
			break;
		if (sample(&cur, &first, have_prev ? &prev : &first, (now_ns() - t0) / 1e9)) {
			err = EXIT_RUNTIME;
			goto cleanup;
		}
		print(&cur);
		/* Keep this report as the next interval's base. */
		why_report_free(&prev);
		prev = cur;
		have_prev = true;
		memset(&cur, 0, sizeof(cur));
		if (env.count && ++printed >= env.count)
			break;
	}
cleanup:
	why_report_free(&first);
	why_report_free(&prev);
	why_report_free(&cur);
	return err;
}
