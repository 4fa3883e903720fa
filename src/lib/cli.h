/* The one command-line layer of every mode: a table of options, the shared
 * [INTERVAL [COUNT]] operands, one usage-error form and one return rule.
 *
 * A mode describes its options as a table and calls cli_parse():
 *
 *	static const struct cli_opt opts[] = {
 *		CLI_NUM("top", 'T', e->top, 0, 1000000, "stacks per report"),
 *		CLI_FLAG("json", 'j', e->json),
 *		{}
 *	};
 *	rc = cli_parse(&(struct cli_mode){ "kernel", usage, opts, &ops }, argc, argv);
 *
 * -v/--verbose, -h/--help and -V/--version are added to every table.  The
 * return rule, the same everywhere:
 *	CLI_RUN (0)   run the mode
 *	CLI_HELP      --help or --version was printed to stdout: exit 0
 *	              (cli_exit_code())
 *	EXIT_USAGE    one error line and a "Try 'memleakbpf MODE --help'." hint
 *	              were printed to stderr: exit 2
 * A bad value is reported as "invalid --NAME 'VALUE' (RANGE)", whichever
 * spelling (-T or --top) the user typed. */
#ifndef MEMLEAKBPF_CLI_H
#define MEMLEAKBPF_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum {
	CLI_RUN = 0,
	CLI_HELP = -1,
};

struct cli_mode;

enum cli_type {
	CLI_T_FLAG,	/* bool = true */
	CLI_T_NUM,	/* unsigned integer in [min, max]; dest 4 or 8 bytes */
	CLI_T_SIZE,	/* bytes, 4k/1M/1G suffixes, in [min, max]; 8 bytes */
	CLI_T_SECONDS,	/* double seconds in [min, max] */
	CLI_T_STRING,	/* const char *, not empty */
	CLI_T_CALL,	/* call(mode, arg, dest): 0, or the EXIT_USAGE of a
			 * cli_usage_error(); .no_value: a flag, arg NULL */
};

struct cli_opt {
	const char *name;	/* long name without "--"; NULL ends a table */
	int short_name;		/* 0: long only */
	enum cli_type type;
	void *dest;
	size_t dest_size;	/* CLI_T_NUM: sizeof(*dest) */
	double min, max;	/* numbers: the inclusive range */
	const char *range;	/* words for a bad value: "1..32", "seconds" */
	int (*call)(const struct cli_mode *m, const char *arg, void *dest);
	bool no_value;		/* CLI_T_CALL: a flag (arg is NULL) */
};

#define CLI_FLAG(n, s, field) \
	{ .name = (n), .short_name = (s), .type = CLI_T_FLAG, .dest = &(field) }
#define CLI_NUM(n, s, field, lo, hi, words) \
	{ .name = (n), .short_name = (s), .type = CLI_T_NUM, .dest = &(field), \
	  .dest_size = sizeof(field), .min = (lo), .max = (hi), .range = (words) }
#define CLI_SIZE(n, s, field, lo, hi, words) \
	{ .name = (n), .short_name = (s), .type = CLI_T_SIZE, .dest = &(field), \
	  .dest_size = sizeof(field), .min = (lo), .max = (hi), .range = (words) }
#define CLI_SECONDS(n, s, field, lo, hi, words) \
	{ .name = (n), .short_name = (s), .type = CLI_T_SECONDS, .dest = &(field), \
	  .min = (lo), .max = (hi), .range = (words) }
#define CLI_STRING(n, s, field) \
	{ .name = (n), .short_name = (s), .type = CLI_T_STRING, .dest = &(field) }
#define CLI_CALL(n, s, fn, d) \
	{ .name = (n), .short_name = (s), .type = CLI_T_CALL, .call = (fn), .dest = (d) }
#define CLI_CALL0(n, s, fn, d) \
	{ .name = (n), .short_name = (s), .type = CLI_T_CALL, .call = (fn), .dest = (d), \
	  .no_value = true }

/* -c means --command (user mode) and nothing else: a mode that counts
 * reports takes -n/--count, and -c there says so instead of a bare
 * "invalid option". */
int cli_c_is_command(const struct cli_mode *m, const char *arg, void *dest);
#define CLI_COMMAND_IS_USER_MODE CLI_CALL("command", 'c', cli_c_is_command, NULL)

/* -p PID: a positive pid (that it exists is checked later: exit 1).
 * dest is a pid_t or an unsigned int. */
int cli_pid(const struct cli_mode *m, const char *arg, void *dest);
#define CLI_PID(field) CLI_CALL("pid", 'p', cli_pid, &(field))

/* FILE of an option that replaces FILE at each report (--pprof, --svg):
 * not empty, and a regular file if it exists (symbolic links followed).
 * dest is a const char *. */
int cli_replaced_file(const struct cli_mode *m, const char *arg, void *dest);
#define CLI_REPLACED_FILE(n, field) CLI_CALL(n, 0, cli_replaced_file, &(field))

/* Upper bound for a number that may take any 64-bit value. */
#define CLI_U64_MAX 18446744073709551615.0

/* The operands after the options: [INTERVAL [COUNT]]. */
struct cli_operands {
	double *interval;		/* seconds between reports */
	double min_interval;
	bool *interval_given;		/* may be NULL */
	unsigned long long *count;	/* reports; 1 and up; NULL: no COUNT */
};

struct cli_mode {
	const char *name;		/* "kernel"; "" for the default user mode */
	const char *usage;		/* --help text */
	const struct cli_opt *opts;	/* ends with {} */
	const struct cli_operands *operands; /* NULL: no operands allowed */
};

/* Parses argv (argv[0] is the mode's name or the program's) by the table;
 * see the return rule above.  Options may come after the operands. */
int cli_parse(const struct cli_mode *m, int argc, char **argv);

/* One usage error in the shared form: "memleakbpf: error: MSG" and the hint
 * for this mode.  Returns EXIT_USAGE. */
int cli_usage_error(const struct cli_mode *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* CLI_HELP -> EXIT_OK; other results unchanged (what a mode returns). */
int cli_exit_code(int rc);

#endif
