/* Command line of the why mode (see why_options.h). */
#include "why/why_options.h"

#include "lib/cli.h"
#include "lib/common.h"

static const struct why_env defaults = {
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
"  -n, --count N           with --watch: stop after N reports\n"
"  -T, --top N             processes, slab caches, vmalloc callers, OOM\n"
"                          order to list (default 10)\n"
"      --files N           largest files listed per tmpfs mount (default 5)\n"
"  -t, --threshold SIZE    smallest thing worth a finding (default 16M)\n"
"  -g, --grow-min SIZE     with --watch: smallest growth worth a finding\n"
"                          (default 16M)\n"
"  -v, --verbose           say what could not be read, as it happens\n"
"  -h, --help              this text\n"
"  -V, --version           version, git commit, libbpf and elfutils versions\n"
"\n"
"EXAMPLES\n"
"  memleakbpf why                      snapshot: where is the memory\n"
"  memleakbpf why --json | jq .tree    the tree as JSON\n"
"  memleakbpf why -w 60 -n 10          ten minutes of growth, a report a minute\n"
"  sudo memleakbpf why -t 100M         as root, only findings over 100 MiB\n";

int why_parse_args(int argc, char **argv, struct why_env *e)
{
	const struct cli_opt opts[] = {
		CLI_FLAG("json", 'j', e->json),
		CLI_SECONDS("watch", 'w', e->watch, 0.1, 1e9, "seconds, >= 0.1"),
		CLI_NUM("count", 'n', e->count, 1, 1000000000, "reports, 1 or more"),
		CLI_NUM("top", 'T', e->o.top, 0, 100000, "0..100000"),
		CLI_NUM("files", 0, e->o.top_files, 0, 100000, "0..100000"),
		CLI_SIZE("threshold", 't', e->o.threshold, 0, CLI_U64_MAX, "a size: 4096, 64k, 16M, 1G"),
		CLI_SIZE("grow-min", 'g', e->o.grow_min, 0, CLI_U64_MAX, "a size: 4096, 64k, 16M, 1G"),
		/* Not in --help: read another /proc (fixture trees in tests). */
		CLI_STRING("proc-root", 0, e->o.proc_root),
		CLI_COMMAND_IS_USER_MODE,
		{},
	};
	const struct cli_mode mode = { "why", usage, opts, NULL };
	int rc;

	*e = defaults;
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	if (e->count && !e->watch)
		return cli_usage_error(&mode, "--count needs --watch");
	return CLI_RUN;
}
