/* Command line of the user mode (see user_options.h). */
#include "user/user_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "memleak.h"
#include "procfs/cgroup.h"
#include "user/user_target.h"

const struct user_env user_env_defaults = {
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
"Usage: memleakbpf [-p PID[,PID...] | -c \"CMD ARGS\" | --cgroup PATH] [OPTIONS]\n"
"                  [INTERVAL [COUNT]]\n"
"       memleakbpf growth|shmem|kernel|oom|why|serve [OPTIONS]\n"
"                                      (see memleakbpf MODE --help)\n"
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
"  -p, --pid PID[,PID...]  trace running processes (all their threads; each\n"
"                          process its own probes and report section)\n"
"  -c, --command \"CMD\"     run CMD (PATH search, quotes allowed), held until\n"
"                          every probe is attached; report when it exits\n"
"      --cgroup PATH       trace every process of a cgroup and below (v2, or v1\n"
"                          memory; absolute or relative to the hierarchy root),\n"
"                          each new one from when it is seen (every 0.5 s)\n"
"Report:\n"
"  -T, --top N             stacks per report (default 10, 0 = all)\n"
"  -z, --min-size SIZE     only allocations of at least SIZE bytes (4k, 1M ...)\n"
"  -Z, --max-size SIZE     only allocations of at most SIZE bytes\n"
"      --older SEC         only allocations older than SEC seconds\n"
"  -s, --sample N          record 1 in N allocations (counts are not scaled)\n"
"  -j, --json              one JSON object per report, one per line\n"
"      --folded            folded stacks for flamegraph.pl (bytes as weight)\n"
"  -o, --output FILE       reports to FILE (-c: the command keeps this stdout)\n"
"      --pprof FILE        each report also as a gzipped pprof profile in FILE\n"
"                          (replaced atomically; go tool pprof, Pyroscope, Parca)\n"
"      --svg FILE          each report also as an interactive flame graph of\n"
"                          outstanding bytes in FILE (replaced atomically)\n"
"Allocator:\n"
"      --lib PATH          probe only the allocator in PATH (default: every module\n"
"                          of the target defining malloc and free: libc, jemalloc,\n"
"                          tcmalloc, mimalloc, an interposer, a static program)\n"
"      --symbol-prefix P   also probe P+malloc, P+free ... (je_)\n"
"      --no-mmap           do not trace mmap/munmap/mremap/brk\n"
"      --max-depth N       frames per stack (1..32, default 32; fewer is cheaper)\n"
"Limits (map sizes; overflows are counted and reported as drops):\n"
"      --max-allocs N      outstanding allocations tracked (default 1048576)\n"
"      --max-stacks N      distinct stacks (default 65536)\n"
"      --max-regions N     outstanding mmap/brk regions (default 65536)\n"
"      --unwind-rows N     .eh_frame unwind rows for all modules (default 2097152)\n"
"  -v, --verbose           hooks in use and decisions; twice: libbpf debug\n"
"  -h, --help              this help\n"
"  -V, --version           version, git commit, libbpf and elfutils versions\n"
"\n"
"Examples:\n"
"  sudo memleakbpf -p 1234                 report every 5 s until Ctrl-C\n"
"  sudo memleakbpf -p 1234 10 3            three reports, 10 s apart\n"
"  sudo memleakbpf -c \"./server --port 8080\"   trace a command from its start\n"
"  sudo memleakbpf -p 1234 --older 60 -T 5 only memory held for over a minute\n"
"  sudo memleakbpf -p 1234 --json 5 1 | jq '.stacks[0]'\n"
"  sudo memleakbpf -c ./app --folded > leaks.folded && flamegraph.pl leaks.folded > leaks.svg\n"
"  sudo memleakbpf -c ./app -T 0 --pprof a.pb.gz  then go tool pprof -top a.pb.gz\n"
"  sudo memleakbpf -c ./app -T 0 --svg a.svg      then open a.svg in a browser\n"
"  sudo memleakbpf -c ./server --symbol-prefix je_   its own jemalloc as je_malloc\n"
"\n"
"Exit status: 0 reports printed, 1 tracing failed, 2 bad usage.  With -c the\n"
"command's own outcome (exit status or signal) is in the final report.\n";

/* -c: split here, so that a bad command line is a usage error (2), not a
 * failure to trace (1). */
int user_opt_command(const struct cli_mode *m, const char *arg, void *dest)
{
	char **words = split_command(arg);

	if (!words)
		return cli_usage_error(m, "-c: empty command or unterminated quote: '%s'", arg);
	free(words);
	*(const char **)dest = arg;
	return 0;
}

int user_opt_pids(const struct cli_mode *m, const char *arg, void *dest)
{
	struct user_env *e = dest;
	char buf[1024], *save = NULL, *w;
	int i, pid;

	if (strlen(arg) >= sizeof(buf))
		return cli_usage_error(m, "invalid pid list '%.40s...'", arg);
	strcpy(buf, arg);
	e->npids = 0;
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (cli_pid(m, w, &pid))
			return EXIT_USAGE;
		for (i = 0; i < e->npids; i++)
			if (e->pids[i] == pid)
				return cli_usage_error(m, "pid %d is listed twice", pid);
		if (e->npids == USER_MAX_TARGETS)
			return cli_usage_error(m, "more than %d pids", USER_MAX_TARGETS);
		e->pids[e->npids++] = pid;
	}
	if (!e->npids)
		return cli_usage_error(m, "invalid pid list '%s'", arg);
	e->pid = e->pids[0];
	return 0;
}

int user_opt_cgroup(const struct cli_mode *m, const char *arg, void *dest)
{
	struct user_env *e = dest;

	if (cgroup_dir(arg, e->cgroup_dir, sizeof(e->cgroup_dir)))
		return cli_usage_error(m, "no such cgroup '%s' under any mounted cgroup hierarchy "
				       "(v2, or v1 memory)", arg);
	e->cgroup = e->cgroup_dir;
	return 0;
}

int user_check_targets(const struct cli_mode *m, const struct user_env *e)
{
	if ((e->npids > 0) + !!e->command + !!e->cgroup != 1)
		return cli_usage_error(m, "give exactly one of -p PID[,PID...], -c \"CMD ARGS\" or "
				       "--cgroup PATH");
	if ((e->npids > 1 || e->cgroup) && (e->pprof || e->svg))
		return cli_usage_error(m, "--pprof and --svg write one process's profile: give one pid");
	return CLI_RUN;
}

int user_opt_output(const struct cli_mode *m, const char *arg, void *dest)
{
	if (!*arg)
		return cli_usage_error(m, "-o: empty file name");
	*(const char **)dest = arg;
	return 0;
}

static int opt_format(const struct cli_mode *m, enum report_format *dest, enum report_format f)
{
	if (*dest != FORMAT_TEXT && *dest != f)
		return cli_usage_error(m, "--json and --folded exclude each other");
	*dest = f;
	return 0;
}

int user_opt_json(const struct cli_mode *m, const char *arg, void *dest)
{
	return opt_format(m, dest, FORMAT_JSON);
}

int user_opt_folded(const struct cli_mode *m, const char *arg, void *dest)
{
	return opt_format(m, dest, FORMAT_FOLDED);
}

static int opt_no_mmap(const struct cli_mode *m, const char *arg, void *dest)
{
	*(bool *)dest = false;
	return 0;
}

int user_parse_args(int argc, char **argv, struct user_env *e)
{
	const struct cli_opt opts[] = {
		CLI_CALL("pid", 'p', user_opt_pids, e),
		CLI_CALL("command", 'c', user_opt_command, &e->command),
		CLI_CALL("cgroup", 0, user_opt_cgroup, e),
		CLI_NUM("top", 'T', e->top, 0, 1000000, "0..1000000, 0 = all"),
		CLI_SIZE("min-size", 'z', e->min_size, 0, CLI_U64_MAX, "bytes: 64, 4k, 1M"),
		CLI_SIZE("max-size", 'Z', e->max_size, 0, CLI_U64_MAX, "bytes: 64, 4k, 1M"),
		CLI_SECONDS("older", 0, e->older, 0, 1e9, "seconds, >= 0"),
		CLI_NUM("sample", 's', e->sample, 1, 1000000000, "1 in N, N >= 1"),
		CLI_CALL0("json", 'j', user_opt_json, &e->format),
		CLI_CALL0("folded", 0, user_opt_folded, &e->format),
		CLI_CALL("output", 'o', user_opt_output, &e->output),
		CLI_REPLACED_FILE("pprof", e->pprof),
		CLI_REPLACED_FILE("svg", e->svg),
		CLI_STRING("lib", 0, e->lib),
		CLI_STRING("symbol-prefix", 0, e->symbol_prefix),
		CLI_CALL0("no-mmap", 0, opt_no_mmap, &e->trace_mmap),
		USER_MAP_SIZE("max-allocs", e->max_allocs),
		USER_MAP_SIZE("max-stacks", e->max_stacks),
		USER_MAP_SIZE("max-regions", e->max_regions),
		USER_MAP_SIZE("unwind-rows", e->unwind_rows),
		CLI_NUM("max-depth", 0, e->max_depth, 1, MAX_FRAMES, "1..32"),
		{},
	};
	const struct cli_operands ops = USER_OPERANDS(e);
	const struct cli_mode mode = { "", usage, opts, &ops };
	int rc;

	*e = user_env_defaults;
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	rc = user_check_targets(&mode, e);
	if (rc != CLI_RUN)
		return rc;
	if (e->min_size > e->max_size)
		return cli_usage_error(&mode, "--min-size is larger than --max-size");
	return CLI_RUN;
}
