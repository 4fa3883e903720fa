/* memleakbpf growth: which code made a process's resident memory grow.
 *
 * No probe on malloc or free: the pages a process writes for the first
 * time (user page faults) are attributed to the stack of that write, and
 * leave the report when they are given back (munmap, MADV_DONTNEED, a
 * shrinking brk or mremap, a fixed mapping over them, exec, exit).  That
 * costs a trap per new page instead of two per malloc/free pair, so it
 * can run on a production service; exact mode (-p) is the drill-down.
 * The loop, unwinder, symbolization and outputs are user mode's
 * (src/user/user.c, bpf/memleak.bpf.c with `growth` set). */
#include <stdio.h>
#include <stdlib.h>

#include "growth/growth_all.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "memleak.h"
#include "modes.h"
#include "user/user_options.h"

static const char usage[] =
"Usage: memleakbpf growth [-p PID[,PID...] | -c \"CMD ARGS\" | --cgroup PATH | -a]\n"
"                         [OPTIONS] [INTERVAL [COUNT]]\n"
"\n"
"Attribute a process's resident memory growth to user call stacks, at the\n"
"cost of a page fault's trap, with no probe on malloc or free.  Each page the\n"
"process writes for the first time after tracing starts is charged to the\n"
"stack of that first write, until the page is given back (munmap,\n"
"madvise(MADV_DONTNEED/REMOVE), a shrinking brk or mremap, a fixed mapping\n"
"over it, exec, exit).  Every INTERVAL seconds (default 5) print the RSS, its\n"
"growth, and the stacks holding the most such pages.\n"
"\n"
"What it is: the code that first touched the memory that stays resident.\n"
"For fresh heap growth and large blocks that is the allocation site; for\n"
"small blocks carved from pages already resident it is not seen at all, and\n"
"for memory written first by someone else (memset in calloc) it is that\n"
"writer's caller.  It is not a count of outstanding malloc blocks: trace the\n"
"same process with 'memleakbpf -p PID' (exact mode) to drill down.\n"
"MADV_FREE does not give pages back: they stay resident and are reused\n"
"without a fault until reclaim takes them.\n"
"\n"
"Target:\n"
"  -p, --pid PID[,PID...]  trace running processes (all their threads; each\n"
"                          process its own report section)\n"
"  -c, --command \"CMD\"     run CMD, held until the hooks are attached\n"
"      --cgroup PATH       trace every process of a cgroup and below (v2, or v1\n"
"                          memory), each new one from when it is seen\n"
"  -a, --all               every process of the machine, ranked by RSS growth\n"
"                          since tracing began (or since they started), each\n"
"                          with the stacks that first wrote its pages still\n"
"                          held (frame-pointer stacks; -T: processes shown,\n"
"                          5 stacks each)\n"
"Report:\n"
"  -T, --top N             stacks per report (default 10, 0 = all)\n"
"  -j, --json              one JSON object per report, one per line\n"
"      --folded            folded stacks for flamegraph.pl (bytes as weight)\n"
"  -o, --output FILE       reports to FILE (-c: the command keeps this stdout)\n"
"      --pprof FILE        each report also as a gzipped pprof profile\n"
"      --svg FILE          each report also as an interactive flame graph\n"
"      --max-depth N       frames per stack (1..32, default 32)\n"
"Limits (map sizes; overflows are counted and reported as drops):\n"
"      --max-pages N       pages tracked (default 1048576: 4 GiB of 4 KiB pages)\n"
"      --max-stacks N      distinct stacks (default 65536)\n"
"      --unwind-rows N     .eh_frame unwind rows for all modules (default 2097152)\n"
"  -v, --verbose           hooks in use and decisions; twice: libbpf debug\n"
"  -h, --help              this help\n"
"  -V, --version           version, git commit, libbpf and elfutils versions\n"
"\n"
"Examples:\n"
"  sudo memleakbpf growth -p 1234 60          a report a minute until Ctrl-C\n"
"  sudo memleakbpf growth -p 1234 --json 60 10 | jq '.growth'\n"
"  sudo memleakbpf growth -c ./server -T 5     the five stacks that grew most\n"
"  sudo memleakbpf growth -a 60                which processes grow, a minute a row\n"
"\n"
"Exit status: 0 reports printed, 1 tracing failed, 2 bad usage.\n";

static int growth_parse_args(int argc, char **argv, struct user_env *e)
{
	const struct cli_opt opts[] = {
		CLI_CALL("pid", 'p', user_opt_pids, e),
		CLI_CALL("command", 'c', user_opt_command, &e->command),
		CLI_CALL("cgroup", 0, user_opt_cgroup, e),
		CLI_FLAG("all", 'a', e->all),
		CLI_NUM("top", 'T', e->top, 0, 1000000, "0..1000000, 0 = all"),
		CLI_CALL0("json", 'j', user_opt_json, &e->format),
		CLI_CALL0("folded", 0, user_opt_folded, &e->format),
		CLI_CALL("output", 'o', user_opt_output, &e->output),
		CLI_REPLACED_FILE("pprof", e->pprof),
		CLI_REPLACED_FILE("svg", e->svg),
		USER_MAP_SIZE("max-pages", e->max_allocs),
		USER_MAP_SIZE("max-stacks", e->max_stacks),
		USER_MAP_SIZE("unwind-rows", e->unwind_rows),
		CLI_NUM("max-depth", 0, e->max_depth, 1, MAX_FRAMES, "1..32"),
		{},
	};
	const struct cli_operands ops = USER_OPERANDS(e);
	const struct cli_mode mode = { "growth", usage, opts, &ops };
	int rc;

	*e = user_env_defaults;
	e->growth = true;
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	if (e->all) {
		if (e->npids || e->command || e->cgroup)
			return cli_usage_error(&mode, "-a traces every process: give no -p, -c or "
					       "--cgroup with it");
		if (e->pprof || e->svg || e->format == FORMAT_FOLDED)
			return cli_usage_error(&mode, "-a reports processes in text or --json; "
					       "--pprof, --svg and --folded are for one process (-p)");
		return CLI_RUN;
	}
	return user_check_targets(&mode, e);
}

int run_growth(int argc, char **argv, struct mode_sink *s)
{
	struct user_env e;
	int rc = growth_parse_args(argc, argv, &e);

	if (rc)
		return cli_exit_code(rc);
	return e.all ? growth_all_run(&e, s) : user_run(&e, s);
}

int cmd_growth(int argc, char **argv)
{
	return run_growth(argc, argv, NULL);
}
