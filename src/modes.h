/* Entry points of memleakbpf's modes; main.c dispatches on the first word.
 * Each returns an exit_code (common.h). */
#ifndef MEMLEAKBPF_MODES_H
#define MEMLEAKBPF_MODES_H

int cmd_user(int argc, char **argv);   /* memleakbpf [-p PID | -c CMD] */
int cmd_growth(int argc, char **argv); /* memleakbpf growth */
int cmd_shmem(int argc, char **argv);  /* memleakbpf shmem */
int cmd_kernel(int argc, char **argv); /* memleakbpf kernel */
int cmd_oom(int argc, char **argv);    /* memleakbpf oom */
int cmd_why(int argc, char **argv);    /* memleakbpf why */
int cmd_serve(int argc, char **argv);  /* memleakbpf serve */

/* `memleakbpf serve` runs modes side by side, one thread each, through
 * these entry points: argv is the mode's own command line (parsed by its
 * options table), and each report goes to the sink as metrics (its
 * X_metrics renderer) instead of being printed.  The mode calls up() once
 * tracing started (hooks attached), report() after each report (the sink
 * takes the metrics over), and runs until `exiting` (common.h); its return
 * is its exit_code. */
struct metrics;
struct mode_sink {
	void (*up)(struct mode_sink *s);
	void (*report)(struct mode_sink *s, struct metrics *m);
	unsigned int top;	/* label sets per family (metrics_add_top) */
	void *ctx;
};

int run_user(int argc, char **argv, struct mode_sink *sink);
int run_growth(int argc, char **argv, struct mode_sink *sink);
/* user mode's loop on parsed options (growth shares it) */
struct user_env;
int user_run(const struct user_env *env, struct mode_sink *sink);
/* several targets: a user_run process each (user/user_multi.c) */
int user_run_many(const struct user_env *env, struct mode_sink *sink);
/* user_multi.c: a file whose lock one report holds while printed (-1:
 * a single tracer) */
extern int user_out_lock;
int run_shmem(int argc, char **argv, struct mode_sink *sink);
int run_kernel(int argc, char **argv, struct mode_sink *sink);
int run_oom(int argc, char **argv, struct mode_sink *sink);
int run_why(int argc, char **argv, struct mode_sink *sink);

#endif
