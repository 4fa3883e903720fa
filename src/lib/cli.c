/* The one command-line layer (see cli.h): getopt_long driven by a table. */
#include "lib/cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/common.h"
#include "lib/version.h"

#define MAX_OPTS 64

int cli_usage_error(const struct cli_mode *m, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memleakbpf: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'memleakbpf%s%s --help'.\n", m->name[0] ? " " : "", m->name);
	return EXIT_USAGE;
}

int cli_c_is_command(const struct cli_mode *m, const char *arg, void *dest)
{
	return cli_usage_error(m, "-c/--command runs a command in user mode (memleakbpf -c CMD); "
			       "here the number of reports is -n/--count");
}

int cli_pid(const struct cli_mode *m, const char *arg, void *dest)
{
	unsigned long long v;

	/* Any int the kernel could hand out (PID_MAX_LIMIT is lower, but a
	 * pid that does not exist is a runtime error: "no process"). */
	if (!parse_u64(arg, &v) || v == 0 || v > 2147483647)
		return cli_usage_error(m, "invalid pid '%s'", arg);
	*(int *)dest = (int)v;
	return 0;
}

int cli_replaced_file(const struct cli_mode *m, const char *arg, void *dest)
{
	struct stat st;

	if (!*arg)
		return cli_usage_error(m, "--pprof/--svg: empty file name");
	/* Replacing means renaming a new file over it: over /dev/stdout or
	 * a fifo (as root) that would swap a device node for a plain file. */
	if (stat(arg, &st) == 0 && !S_ISREG(st.st_mode))
		return cli_usage_error(m, "'%s' is not a regular file (--pprof and --svg replace "
				       "their file at each report)", arg);
	*(const char **)dest = arg;
	return 0;
}

int cli_exit_code(int rc)
{
	return rc == CLI_HELP ? EXIT_OK : rc;
}

static int bad_value(const struct cli_mode *m, const struct cli_opt *o, const char *arg)
{
	if (o->range)
		return cli_usage_error(m, "invalid --%s '%s' (%s)", o->name, arg, o->range);
	return cli_usage_error(m, "invalid --%s '%s'", o->name, arg);
}

static bool in_range(const struct cli_opt *o, double v)
{
	return v >= o->min && v <= o->max;
}

static int store(const struct cli_mode *m, const struct cli_opt *o, const char *arg)
{
	unsigned long long u;
	double d;

	switch (o->type) {
	case CLI_T_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case CLI_T_NUM:
	case CLI_T_SIZE:
		if (!(o->type == CLI_T_NUM ? parse_u64(arg, &u) : parse_size(arg, &u)) ||
		    !in_range(o, (double)u))
			return bad_value(m, o, arg);
		/* The tables name fields of either width: store by size. */
		if (o->dest_size == sizeof(unsigned int))
			*(unsigned int *)o->dest = (unsigned int)u;
		else
			*(unsigned long long *)o->dest = u;
		return 0;
	case CLI_T_SECONDS:
		if (!parse_seconds(arg, &d) || !in_range(o, d))
			return bad_value(m, o, arg);
		*(double *)o->dest = d;
		return 0;
	case CLI_T_STRING:
		if (!*arg)
			return cli_usage_error(m, "--%s: empty value", o->name);
		*(const char **)o->dest = arg;
		return 0;
	case CLI_T_CALL:
		return o->call(m, arg, o->dest) ? EXIT_USAGE : 0;
	}
	return 0;
}

static const struct cli_opt common_opts[] = {
	{ .name = "verbose", .short_name = 'v' },
	{ .name = "help", .short_name = 'h' },
	/* Here rather than in main.c, so "memleakbpf kernel --version" works
	 * as well as "memleakbpf --version". */
	{ .name = "version", .short_name = 'V' },
};

static int parse(const struct cli_mode *m, int argc, char **argv)
{
	const struct cli_opt *table[MAX_OPTS];
	struct option lopts[MAX_OPTS + 1];
	char sopts[3 * MAX_OPTS + 2];
	size_t n = 0, ns = 0, i;
	int c, idx, rc;

	/* ':' first: a missing value is told apart from an unknown option. */
	sopts[ns++] = ':';
	for (i = 0; m->opts[i].name && n < MAX_OPTS - ARRAY_SIZE(common_opts); i++)
		table[n++] = &m->opts[i];
	for (i = 0; i < ARRAY_SIZE(common_opts); i++)
		table[n++] = &common_opts[i];
	for (i = 0; i < n; i++) {
		bool arg = table[i]->type != CLI_T_FLAG && !table[i]->no_value;

		lopts[i] = (struct option){ table[i]->name, arg ? required_argument : no_argument,
					    NULL, 0 };
		if (table[i]->short_name) {
			sopts[ns++] = (char)table[i]->short_name;
			if (arg)
				sopts[ns++] = ':';
		}
	}
	lopts[n] = (struct option){};
	sopts[ns] = '\0';

	optind = 0; /* glibc: a full reset, so a second parse (tests) starts clean */
	opterr = 0;
	for (;;) {
		const struct cli_opt *o = NULL;

		idx = -1;
		c = getopt_long(argc, argv, sopts, lopts, &idx);
		if (c == -1)
			break;
		if (c == '?') {
			if (optopt && optopt != '?')
				return cli_usage_error(m, "invalid option '-%c'", optopt);
			return cli_usage_error(m, "unrecognized option '%s'", argv[optind - 1]);
		}
		if (c == ':') {
			const char *what = argv[optind - 1];

			if (optopt)
				return cli_usage_error(m, "option '-%c' needs a value", optopt);
			return cli_usage_error(m, "option '%s' needs a value", what);
		}
		if (c == 0 && idx >= 0) {
			o = table[idx];
		} else {
			for (i = 0; i < n && !o; i++)
				if (table[i]->short_name == c)
					o = table[i];
		}
		if (!o)
			return cli_usage_error(m, "invalid option '-%c'", c);
		if (o == &common_opts[0]) {
			verbosity++;
			continue;
		}
		if (o == &common_opts[1]) {
			fputs(m->usage, stdout);
			return CLI_HELP;
		}
		if (o == &common_opts[2]) {
			version_print(stdout);
			return CLI_HELP;
		}
		rc = store(m, o, optarg);
		if (rc)
			return rc;
	}

	if (m->operands && optind < argc) {
		const struct cli_operands *ops = m->operands;
		double d;

		if (!parse_seconds(argv[optind], &d) || d < ops->min_interval)
			return cli_usage_error(m, "invalid interval '%s' (seconds, at least %g)",
					       argv[optind], ops->min_interval);
		*ops->interval = d;
		if (ops->interval_given)
			*ops->interval_given = true;
		optind++;
		/* count NULL: INTERVAL only (serve runs until stopped) */
		if (optind < argc && ops->count) {
			unsigned long long u;

			if (!parse_u64(argv[optind], &u) || u == 0 || u > 1000000000)
				return cli_usage_error(m, "invalid count '%s' (reports, 1 or more)",
						       argv[optind]);
			*ops->count = u;
			optind++;
		}
	}
	if (optind < argc)
		return cli_usage_error(m, "unexpected argument '%s'", argv[optind]);
	return CLI_RUN;
}

/* getopt's state is global: `serve` starts several modes at once, each
 * parsing its own command line in its thread. */
int cli_parse(const struct cli_mode *m, int argc, char **argv)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&lock);
	rc = parse(m, argc, argv);
	pthread_mutex_unlock(&lock);
	return rc;
}
