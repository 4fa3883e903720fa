/* memleakbpf user mode: outstanding allocations of one process per call
 * stack, from malloc-family uprobes and mmap/munmap/mremap/brk tracepoints.
 * Growth mode (src/growth/) runs the same loop with no allocator probe:
 * pages first written, per stack, from page faults (user_run). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/bpf_util.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "lib/metrics.h"
#include "memleak.skel.h"
#include "modes.h"
#include "probe/probe.h"
#include "probe/uprobe_multi.h"
#include "procfs/procfs.h"
#include "user/user_hooks.h"
#include "user/user_modules.h"
#include "user/user_options.h"
#include "user/user_report.h"
#include "user/user_target.h"

static struct user_env env;
/* growth: fexit on do_huge_pmd_anonymous_page loads (a huge page's first
 * write counts 2 MiB) */
static bool huge_hook;
static bool export_failed; /* a --pprof or --svg file could not be written */
/* serve: each report goes to it as metrics, none printed */
static struct mode_sink *sink;

/* ---- hooks ---------------------------------------------------------------- */

static struct alloc_module mods[USER_MAX_ALLOCATORS];

/* Every allocator module's probe sites; -v lists them, per module, with
 * the reason for each function not probed there. */
static int locate_allocators(const struct target *t, int *n)
{
	const char *prefix = env.symbol_prefix;
	char sym[80];
	int k, err;

	for (k = 0; k < t->nallocators; k++) {
		struct alloc_module *m = &mods[k];
		const char *slash = strrchr(t->allocators[k], '/');

		snprintf(m->path, sizeof(m->path), "%s", t->allocators[k]);
		m->name = slash ? slash + 1 : m->path;
		err = user_hooks_locate(m, strcmp(m->path, t->exe) == 0, prefix);
		if (err)
			return err;
		if (!user_hooks_hooked(m, "malloc") || !user_hooks_hooked(m, "free")) {
			err_msg("allocator %s has no %s%s()%s", m->path, prefix ? prefix : "",
				user_hooks_hooked(m, "malloc") ? "free" : "malloc",
				prefix ? "" : " (try --lib or --symbol-prefix)");
			return -ENOENT;
		}
	}
	*n = t->nallocators;
	snprintf(sym, sizeof(sym), "%smalloc", prefix ? prefix : "");
	if (prefix && !user_hooks_probes_symbol(mods, *n, sym)) {
		err_msg("the target has no %s() in any allocator module (%d searched)", sym, *n);
		return -ENOENT;
	}
	user_hooks_report(mods, *n);
	return 0;
}

/* Transparent huge pages for every anonymous mapping ("always"; with
 * "madvise" only for regions madvised so)?  The sysfs file names the mode
 * in brackets: "always [madvise] never". */
static bool thp_always(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "[always]") != NULL;
}

static int attach_tracepoints(struct memleak_bpf *skel, struct user_links *links)
{
	struct bpf_program *sys[] = {
		skel->progs.sys_enter_mmap, skel->progs.sys_exit_mmap,
		skel->progs.sys_enter_munmap, skel->progs.sys_exit_munmap,
		skel->progs.sys_enter_mremap, skel->progs.sys_exit_mremap,
		skel->progs.sys_enter_brk, skel->progs.sys_exit_brk,
	};
	size_t i;
	int err;

	if (env.growth) {
		struct bpf_program *g[] = {
			skel->progs.page_fault, skel->progs.sys_enter_madvise, skel->progs.sys_exit_madvise,
		};

		if (!ensure_tracefs()) {
			err_msg("tracefs is not available and cannot be mounted: growth mode's tracepoints "
				"need it");
			return -ENOENT;
		}
		for (i = 0; i < ARRAY_SIZE(g); i++) {
			err = user_links_keep(links, bpf_program__attach(g[i]));
			if (err) {
				err_msg("cannot attach tracepoint %s: %s%s", bpf_program__section_name(g[i]),
					strerror(-err),
					g[i] == skel->progs.page_fault
						? " (exceptions:page_fault_user exists on x86 only)"
						: "");
				return err;
			}
			probe_report(bpf_program__section_name(g[i]) + strlen("tracepoint/"), "tracepoint",
				     NULL);
		}
		if (huge_hook) {
			err = user_links_keep(links, bpf_program__attach(skel->progs.huge_fault_exit));
			if (err) {
				err_msg("cannot attach fexit/do_huge_pmd_anonymous_page: %s", strerror(-err));
				return err;
			}
			probe_report("transparent huge pages", "fexit/do_huge_pmd_anonymous_page", NULL);
		} else {
			probe_report("transparent huge pages", "counted as 4 KiB",
				     "fexit on do_huge_pmd_anonymous_page does not load here");
			if (thp_always())
				warn_msg("transparent huge pages are enabled and fexit does not load on "
					 "this kernel: a huge page's first write counts 4 KiB, not 2 MiB");
		}
	}
	err = user_links_keep(links, bpf_program__attach(skel->progs.on_exec));
	if (err) {
		err_msg("cannot attach tp_btf/sched_process_exec: %s", strerror(-err));
		return err;
	}
	probe_report("exec", "tp_btf/sched_process_exec", NULL);
	if (!env.trace_mmap) {
		probe_report("mmap/munmap/mremap/brk", "off", "--no-mmap");
		return 0;
	}
	if (!ensure_tracefs()) {
		err_msg("tracefs is not available and cannot be mounted: the mmap/brk tracepoints need it "
			"(or run with --no-mmap)");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(sys); i++) {
		err = user_links_keep(links, bpf_program__attach(sys[i]));
		if (err) {
			err_msg("cannot attach tracepoint %s: %s (or run with --no-mmap)",
				bpf_program__section_name(sys[i]), strerror(-err));
			return err;
		}
		probe_report(bpf_program__section_name(sys[i]) + strlen("tracepoint/"), "tracepoint", NULL);
	}
	return 0;
}

/* ---- main loop ------------------------------------------------------------ */

static int on_event(void *ctx, void *data, size_t len)
{
	if (len >= sizeof(struct ml_module_event))
		umodules_on_event(ctx, data);
	else if (len >= sizeof(struct ml_exec_mapped) && *(__u32 *)data == ML_EVENT_EXEC_MAPPED)
		umodules_exec_mapped(ctx, ((struct ml_exec_mapped *)data)->start,
				     ((struct ml_exec_mapped *)data)->end);
	else if (len >= sizeof(__u32) && *(__u32 *)data == ML_EVENT_MAPS_SNAPSHOT)
		umodules_snapshot(ctx);
	return 0;
}

static struct map_prune stack_prune;

static bool stack_idle(const void *key, const void *value, void *ctx)
{
	const struct ml_stack *s = value;

	(void)key;
	(void)ctx;
	return s->bytes == 0 && s->count == 0;
}

/* Growth mode's resident set: at the start, at the last report, now. */
static struct rss_seen {
	long long start, prev;
} rss_seen = { -1, -1 };
static struct stack_hist hist; /* growth: stacks' bytes at the last report */

static void rss_sample(pid_t pid, struct report_opts *o)
{
	struct proc_record rec;

	o->rss = -1;
	o->rss_prev = rss_seen.prev;
	o->rss_start = rss_seen.start;
	if (procfs_read_proc_record("/proc", pid, &rec) || !rec.has_mm)
		return; /* gone: the report says so, the pages are its totals */
	o->rss = (long long)rec.rss;
	if (rss_seen.start < 0)
		rss_seen.start = o->rss_start = o->rss;
	rss_seen.prev = o->rss;
}

/* final: no report follows; exited: the target is gone; status: the -c
 * target's wait status once it has exited, else -1. */
static int report(struct memleak_bpf *skel, struct umodules *ms, struct symcache *cache,
		  const struct target *t, bool final, bool exited, int status)
{
	struct report_opts o = {
		.exited = status >= 0,
		.exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		.exit_signal = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		.pid = t->pid,
		.comm = t->comm,
		.exe = t->exe,
		.top = env.top,
		.older_ns = env.older * 1e9,
		.sample_every = env.sample,
		.format = env.format,
		.timestamp = time(NULL),
		.final = final,
		.target_exited = exited,
		.growth = env.growth,
		.hist = env.growth ? &hist : NULL,
	};
	struct user_report r;
	int err;

	if (env.growth)
		rss_sample(t->pid, &o);

	/* Collect: the module registry up to date with the target's mappings
	 * (absolute frames are keyed by it), while the target may still live. */
	umodules_snapshot(ms);
	/* Stacks that held nothing over a whole interval leave the map, so a
	 * long run does not fill --max-stacks; unreadable, the map is left as
	 * it is (the report still stands). */
	map_prune(bpf_map__fd(skel->maps.stacks), sizeof(__u64), sizeof(struct ml_stack),
		  &stack_prune, stack_idle, NULL);
	err = user_report_build(&r, skel, ms, cache, &o);
	if (err) {
		err_msg("cannot read the maps for a report: %s", strerror(-err));
		return err;
	}
	r.stacks_pruned = stack_prune.pruned;
	r.drops[ML_DROP_PRUNE_RACE] += stack_prune.races;
	if (sink) {
		struct metrics m = {};

		user_metrics(&r, &o, &m);
		sink->report(sink, &m);
		user_report_free(&r);
		return 0;
	}
	if (user_out_lock >= 0) /* several tracers, one stdout: whole reports */
		flock(user_out_lock, LOCK_EX);
	user_report_print(&r, &o, stdout);
	if (user_out_lock >= 0)
		flock(user_out_lock, LOCK_UN);
	/* A file that cannot be written ends the run like an unreadable
	 * stdout (exit 1): the user asked for it and would find nothing. */
	if (env.pprof && (err = user_report_pprof(&r, &o, env.pprof)))
		err_msg("--pprof %s: %s", env.pprof, strerror(-err));
	else if (env.svg && (err = user_report_svg(&r, &o, env.svg)))
		err_msg("--svg %s: %s", env.svg, strerror(-err));
	if (err) {
		export_failed = true;
		exiting = 1;
	}
	user_report_free(&r);
	return 0;
}

int cmd_user(int argc, char **argv)
{
	return run_user(argc, argv, NULL);
}

int run_user(int argc, char **argv, struct mode_sink *s)
{
	struct user_env e;
	int err = user_parse_args(argc, argv, &e);

	if (err)
		return cli_exit_code(err);
	return user_run(&e, s);
}

int user_run(const struct user_env *e, struct mode_sink *s)
{
	struct memleak_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct symcache *cache = NULL;
	struct user_links links = { .n = 0 };
	struct umodules ms = {};
	struct target t = { .release_fd = -1, .exec_err_fd = -1, .pidfd = -1 };
	bool have_modules = false, target_running = false, multi;
	unsigned long long next_report, start = now_ns();
	unsigned long long reports = 0;
	int err, status = 0, i, nmods = 0;

	if (e->npids > 1 || e->cgroup)
		return user_run_many(e, s);
	env = *e;
	sink = s;
	rss_seen = (struct rss_seen){ -1, -1 };
	t.no_allocators = env.growth;
	setup_libbpf_logging();
	if (!check_bpf_prereqs())
		return EXIT_RUNTIME;
	/* Signals first: a Ctrl-C during set-up still tears everything down. */
	install_signal_handlers();

	err = env.command ? target_spawn(&t, env.command, env.lib, env.symbol_prefix)
			  : target_attach_pid(&t, env.pid, env.lib, env.symbol_prefix);
	if (err)
		goto cleanup;
	vlog(1, "target pid %d (%s), executable %s, %d allocator module%s", t.pid, t.comm, t.exe,
	     t.nallocators, t.nallocators == 1 ? "" : "s");
	for (i = 0; i < t.nallocators; i++)
		vlog(1, "allocator module %s", t.allocators[i]);
	err = env.growth ? 0 : locate_allocators(&t, &nmods);
	if (err)
		goto cleanup;
	/* -o: after the fork, so a -c child keeps the caller's stdout and its
	 * output stays apart from the reports. */
	if (env.output) {
		int fd = open(env.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			err = -errno;
			err_msg("-o %s: %s", env.output, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto cleanup;
		}
		close(fd);
	}

	skel = memleak_bpf__open();
	if (!skel) {
		err = -errno;
		err_msg("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	skel->rodata->target_tgid = t.pid;
	skel->rodata->min_size = env.min_size;
	skel->rodata->max_size = env.max_size;
	skel->rodata->sample_every = env.sample;
	skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	skel->rodata->trace_mmap = env.trace_mmap;
	skel->rodata->max_depth = env.max_depth;
	skel->rodata->record_time = env.older > 0;
	skel->rodata->growth = env.growth;
	/* Benchmark floor (scripts/bench-growth): the same hooks, empty. */
	skel->rodata->empty_progs = env_flag("MEMLEAKBPF_EMPTY_PROGS");
	if ((err = map_set_size(skel->maps.allocs, env.max_allocs)) ||
	    (err = map_set_size(skel->maps.stacks, env.max_stacks)) ||
	    (err = map_set_size(skel->maps.regions, env.max_regions)) ||
	    (err = map_set_size(skel->maps.rows, env.unwind_rows)))
		goto cleanup;
	if (!env.trace_mmap) {
		struct bpf_program *p;

		bpf_object__for_each_program(p, skel->obj)
			if (strncmp(bpf_program__section_name(p), "tracepoint/syscalls/", 20) == 0)
				bpf_program__set_autoload(p, false);
	}
	/* Each mode's own hooks: growth has no allocator probe, user mode
	 * no fault or madvise program. */
	bpf_program__set_autoload(skel->progs.alloc_enter_any, !env.growth);
	bpf_program__set_autoload(skel->progs.alloc_exit, !env.growth);
	bpf_program__set_autoload(skel->progs.page_fault, env.growth);
	bpf_program__set_autoload(skel->progs.sys_enter_madvise, env.growth);
	bpf_program__set_autoload(skel->progs.sys_exit_madvise, env.growth);
	huge_hook = env.growth && probe_fentry("do_huge_pmd_anonymous_page");
	bpf_program__set_autoload(skel->progs.huge_fault_exit, huge_hook);
	/* Without the task_vma iterator (before 5.12) modules are keyed as
	 * /proc shows them: right except for overlay layers. */
	if (!probe_btf_struct("bpf_iter__task_vma"))
		bpf_program__set_autoload(skel->progs.exec_vmas, false);
	multi = !env.growth && probe_uprobe_multi();
	if (multi) {
		bpf_program__set_expected_attach_type(skel->progs.alloc_enter_any, ML_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.alloc_exit, ML_BPF_TRACE_UPROBE_MULTI);
	}
	libbpf_capture_begin();
	err = memleak_bpf__load(skel);
	if (err) {
		load_error("BPF programs", err);
		goto cleanup;
	}
	libbpf_capture_end(NULL, 0);
	err = umodules_init(&ms, skel, t.pid);
	if (err)
		goto cleanup;
	have_modules = true;
	/* Rows for the modules we know now; later ones (dlopen) arrive as
	 * events and use frame pointers until their rows are in. */
	if (t.spawned) {
		for (i = 0; i < t.nmodules; i++)
			umodules_preload(&ms, t.modules[i]);
	} else {
		/* -p: the files it has mapped, as the kernel references them
		 * (paths through /proc/PID/root give an overlay's identity). */
		umodules_snapshot(&ms);
		umodules_settle(&ms);
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &ms, NULL);
	cache = symcache_new();
	if (!rb || !cache) {
		err = -ENOMEM;
		err_msg("cannot create the event buffer");
		goto cleanup;
	}
	err = env.growth ? 0 : user_hooks_attach(skel, mods, nmods, t.pid, multi, &links);
	if (!err)
		err = attach_tracepoints(skel, &links);
	if (err)
		goto cleanup;
	if (!env.growth)
		umodules_allocators_probed(&ms, t.allocators, t.nallocators, env.symbol_prefix);
	if (!t.spawned)
		skel->bss->armed = 1; /* -c arms at the child's exec */
	err = target_release(&t);
	if (err)
		goto cleanup;
	target_running = true;
	if (env.growth) { /* the RSS growth is counted from here */
		struct report_opts o;

		rss_sample(t.pid, &o);
	}
	vlog(1, "tracing started in %.0f ms", (now_ns() - start) / 1e6);
	if (sink)
		sink->up(sink);
	else if (env.format == FORMAT_TEXT && !env.command)
		fprintf(stderr, "Tracing %spid %d (%s)... Hit Ctrl-C to end.\n",
			env.growth ? "the resident growth of " : "", t.pid, t.comm);

	next_report = now_ns() + env.interval * 1e9;
	while (!exiting) {
		err = ring_buffer__poll(rb, 100);
		if (err == -EINTR) {
			err = 0;
			break;
		}
		if (err < 0) {
			err_msg("ring buffer poll: %s", strerror(-err));
			goto cleanup;
		}
		err = 0;
		/* after the batch: opening files came first, keying them now */
		umodules_settle(&ms);
		if (!target_alive(&t, &status)) {
			target_running = false;
			break;
		}
		/* -c reports at exit unless an interval was asked for. */
		if ((env.interval_given || !env.command) && now_ns() >= next_report) {
			ring_buffer__consume(rb);
			umodules_settle(&ms);
			if (report(skel, &ms, cache, &t, env.count && reports + 1 >= env.count, false,
				   -1) == 0)
				reports++;
			next_report += env.interval * 1e9;
			if (env.count && reports >= env.count)
				goto cleanup;
		}
	}
	ring_buffer__consume(rb);
	umodules_settle(&ms);
	/* The final report: Ctrl-C, SIGTERM, or the target's exit. */
	/* Only a -c child's status is ours to know (waitpid). */
	report(skel, &ms, cache, &t, true, !target_running,
	       !target_running && env.command ? status : -1);
	if (!target_running && env.command && WIFSIGNALED(status))
		vlog(0, "%s was killed by signal %d (%s)", t.comm, WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	else if (!target_running && env.command && WEXITSTATUS(status))
		vlog(0, "%s exited with status %d", t.comm, WEXITSTATUS(status));
	else if (!target_running && t.pid && verbosity)
		vlog(1, "pid %d exited", t.pid);
cleanup:
	/* Probes go first so nothing fires into freed state. */
	user_links_destroy(&links);
	ring_buffer__free(rb);
	symcache_free(cache);
	map_prune_free(&stack_prune);
	stack_hist_free(&hist);
	if (have_modules)
		umodules_free(&ms);
	memleak_bpf__destroy(skel);
	target_cleanup(&t, true);
	release_tracefs();
	return err || export_failed ? EXIT_RUNTIME : EXIT_OK;
}
