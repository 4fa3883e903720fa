/* memleakbpf why: where the machine's memory went, from /proc alone, and
 * which tracer to run next.  No BPF: runs as any user. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "lib/metrics.h"
#include "modes.h"
#include "why/why.h"
#include "why/why_options.h"

static struct why_env env;
/* serve: each report goes to it as metrics, none printed */
static struct mode_sink *sink;

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
	if (sink) {
		struct metrics m = {};

		why_metrics(r, &m);
		sink->report(sink, &m);
	} else if (env.json)
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
	return run_why(argc, argv, NULL);
}

int run_why(int argc, char **argv, struct mode_sink *s)
{
	struct why_report first = {}, prev = {}, cur = {};
	bool have_prev = false;
	unsigned long long t0;
	unsigned long long printed = 0;
	size_t i;
	int err;

	err = why_parse_args(argc, argv, &env);
	if (err)
		return cli_exit_code(err);
	sink = s;
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
	if (sink)
		sink->up(sink);
	if (!env.watch) {
		first.final = true;
		print(&first);
		goto cleanup;
	}
	if (sink)
		print(&first);	/* serve: a snapshot from the start */
	else if (!env.json)
		fprintf(stderr, "memleakbpf: watching every %g s, Ctrl-C to stop\n", env.watch);
	while (!exiting) {
		sleep_interruptible(env.watch);
		if (exiting)
			break;
		if (sample(&cur, &first, have_prev ? &prev : &first, (now_ns() - t0) / 1e9)) {
			err = EXIT_RUNTIME;
			goto cleanup;
		}
		cur.final = env.count && printed + 1 >= env.count;
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
