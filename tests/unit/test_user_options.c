/* Unit tests: user-mode command line and -c command splitting. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"
#include "unit.h"
#include "user/user_options.h"
#include "user/user_target.h"

static int parse(struct user_env *e, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "memleakbpf";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return user_parse_args(argc, argv, e);
}

UNIT_SUITE(user_options)
{
	struct user_env e;
	int saved, devnull;
	char **v;

	CHECK("defaults with -p", parse(&e, (const char *[]){ "-p", "42", NULL }) == 0 && e.pid == 42 &&
				      e.interval == 5 && e.top == 10 && e.sample == 1 && e.trace_mmap &&
				      e.format == FORMAT_TEXT && e.count == 0 && !e.interval_given);
	CHECK("interval and count", parse(&e, (const char *[]){ "-p", "1", "2.5", "3", NULL }) == 0 &&
					    e.interval == 2.5 && e.count == 3 && e.interval_given);
	CHECK("all options", parse(&e, (const char *[]){ "-c", "ls -l", "-T", "0", "-z", "4k", "-Z", "1M",
							 "--older", "1.5", "-s", "10", "--json", "--lib",
							 "/x.so", "--symbol-prefix", "je_", "--no-mmap",
							 "--max-allocs", "100", "--max-stacks", "10",
							 "--max-regions", "5", "--unwind-rows", "1000", NULL }) == 0 &&
				     strcmp(e.command, "ls -l") == 0 && e.top == 0 && e.min_size == 4096 &&
				     e.max_size == 1 << 20 && e.older == 1.5 && e.sample == 10 &&
				     e.format == FORMAT_JSON && strcmp(e.lib, "/x.so") == 0 &&
				     strcmp(e.symbol_prefix, "je_") == 0 && !e.trace_mmap && e.max_allocs == 100 &&
				     e.max_stacks == 10 && e.max_regions == 5 && e.unwind_rows == 1000);
	CHECK("--folded", parse(&e, (const char *[]){ "-p", "1", "--folded", NULL }) == 0 &&
				  e.format == FORMAT_FOLDED);
	CHECK("reparse resets to defaults", parse(&e, (const char *[]){ "-p", "7", NULL }) == 0 &&
						  e.command == NULL && e.format == FORMAT_TEXT);
	/* the usage errors below print: keep the log clean, then restore */
	fflush(stderr);
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	CHECK("no target", parse(&e, (const char *[]){ NULL }) == EXIT_USAGE);
	CHECK("both targets", parse(&e, (const char *[]){ "-p", "1", "-c", "x", NULL }) == EXIT_USAGE);
	CHECK("pid 0", parse(&e, (const char *[]){ "-p", "0", NULL }) == EXIT_USAGE);
	CHECK("pid junk", parse(&e, (const char *[]){ "-p", "12x", NULL }) == EXIT_USAGE);
	CHECK("sample 0", parse(&e, (const char *[]){ "-p", "1", "-s", "0", NULL }) == EXIT_USAGE);
	CHECK("interval too small", parse(&e, (const char *[]){ "-p", "1", "0.001", NULL }) == EXIT_USAGE);
	CHECK("count 0", parse(&e, (const char *[]){ "-p", "1", "1", "0", NULL }) == EXIT_USAGE);
	CHECK("extra positional", parse(&e, (const char *[]){ "-p", "1", "1", "1", "x", NULL }) == EXIT_USAGE);
	CHECK("min > max", parse(&e, (const char *[]){ "-p", "1", "-z", "2k", "-Z", "1k", NULL }) == EXIT_USAGE);
	CHECK("map size 0", parse(&e, (const char *[]){ "-p", "1", "--max-allocs", "0", NULL }) == EXIT_USAGE);
	CHECK("map size too big", parse(&e, (const char *[]){ "-p", "1", "--max-stacks", "9999999999", NULL }) ==
					  EXIT_USAGE);
	CHECK("-p list", parse(&e, (const char *[]){ "-p", "3,1,2", NULL }) == 0 && e.npids == 3 &&
			     e.pids[0] == 3 && e.pids[2] == 2 && e.pid == 3);
	CHECK("-p list: empty item", parse(&e, (const char *[]){ "-p", "3,,x", NULL }) == EXIT_USAGE);
	CHECK("-p list: twice", parse(&e, (const char *[]){ "-p", "3,3", NULL }) == EXIT_USAGE);
	CHECK("-p list with --pprof", parse(&e, (const char *[]){ "-p", "3,4", "--pprof", "/tmp/x", NULL }) ==
					  EXIT_USAGE);
	CHECK("--cgroup /: the root", parse(&e, (const char *[]){ "--cgroup", "/", NULL }) == 0 && e.cgroup);
	CHECK("--cgroup and -p", parse(&e, (const char *[]){ "--cgroup", "/", "-p", "1", NULL }) == EXIT_USAGE);
	CHECK("no such --cgroup", parse(&e, (const char *[]){ "--cgroup", "/nonexistent-cg-y", NULL }) ==
					 EXIT_USAGE);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(devnull);

	v = split_command("prog a  'b c' \"d \\\"e\\\"\" f\\ g ''");
	CHECK("split: words and quotes", v && strcmp(v[0], "prog") == 0 && strcmp(v[1], "a") == 0 &&
						 strcmp(v[2], "b c") == 0 && strcmp(v[3], "d \"e\"") == 0 &&
						 strcmp(v[4], "f g") == 0 && strcmp(v[5], "") == 0 && v[6] == NULL);
	free(v);
	v = split_command("  ");
	CHECK("split: blank is an error", v == NULL);
	v = split_command("a 'b");
	CHECK("split: unterminated quote is an error", v == NULL);
}
