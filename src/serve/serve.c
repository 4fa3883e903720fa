/* memleakbpf serve: the modes side by side, one thread each, their reports
 * exported as OpenMetrics on HTTP (and a textfile).
 *
 * Each mode runs its own loop through run_X() (modes.h) with a sink: after
 * each report it hands over that report's metrics.  The sink stores them in
 * the mode's slot and rebuilds the two expositions (OpenMetrics, Prometheus
 * 0.0.4) under one mutex; the HTTP thread copies the prebuilt text under
 * that mutex and sends it, so a scrape never waits for a collection (a
 * BPF map walk, a /proc walk).  Every loop ends on `exiting`. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "lib/metrics.h"
#include "modes.h"
#include "serve/http.h"
#include "serve/serve_options.h"

#define MAX_ARGS 16

struct serve;

struct slot {
	struct serve *sv;
	enum serve_mode mode;
	struct mode_sink sink;
	pthread_t thread;
	bool running;		/* thread started, not joined */
	bool up;		/* tracing: between sink->up and its return */
	bool ended;		/* run_X returned */
	int rc;
	unsigned long long reports;
	struct metrics m;	/* the last report's */
	char *argv[MAX_ARGS];
	int argc;
	char words[4][32];	/* numbers in argv */
};

struct serve {
	struct serve_env env;
	pthread_mutex_t lock;	/* the slots' state and the two texts */
	pthread_mutex_t textfile_lock;
	struct slot slots[SERVE_NR_MODES];
	char *text[2];		/* [METRICS_OPENMETRICS], [METRICS_PROMETHEUS] */
	size_t len[2];
	char *textfile;		/* DIR/memleakbpf.prom */
	double test_delay;	/* MEMLEAKBPF_SERVE_TEST_DELAY: slower reports */
};

static int (*const runners[SERVE_NR_MODES])(int, char **, struct mode_sink *) = {
	[SERVE_SHMEM] = run_shmem, [SERVE_KERNEL] = run_kernel, [SERVE_OOM] = run_oom,
	[SERVE_WHY] = run_why, [SERVE_USER] = run_user,
};

/* serve's own families: which modes run, how many reports each made. */
static void serve_metrics(const struct serve *sv, struct metrics *m)
{
	int i;

	metrics_family(m, "memleakbpf_mode_up", METRIC_GAUGE, NULL,
		       "1 while the mode traces, 0 when it could not start or has stopped");
	for (i = 0; i < SERVE_NR_MODES; i++)
		if (sv->env.modes & (1U << i))
			metrics_add(m, sv->slots[i].up, "mode", serve_mode_name(i), NULL);
	metrics_family(m, "memleakbpf_mode_reports", METRIC_COUNTER, NULL,
		       "reports each mode has made since serve started");
	for (i = 0; i < SERVE_NR_MODES; i++)
		if (sv->env.modes & (1U << i))
			metrics_add(m, sv->slots[i].reports, "mode", serve_mode_name(i), NULL);
}

/* Both texts from the slots; under sv->lock.  On failure the previous
 * texts stay (a scrape gets the last good snapshot). */
static void rebuild(struct serve *sv)
{
	struct metrics own = {};
	int f, i;

	serve_metrics(sv, &own);
	for (f = 0; f < 2; f++) {
		char *part, *buf = NULL;
		size_t plen, len = 0;
		FILE *out = open_memstream(&buf, &len);
		bool ok = out != NULL;

		ok = ok && !metrics_render(&own, f, false, &part, &plen);
		if (ok) {
			fwrite(part, 1, plen, out);
			free(part);
		}
		for (i = 0; ok && i < SERVE_NR_MODES; i++) {
			if (!(sv->env.modes & (1U << i)))
				continue;
			ok = !metrics_render(&sv->slots[i].m, f, false, &part, &plen);
			if (ok) {
				fwrite(part, 1, plen, out);
				free(part);
			}
		}
		if (ok && f == METRICS_OPENMETRICS)
			fputs("# EOF\n", out);
		if (out && fclose(out))
			ok = false;
		if (!ok || !buf) {
			free(buf);
			continue;
		}
		free(sv->text[f]);
		sv->text[f] = buf;
		sv->len[f] = len;
	}
	metrics_free(&own);
}

/* --textfile: the 0.0.4 text, replaced atomically (node_exporter reads the
 * directory on every scrape of its own). */
static void write_textfile(struct serve *sv)
{
	char *copy;
	size_t len;
	int err;

	if (!sv->textfile)
		return;
	pthread_mutex_lock(&sv->textfile_lock);
	pthread_mutex_lock(&sv->lock);
	len = sv->len[METRICS_PROMETHEUS];
	copy = sv->text[METRICS_PROMETHEUS] ? malloc(len + 1) : NULL;
	if (copy)
		memcpy(copy, sv->text[METRICS_PROMETHEUS], len);
	pthread_mutex_unlock(&sv->lock);
	if (copy && (err = write_file_atomic(sv->textfile, copy, len)))
		warn_msg("--textfile %s: %s", sv->textfile, strerror(-err));
	free(copy);
	pthread_mutex_unlock(&sv->textfile_lock);
}

static void sink_up(struct mode_sink *s)
{
	struct slot *sl = s->ctx;

	pthread_mutex_lock(&sl->sv->lock);
	sl->up = true;
	rebuild(sl->sv);
	pthread_mutex_unlock(&sl->sv->lock);
	vlog(1, "serve: %s mode is up", serve_mode_name(sl->mode));
}

static void sink_report(struct mode_sink *s, struct metrics *m)
{
	struct slot *sl = s->ctx;
	struct serve *sv = sl->sv;

	/* Test hook: a collection this much slower, to show that scrapes in
	 * the meantime are answered at once from the previous snapshot. */
	if (sv->test_delay > 0) {
		unsigned long long end = now_ns() + (unsigned long long)(sv->test_delay * 1e9);

		while (!exiting && now_ns() < end)
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	pthread_mutex_lock(&sv->lock);
	metrics_free(&sl->m);
	sl->m = *m;
	*m = (struct metrics){};
	sl->reports++;
	rebuild(sv);
	pthread_mutex_unlock(&sv->lock);
	write_textfile(sv);
}

static void *mode_thread(void *arg)
{
	struct slot *sl = arg;
	/* -p --growth: the user slot runs growth mode, on the same engine */
	int rc = (sl->mode == SERVE_USER && sl->sv->env.growth ? run_growth : runners[sl->mode])(
		sl->argc, sl->argv, &sl->sink);

	pthread_mutex_lock(&sl->sv->lock);
	sl->up = false;
	sl->ended = true;
	sl->rc = rc;
	rebuild(sl->sv);
	pthread_mutex_unlock(&sl->sv->lock);
	if (rc && !exiting)
		warn_msg("%s mode is not running (exit status %d): exported as "
			 "memleakbpf_mode_up{mode=\"%s\"} 0", serve_mode_name(sl->mode), rc,
			 serve_mode_name(sl->mode));
	else if (!exiting && sl->mode == SERVE_USER)
		vlog(0, "pid %d exited: its last user-mode report stays exported",
		     sl->sv->env.pid);
	write_textfile(sl->sv);
	return NULL;
}

static void add_arg(struct slot *sl, const char *a)
{
	if (sl->argc < MAX_ARGS - 1)
		sl->argv[sl->argc++] = (char *)a;
	sl->argv[sl->argc] = NULL;
}

/* The mode's own command line: its options table parses it. */
static void build_argv(struct serve *sv, struct slot *sl)
{
	const struct serve_env *e = &sv->env;

	snprintf(sl->words[0], sizeof(sl->words[0]), "%g", e->interval);
	snprintf(sl->words[1], sizeof(sl->words[1]), "%u", e->top);
	snprintf(sl->words[2], sizeof(sl->words[2]), "%d", e->pid);
	add_arg(sl, sl->mode == SERVE_USER && e->growth ? "growth" : serve_mode_name(sl->mode));
	for (int i = 0; i < verbosity && i < 2; i++)
		add_arg(sl, "-v");
	switch (sl->mode) {
	case SERVE_SHMEM:
	case SERVE_KERNEL:
		add_arg(sl, sl->words[0]);
		break;
	case SERVE_OOM:
		break;
	case SERVE_WHY:
		add_arg(sl, "--watch");
		add_arg(sl, sl->words[0]);
		add_arg(sl, "--top");
		add_arg(sl, sl->words[1]);
		if (e->why_proc_root) {
			add_arg(sl, "--proc-root");
			add_arg(sl, e->why_proc_root);
		}
		break;
	case SERVE_USER:
		/* totals only: one stack symbolized per report is enough */
		add_arg(sl, "-p");
		add_arg(sl, sl->words[2]);
		add_arg(sl, "--top");
		add_arg(sl, "1");
		add_arg(sl, sl->words[0]);
		break;
	default:
		break;
	}
}

static int metrics_body(void *ctx, bool om, char **body, size_t *len, const char **type)
{
	struct serve *sv = ctx;
	int f = om ? METRICS_OPENMETRICS : METRICS_PROMETHEUS;

	*type = om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		   : "text/plain; version=0.0.4; charset=utf-8";
	pthread_mutex_lock(&sv->lock);
	*len = sv->len[f];
	*body = malloc(*len + 1);
	if (*body)
		memcpy(*body, sv->text[f], *len);
	pthread_mutex_unlock(&sv->lock);
	return *body ? 0 : -ENOMEM;
}

struct http_args {
	int fd;
	struct serve *sv;
};

static void *http_thread(void *arg)
{
	struct http_args *h = arg;

	http_serve(h->fd, metrics_body, h->sv);
	return NULL;
}

static bool needs_bpf(unsigned int modes)
{
	return modes & ~(1U << SERVE_WHY);
}

int cmd_serve(int argc, char **argv)
{
	static struct serve sv;	/* the threads' shared state, for the run */
	struct http_args h = { .fd = -1, .sv = &sv };
	pthread_t http;
	bool http_running = false;
	const char *delay;
	int rc, i, ret = EXIT_RUNTIME, nup;

	rc = serve_parse_args(argc, argv, &sv.env);
	if (rc)
		return cli_exit_code(rc);
	pthread_mutex_init(&sv.lock, NULL);
	pthread_mutex_init(&sv.textfile_lock, NULL);
	delay = getenv("MEMLEAKBPF_SERVE_TEST_DELAY");
	sv.test_delay = delay ? atof(delay) : 0;
	if (sv.env.pid && kill(sv.env.pid, 0) != 0 && errno == ESRCH) {
		err_msg("no process with PID %d", sv.env.pid);
		return EXIT_RUNTIME;
	}
	if (needs_bpf(sv.env.modes) && !check_bpf_prereqs())
		return EXIT_RUNTIME;
	if (sv.env.textfile && asprintf(&sv.textfile, "%s/memleakbpf.prom", sv.env.textfile) < 0)
		return EXIT_RUNTIME;
	/* Listen first: a port in use fails the run before anything loads. */
	h.fd = http_listen((struct sockaddr *)&sv.env.addr, sv.env.addrlen);
	if (h.fd < 0) {
		err_msg("--listen %s: %s", sv.env.listen, strerror(-h.fd));
		goto cleanup;
	}
	setup_libbpf_logging();
	install_signal_handlers();
	pthread_mutex_lock(&sv.lock);
	rebuild(&sv);
	pthread_mutex_unlock(&sv.lock);
	if (pthread_create(&http, NULL, http_thread, &h)) {
		err_msg("cannot start the HTTP thread");
		goto cleanup;
	}
	http_running = true;
	for (i = 0; i < SERVE_NR_MODES; i++) {
		struct slot *sl = &sv.slots[i];

		if (!(sv.env.modes & (1U << i)))
			continue;
		sl->sv = &sv;
		sl->mode = i;
		sl->sink = (struct mode_sink){ sink_up, sink_report, sv.env.top, sl };
		build_argv(&sv, sl);
		if (pthread_create(&sl->thread, NULL, mode_thread, sl)) {
			warn_msg("cannot start a thread for %s mode", serve_mode_name(i));
			continue;
		}
		sl->running = true;
	}
	fprintf(stderr, "Serving metrics on http://%s/metrics ... Ctrl-C to end.\n",
		sv.env.listen);
	while (!exiting) {
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
		/* Every mode failed: nothing left to export. */
		pthread_mutex_lock(&sv.lock);
		for (i = 0, nup = 0; i < SERVE_NR_MODES; i++)
			nup += (sv.env.modes & (1U << i)) && (!sv.slots[i].ended || !sv.slots[i].rc);
		pthread_mutex_unlock(&sv.lock);
		if (!nup) {
			err_msg("no mode could start (-v says why)");
			exiting = 1;
			goto cleanup;
		}
	}
	ret = EXIT_OK;
cleanup:
	exiting = 1;
	for (i = 0; i < SERVE_NR_MODES; i++)
		if (sv.slots[i].running)
			pthread_join(sv.slots[i].thread, NULL);
	if (http_running)
		pthread_join(http, NULL);
	if (h.fd >= 0)
		close(h.fd);
	for (i = 0; i < SERVE_NR_MODES; i++)
		metrics_free(&sv.slots[i].m);
	free(sv.text[0]);
	free(sv.text[1]);
	free(sv.textfile);
	return ret;
}
