/* Command line of the oom mode (see oom_options.h). */
#include "oom/oom_options.h"

#include <stdio.h>

#include "lib/cli.h"
#include "lib/common.h"

static const char usage[] =
	"Usage: memleakbpf oom [OPTIONS]\n"
	"       memleakbpf oom --rank [--json] [--all]\n"
	"\n"
	"Report each OOM kill: the victim, the task whose allocation invoked the OOM\n"
	"killer (gfp mask, order, kernel stack), the constraint and domain (machine or\n"
	"memcg, limit and usage), every candidate with its oom_badness() points, and\n"
	"the time from invocation until the victim's memory was freed.\n"
	"With --rank (no BPF): the predicted kill order now, per OOM domain.\n"
	"\n"
	"Options:\n"
	"  -n, --count N        stop after N kills\n"
	"  -d, --duration SEC   stop after SEC seconds\n"
	"  -j, --json           one JSON object per kill (per run with --rank)\n"
	"      --rank           predicted kill order from /proc, machine and each memcg\n"
	"      --all            with --rank: list every task, not the first 20 per domain\n"
	"  -m, --memcg PATH     only kills whose victim is in memcg PATH or below\n"
	"                       (the path the kernel prints, e.g. /system.slice/x)\n"
	"      --no-kmsg        ignore /dev/kmsg: BPF and /proc data only\n"
	"      --no-fentry      use tracepoints even where fentry would load\n"
	"  -v, --verbose        hooks in use and refused (-vv: libbpf debug)\n"
	"  -h, --help           this text\n"
	"  -V, --version        version, git commit, libbpf and elfutils versions\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo memleakbpf oom                  # report kills until Ctrl-C\n"
	"  sudo memleakbpf oom -n 1 --json      # the next kill as one JSON object\n"
	"  sudo memleakbpf oom -m /system.slice/db.service -d 3600\n"
	"  memleakbpf oom --rank                # who would be killed now, and next\n";

static int opt_memcg(const struct cli_mode *m, const char *arg, void *dest)
{
	if (arg[0] != '/')
		return cli_usage_error(m, "invalid --memcg '%s' (a path starting with '/')", arg);
	*(const char **)dest = arg;
	return 0;
}

int oom_parse_args(int argc, char **argv, struct oom_env *e)
{
	const struct cli_opt opts[] = {
		CLI_NUM("count", 'n', e->count, 1, 1000000000, "kills, 1 or more"),
		CLI_SECONDS("duration", 'd', e->duration, 0.001, 1e9, "seconds, > 0"),
		CLI_FLAG("json", 'j', e->json),
		CLI_FLAG("rank", 0, e->rank),
		CLI_FLAG("all", 0, e->all),
		CLI_CALL("memcg", 'm', opt_memcg, &e->memcg),
		CLI_FLAG("no-kmsg", 0, e->no_kmsg),
		CLI_FLAG("no-fentry", 0, e->no_fentry),
		CLI_COMMAND_IS_USER_MODE,
		{},
	};
	const struct cli_mode mode = { "oom", usage, opts, NULL };
	int rc;

	*e = (struct oom_env){};
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	if (e->rank && (e->count || e->duration > 0 || e->no_kmsg || e->no_fentry || e->memcg))
		return cli_usage_error(&mode, "--rank reads /proc once: --count, --duration, --memcg, "
				       "--no-kmsg and --no-fentry do not apply");
	if (e->all && !e->rank)
		return cli_usage_error(&mode, "--all applies to --rank only");
	return CLI_RUN;
}
