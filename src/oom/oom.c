/* memleakbpf oom: report each OOM kill with its victim-selection context.
 * BPF gives the victim, the trigger, its stack and memcgs at the kill;
 * /dev/kmsg gives the kernel's own report (gfp, constraint, task table);
 * /proc fills in when the report is missing or partial. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/bpf_util.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "lib/metrics.h"
#include "sym/ksyms.h"
#include "modes.h"
#include "oom.h"
#include "oom.skel.h"
#include "oom/oom_join.h"
#include "oom/oom_options.h"
#include "oom/oom_kmsg.h"
#include "oom/oom_memcg.h"
#include "oom/oom_report.h"
#include "oom/oom_rankview.h"
#include "probe/probe.h"
#include "procfs/procfs.h"

/* How long a kill waits for the rest of its story before it is printed. */
#define KMSG_WAIT_NS (1500ULL * 1000 * 1000)	/* kmsg report after the BPF event */
#define REAP_WAIT_NS (3000ULL * 1000 * 1000)	/* oom_reaper runs 2 s after the kill */
#define MAX_BADNESS 65536

static struct oom_env env;
/* serve: each kill is tallied and the tally sent as metrics, none printed */
static struct mode_sink *sink;
static struct oom_tally tally;

static void send_tally(void)
{
	struct metrics m = {};

	oom_metrics(&tally, sink->top, &m);
	sink->report(sink, &m);
}

struct state {
	struct oom_bpf *skel;
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	struct memcg_mounts mounts;
	struct kmsg_parser kmsg;
	int kmsg_fd;
	bool fentry;
	struct oom_join_env join;
	struct oom_pending *pend;
	int npend;
	/* fentry: the OOM in progress (oom_lock serializes them) */
	struct oom_event invoke, kill;
	bool has_invoke, has_kill;
	struct oom_event *badness;
	int nbadness;
	bool badness_lost;
	unsigned long long drops_at_invoke;
	unsigned long long printed;
	int err;
};

static bool read_sysctl_int(const char *path, long *out)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%ld", out) == 1;
	fclose(f);
	return ok;
}

static void read_meminfo(struct state *st)
{
	struct meminfo mi;
	char *buf = NULL;
	size_t len;

	if (procfs_read_file("/proc/meminfo", 1 << 20, &buf, &len, NULL))
		return;
	if (procfs_parse_meminfo(buf, len, &mi) == 0) {
		st->join.totalram_pages = meminfo_val(&mi, "MemTotal") / 4096;
		st->join.total_swap_pages = meminfo_val(&mi, "SwapTotal") / 4096;
		meminfo_free(&mi);
	}
	free(buf);
}

/* ---- kmsg ---- */

static void kmsg_open(struct state *st)
{
	st->kmsg_fd = -1;
	if (env.no_kmsg)
		return;
	st->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (st->kmsg_fd < 0) {
		warn_msg("cannot read /dev/kmsg (%s): reports will use BPF and /proc data only",
			 strerror(errno));
		return;
	}
	/* Only reports of kills we trace: skip the log's history. */
	lseek(st->kmsg_fd, 0, SEEK_END);
}

static void kmsg_drain(struct state *st)
{
	char buf[8192];
	ssize_t n;

	if (st->kmsg_fd < 0)
		return;
	for (;;) {
		n = read(st->kmsg_fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			kmsg_feed_record(&st->kmsg, buf, n);
			continue;
		}
		if (n < 0 && errno == EPIPE) {
			/* overwritten before we read them: the next record's
			 * sequence number says how many */
			kmsg_overrun(&st->kmsg);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	kmsg_trim(&st->kmsg, 16);
}

/* ---- building the report ---- */

static bool tracing_frame(const char *name)
{
	return !strncmp(name, "bpf_trace_run", 13) || !strncmp(name, "__bpf_trace_", 12) ||
	       !strncmp(name, "__traceiter_", 12);
}

static void symbolize_stack(struct state *st, struct oom_report *r, int stack_id)
{
	__u64 ips[OOM_STACK_DEPTH] = {};
	int i, first = 0, fd = bpf_map__fd(st->skel->maps.stacks);

	/* without kallsyms, kmsg's symbolized Call Trace is the better one */
	if (!st->ksyms || stack_id < 0 || bpf_map_lookup_elem(fd, &stack_id, ips))
		return;
	/* The BPF program and the tracepoint glue sit above mark_oom_victim;
	 * the program's own address is not in kallsyms and would resolve to
	 * whatever symbol precedes it. */
	for (i = 0; i < 8 && i < OOM_STACK_DEPTH && ips[i]; i++) {
		const struct ksym *s = ksyms_lookup(st->ksyms, ips[i]);

		if (s && tracing_frame(s->name))
			first = i + 1;
	}
	for (i = first; i < OOM_STACK_DEPTH && ips[i] && r->nstack < OOM_MAX_FRAMES; i++) {
		const struct ksym *s = ksyms_lookup(st->ksyms, ips[i]);

		if (s)
			snprintf(r->stack[r->nstack], OOM_FRAME_LEN, "%s+%#llx%s%s%s", s->name,
				 ips[i] - s->addr, s->module ? " [" : "", s->module ? s->module : "",
				 s->module ? "]" : "");
		else
			snprintf(r->stack[r->nstack], OOM_FRAME_LEN, "%#llx", (unsigned long long)ips[i]);
		r->nstack++;
	}
	if (r->nstack)
		r->src_stack = SRC_BPF;
}

static void emit(struct state *st, struct oom_pending *p)
{
	struct oom_report r = {};
	struct kmsg_report k = {};
	bool have_k = false;

	if (st->kmsg_fd >= 0) {
		have_k = kmsg_take(&st->kmsg, p->ev.pid, p->ev.trigger_pid, &k);
		if (!have_k && st->kmsg.active && st->kmsg.cur.has_trigger_pid &&
		    st->kmsg.cur.trigger_pid == (int)p->ev.trigger_pid) {
			/* the report never reached its kill line */
			kmsg_flush(&st->kmsg);
			have_k = kmsg_take(&st->kmsg, p->ev.pid, p->ev.trigger_pid, &k);
		}
	}
	symbolize_stack(st, &r, p->ev.kstack_id);
	oom_join(&st->join, p, have_k ? &k : NULL, &r);
	if (env.memcg && !(r.v_memcg[0] == '/' && memcg_within(r.v_memcg, env.memcg))) {
		vlog(1, "kill of pid %d in memcg %s: outside --memcg, not reported", r.v_pid,
		     r.v_memcg[0] ? r.v_memcg : "?");
		goto out;
	}
	r.final = env.count && st->printed + 1 >= env.count;
	r.dropped = st->skel->bss->drops;
	if (sink) {
		if (oom_tally_add(&tally, &r))
			st->err = -ENOMEM;
		else
			send_tally();
	} else if (env.json)
		oom_report_print_json(stdout, &r);
	else
		oom_report_print_text(stdout, &r);
	st->printed++;
out:
	oom_report_free(&r);
	kmsg_report_free(&k);
}

static void emit_ready(struct state *st, bool all)
{
	unsigned long long now = now_ns();
	int i;

	for (i = 0; i < st->npend; i++) {
		struct oom_pending *p = &st->pend[i];
		bool kmsg_ready, reap_ready;

		if (env.count && st->printed >= env.count)
			break;
		kmsg_ready = st->kmsg_fd < 0 || now - p->recv_ns > KMSG_WAIT_NS;
		if (!kmsg_ready) {
			int j;

			for (j = 0; j < st->kmsg.ndone; j++)
				if (st->kmsg.done[j].has_kill &&
				    st->kmsg.done[j].kill_pid == (int)p->ev.pid)
					kmsg_ready = true;
		}
		reap_ready = p->exited || p->reaped || now - p->recv_ns > REAP_WAIT_NS;
		/* Kills are printed in the kernel's order: a later kill that
		 * is complete first (its victim died faster) waits its turn. */
		if (!all && !(kmsg_ready && reap_ready))
			break;
		emit(st, p);
		oom_pending_free(p);
		memmove(p, p + 1, (st->npend - i - 1) * sizeof(*p));
		st->npend--;
		i--;
	}
}

static void on_victim(struct state *st, const struct oom_event *e)
{
	unsigned long long ids[OOM_MEMCG_LEVELS];
	struct oom_pending *n, *p;
	unsigned int i;

	n = realloc(st->pend, (st->npend + 1) * sizeof(*n));
	if (!n) {
		st->err = -ENOMEM;
		return;
	}
	st->pend = n;
	p = &st->pend[st->npend++];
	memset(p, 0, sizeof(*p));
	p->ev = *e;
	p->recv_ns = now_ns();
	p->timestamp = time(NULL);
	memcg_root(&st->mounts, &p->v2);
	/* Now, while the memcgs and the other candidates still exist. */
	for (i = 0; i < e->memcg_levels && i < OOM_MEMCG_LEVELS; i++)
		ids[i] = e->memcg[i].id;
	memcg_paths_by_ids(&st->mounts, ids, i, p->paths);
	if (oom_rank_collect(&p->snap, &p->nsnap))
		vlog(1, "cannot read /proc for candidates");
	if (st->fentry && st->has_invoke && st->invoke.trigger_tid == e->trigger_tid) {
		p->has_invoke = true;
		p->invoke = st->invoke;
		p->has_kill = st->has_kill;
		p->kill = st->kill;
		p->badness = st->badness;
		p->nbadness = st->nbadness;
		/* a lost oom_badness event would hide a candidate: use the
		 * kernel's table or /proc instead */
		if (st->badness_lost || st->skel->bss->drops != st->drops_at_invoke) {
			p->nbadness = 0;
			p->badness_lost = true;
		}
		st->badness = NULL;
		st->nbadness = 0;
		st->has_invoke = st->has_kill = false;
	}
}

static struct oom_pending *find_pending(struct state *st, __u32 tid)
{
	int i;

	for (i = 0; i < st->npend; i++)
		if (st->pend[i].ev.tid == tid)
			return &st->pend[i];
	return NULL;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct state *st = ctx;
	const struct oom_event *e = data;
	struct oom_pending *p;

	if (size < sizeof(*e))
		return 0;
	switch (e->kind) {
	case OOM_EV_VICTIM:
		on_victim(st, e);
		break;
	case OOM_EV_EXIT:
		if ((p = find_pending(st, e->tid)) && !p->exited) {
			p->exited = true;
			p->exit_ns = e->ts_ns;
		}
		break;
	case OOM_EV_REAP_FINISH:
		if ((p = find_pending(st, e->tid))) {
			p->reaped = true;
			p->reap_ns = e->ts_ns;
		}
		break;
	case OOM_EV_REAP_SKIP:
		if ((p = find_pending(st, e->tid)))
			p->reap_skipped = true;
		break;
	case OOM_EV_INVOKE:
		st->invoke = *e;
		st->has_invoke = true;
		st->has_kill = false;
		st->nbadness = 0;
		st->badness_lost = false;
		st->drops_at_invoke = st->skel->bss->drops;
		break;
	case OOM_EV_BADNESS:
		if (st->nbadness < MAX_BADNESS) {
			struct oom_event *n = realloc(st->badness, (st->nbadness + 1) * sizeof(*n));

			if (n) {
				st->badness = n;
				st->badness[st->nbadness++] = *e;
			} else {
				st->badness_lost = true;
			}
		} else {
			st->badness_lost = true;
		}
		break;
	case OOM_EV_KILL:
		st->kill = *e;
		st->has_kill = true;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- BPF lifecycle ---- */

static const char *const fentry_funcs[] = { "out_of_memory", "oom_badness", "oom_kill_process" };

static int open_and_load(struct state *st)
{
	struct oom_bpf *skel;
	bool fentry = !env.no_fentry;
	bool task_arg = probe_tp_btf_arg_struct("mark_victim", 0, NULL);
	size_t i;
	int err;

	for (i = 0; fentry && i < ARRAY_SIZE(fentry_funcs); i++)
		if (!probe_fentry(fentry_funcs[i])) {
			probe_report("fentry", "refused", fentry_funcs[i]);
			fentry = false;
		}
retry:
	skel = oom_bpf__open();
	if (!skel) {
		err = -errno;
		err_msg("cannot open the oom BPF object: %s", strerror(-err));
		return err;
	}
	bpf_program__set_autoload(skel->progs.mark_victim, task_arg);
	bpf_program__set_autoload(skel->progs.mark_victim_pid, !task_arg);
	bpf_program__set_autoload(skel->progs.oom_enter, fentry);
	bpf_program__set_autoload(skel->progs.oom_exit, fentry);
	bpf_program__set_autoload(skel->progs.badness_exit, fentry);
	bpf_program__set_autoload(skel->progs.kill_enter, fentry);
	/* fentry sends one event per candidate: room for a few thousand */
	if (fentry && (err = map_set_size(skel->maps.events, 8 << 20))) {
		oom_bpf__destroy(skel);
		return err;
	}
	libbpf_capture_begin();
	err = oom_bpf__load(skel);
	if (err && fentry) {
		char why[320];

		/* probed fine, failed for real: the tracepoints still work */
		vlog(1, "fentry programs failed to load (%s: %s): tracepoints only",
		     strerror(-err), libbpf_capture_end(why, sizeof(why)));
		oom_bpf__destroy(skel);
		fentry = false;
		goto retry;
	}
	if (err) {
		load_error("oom BPF programs", err);
		oom_bpf__destroy(skel);
		return err;
	}
	libbpf_capture_end(NULL, 0);
	err = oom_bpf__attach(skel);
	if (err) {
		err_msg("cannot attach the oom BPF programs: %s", strerror(-err));
		oom_bpf__destroy(skel);
		return err;
	}
	st->skel = skel;
	st->fentry = fentry;
	if (task_arg)
		probe_report("oom:mark_victim", "tp_btf", "victim task, trigger = current, memcgs, stack");
	else
		probe_report("oom:mark_victim", "tp_btf (pid only)",
			     "older kernel: victim details from kmsg and /proc");
	probe_report("oom:start/finish/skip_task_reaping", "tp_btf", "reap time");
	probe_report("sched:sched_process_exit", "tp_btf", "victim exit time");
	if (fentry)
		probe_report("out_of_memory/oom_badness/oom_kill_process", "fentry/fexit",
			     "oom_control, every candidate's points");
	else
		probe_report("out_of_memory/oom_badness/oom_kill_process", "not used",
			     env.no_fentry ? "--no-fentry" : "fentry refused by this kernel");
	probe_report("/dev/kmsg", st->kmsg_fd >= 0 ? "read" : "not read",
		     "gfp_mask, order, constraint, task table");
	return 0;
}

static int trace(void)
{
	struct state st = { .kmsg_fd = -1 };
	unsigned long long deadline = 0;
	long dump = 1;
	int err;

	if (!check_bpf_prereqs())
		return EXIT_RUNTIME;
	setup_libbpf_logging();
	install_signal_handlers();
	kmsg_parser_init(&st.kmsg);
	read_meminfo(&st);
	if (memcg_find_mounts(&st.mounts, NULL))
		vlog(1, "cannot read /proc/self/mountinfo: memcg paths come from kmsg only");
	st.join.dump_tasks = !read_sysctl_int("/proc/sys/vm/oom_dump_tasks", &dump) || dump != 0;
	kmsg_open(&st);
	st.join.kmsg_read = st.kmsg_fd >= 0;
	st.ksyms = ksyms_load(NULL);
	if (!st.ksyms)
		vlog(1, "cannot read /proc/kallsyms: stacks from kmsg only");
	err = open_and_load(&st);
	if (err)
		goto cleanup;
	st.rb = ring_buffer__new(bpf_map__fd(st.skel->maps.events), handle_event, &st, NULL);
	if (!st.rb) {
		err = -errno;
		err_msg("cannot create the ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	if (!st.join.dump_tasks)
		vlog(1, "vm.oom_dump_tasks=0: candidates will come from /proc");
	if (sink) {
		sink->up(sink);
		send_tally();	/* no kill yet: the families, empty */
	} else {
		/* stderr, so --json output stays pure; scripts wait for this line */
		fprintf(stderr, "Tracing OOM kills... Ctrl-C to end.\n");
	}
	if (env.duration > 0)
		deadline = now_ns() + (unsigned long long)(env.duration * 1e9);
	while (!exiting && !st.err) {
		err = ring_buffer__poll(st.rb, 100);
		if (err < 0 && err != -EINTR) {
			err_msg("ring buffer poll failed: %s", strerror(-err));
			goto cleanup;
		}
		kmsg_drain(&st);
		emit_ready(&st, false);
		if (env.count && st.printed >= env.count)
			break;
		if (deadline && now_ns() >= deadline)
			break;
	}
	/* a kill seen but not yet printed is printed with what we have */
	ring_buffer__consume(st.rb);
	kmsg_drain(&st);
	if (!env.count || st.printed < env.count)
		emit_ready(&st, true);
	err = st.err;
	if (err)
		err_msg("out of memory while tracing");
cleanup:
	if (st.skel) {
		unsigned long long drops = st.skel->bss->drops;

		if (drops)
			warn_msg("%llu events dropped (ring buffer full)", drops);
	}
	if (st.kmsg.lost)
		vlog(1, "kmsg: %llu records lost to overruns", st.kmsg.lost);
	while (st.npend)
		oom_pending_free(&st.pend[--st.npend]);
	free(st.pend);
	free(st.badness);
	ring_buffer__free(st.rb);
	oom_bpf__destroy(st.skel);
	ksyms_free(st.ksyms);
	kmsg_parser_free(&st.kmsg);
	if (st.kmsg_fd >= 0)
		close(st.kmsg_fd);
	oom_tally_free(&tally);
	return err ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_oom(int argc, char **argv)
{
	return run_oom(argc, argv, NULL);
}

int run_oom(int argc, char **argv, struct mode_sink *s)
{
	int rc = oom_parse_args(argc, argv, &env);

	if (rc)
		return cli_exit_code(rc);
	sink = s;
	if (env.rank && !sink)
		return oom_rank_report(env.json, env.all);
	return trace();
}
