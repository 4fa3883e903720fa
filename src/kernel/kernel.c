/* memleakbpf kernel: outstanding kernel allocations per kernel stack. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/bpf_util.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "lib/id_set.h"
#include "lib/metrics.h"
#include "kmem.h"
#include "kmem.skel.h"
#include "kernel/kernel_hooks.h"
#include "kernel/kernel_options.h"
#include "kernel/kmem_report.h"
#include "procfs/procfs.h"
#include "sym/ksyms.h"
#include "modes.h"
#include "probe/probe.h"

static struct kernel_env env;

/* One aggregation entry: a stack's outstanding bytes, its first allocator. */
static int add_agg(const void *key, const void *value, void *ctx)
{
	const struct kmem_agg_val *val = value;
	struct kmem_report *r = ctx;
	int err;

	if (val->count <= 0)
		return 0;
	if ((err = kmem_report_add(r, key, val->bytes, val->count)))
		return err;
	memcpy(r->rows[r->n - 1].comm, val->comm, sizeof(val->comm));
	return 0;
}

/* /proc/meminfo and /proc/slabinfo now; an unreadable (or cut short) file
 * leaves its numbers invalid (slabinfo is root-only on most kernels). */
static void kmem_sysinfo_read(struct kmem_sysinfo *out)
{
	struct meminfo mi = {};
	struct slabinfo si = {};
	bool mi_ok = false, si_ok = false, cut;
	char *buf;
	size_t len;

	if (procfs_read_file("/proc/meminfo", 1 << 20, &buf, &len, &cut) == 0) {
		mi_ok = !cut && procfs_parse_meminfo(buf, len, &mi) == 0;
		free(buf);
	}
	if (procfs_read_file("/proc/slabinfo", 16 << 20, &buf, &len, &cut) == 0) {
		si_ok = !cut && procfs_parse_slabinfo(buf, len, sysconf(_SC_PAGESIZE), &si) == 0;
		free(buf);
	}
	kmem_sysinfo_fill(out, mi_ok ? &mi : NULL, si_ok ? &si : NULL);
	meminfo_free(&mi);
	slabinfo_free(&si);
}

struct older_ctx {
	struct kmem_report *r;
	unsigned long long cutoff;
};

/* --older: one live allocation, counted when it is older than the cut-off. */
static int add_older(const void *key, const void *value, void *ctx)
{
	const struct kmem_alloc_val *aval = value;
	struct older_ctx *o = ctx;

	if (aval->ts > o->cutoff)
		return 0;
	return kmem_report_add(o->r, &aval->agg, aval->size, 1);
}

/* Pruning, so that weeks of distinct stacks do not fill --max-stacks
 * (map_prune: an entry goes on its second idle sighting in a row).  A row
 * of `agg` is idle when nothing it counted is outstanding; a stack, and a
 * fingerprint naming it, when no row refers to it any more (so a stack
 * leaves one report after its last row). */
static struct map_prune agg_prune, stack_prune, fp_prune;

static int add_ref(const void *key, const void *value, void *ctx)
{
	(void)value;
	return id_set_add(ctx, ((const struct kmem_agg_key *)key)->stack);
}

static bool agg_idle(const void *key, const void *value, void *ctx)
{
	const struct kmem_agg_val *v = value;

	(void)key;
	(void)ctx;
	return v->bytes == 0 && v->count == 0;
}

static bool stack_idle(const void *key, const void *value, void *ctx)
{
	(void)value;
	return !id_set_has(ctx, *(const __u64 *)key);
}

static bool fp_idle(const void *key, const void *value, void *ctx)
{
	(void)key;
	return !id_set_has(ctx, ((const struct kmem_fp_val *)value)->stack);
}

/* Unreadable maps are left as they are: the report still stands. */
static void prune(struct kmem_bpf *skel, struct kmem_report *r)
{
	int agg_fd = bpf_map__fd(skel->maps.agg);
	struct id_set refs = { 0 }; /* the stacks-map keys the rows of `agg` refer to */

	map_prune(agg_fd, sizeof(struct kmem_agg_key), sizeof(struct kmem_agg_val), &agg_prune,
		  agg_idle, NULL);
	if (map_for_each(agg_fd, sizeof(struct kmem_agg_key), sizeof(struct kmem_agg_val), add_ref,
			 &refs) == 0) {
		id_set_sort(&refs);
		map_prune(bpf_map__fd(skel->maps.stacks), sizeof(__u64), sizeof(struct kmem_stack),
			  &stack_prune, stack_idle, &refs);
		map_prune(bpf_map__fd(skel->maps.fp_cache), sizeof(struct kmem_fp_key),
			  sizeof(struct kmem_fp_val), &fp_prune, fp_idle, &refs);
	}
	id_set_free(&refs);
	r->stacks_pruned = stack_prune.pruned;
	r->stats[KMEM_ST_PRUNE_RACE] += agg_prune.races + stack_prune.races;
}

static int collect(struct kmem_bpf *skel, const struct kernel_hook *hooks, int nhooks,
		   struct kmem_report *r)
{
	int agg_fd = bpf_map__fd(skel->maps.agg), i, err;
	struct kmem_agg_val val;
	size_t n;

	kmem_report_reset(r);
	/* The counters are news, not the report: unreadable, they read 0. */
	map_percpu_sums(bpf_map__fd(skel->maps.stats), r->stats, KMEM_NR_STATS);
	prune(skel, r);

	if (r->older <= 0) {
		err = map_for_each(agg_fd, sizeof(struct kmem_agg_key), sizeof(val), add_agg, r);
	} else {
		unsigned long long now = now_ns(), age = (unsigned long long)(r->older * 1e9);
		/* Older than the machine's uptime: nothing can qualify. */
		struct older_ctx o = { r, now > age ? now - age : 0 };

		err = map_for_each(bpf_map__fd(skel->maps.allocs), sizeof(struct kmem_alloc_key),
				   sizeof(struct kmem_alloc_val), add_older, &o);
	}
	if (err)
		return err;
	kmem_report_finish(r);
	/* Names (first allocator, cache) live in the aggregation entry. */
	for (n = 0; n < r->n; n++) {
		if (bpf_map_lookup_elem(agg_fd, &r->rows[n].key, &val))
			continue;
		memcpy(r->rows[n].comm, val.comm, sizeof(val.comm));
		memcpy(r->rows[n].cache_name, val.cache_name, sizeof(val.cache_name));
		r->rows[n].comm[KMEM_COMM_LEN - 1] = '\0';
		r->rows[n].cache_name[KMEM_CACHE_NAME_LEN - 1] = '\0';
		r->rows[n].pid = val.pid;
	}

	for (i = 0; i < nhooks && r->nmisses < KMEM_MAX_HOOKS; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!hooks[i].used)
			continue;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(hooks[i].prog), &info, &len))
			continue;
		r->misses[r->nmisses].hook = hooks[i].name;
		r->misses[r->nmisses].misses = info.recursion_misses;
		r->nmisses++;
	}
	kmem_sysinfo_read(&r->now);
	return 0;
}

int cmd_kernel(int argc, char **argv)
{
	return run_kernel(argc, argv, NULL);
}

int run_kernel(int argc, char **argv, struct mode_sink *sink)
{
	struct kmem_report rep = {};
	struct kmem_bpf *skel = NULL;
	struct ksyms *ks = NULL;
	struct kernel_hook hooks[KERNEL_MAX_HOOKS];
	unsigned int missing = 0;
	unsigned long long start, printed = 0;
	int nhooks = 0, err, i, ret = EXIT_RUNTIME;
	char kinds[128] = "";

	err = kernel_parse_args(argc, argv, &env);
	if (err)
		return cli_exit_code(err);
	if (!check_bpf_prereqs())
		return EXIT_RUNTIME;
	setup_libbpf_logging();
	if (env.pid && kill(env.pid, 0) != 0 && errno == ESRCH) {
		err_msg("no process with PID %u", env.pid);
		return EXIT_RUNTIME;
	}
	/* The hooks read the 6.1+ prototypes ("mm/slab_common: unify NUMA and
	 * UMA version of tracepoints" gave kmem_cache_alloc its cache); an
	 * older kernel would load them and read garbage. */
	if ((env.kinds & (1U << KMEM_CACHE)) &&
	    !probe_tp_btf_arg_struct("kmem_cache_alloc", 2, "kmem_cache")) {
		err_msg("kmem:kmem_cache_alloc has no struct kmem_cache argument on this kernel "
			"(before Linux 6.1?): not supported");
		return EXIT_RUNTIME;
	}
	if ((env.kinds & (1U << KMEM_PAGE)) && !probe_tp_btf_arg_struct("mm_page_alloc", 0, "page")) {
		err_msg("kmem:mm_page_alloc has no struct page argument on this kernel: "
			"--pages not supported");
		return EXIT_RUNTIME;
	}
	skel = kmem_bpf__open();
	if (!skel) {
		err_msg("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	skel->rodata->target_tgid = env.pid;
	skel->rodata->self_tgid = getpid();
	skel->rodata->kind_mask = env.kinds;
	skel->rodata->min_size = env.min_size;
	skel->rodata->max_size = env.max_size;
	skel->rodata->sample_every = env.sample;
	skel->rodata->vmap_guard = sysconf(_SC_PAGESIZE);
	skel->rodata->stack_cache = !env.exact_stacks;
	if ((err = map_set_size(skel->maps.allocs, env.max_allocs)) ||
	    (err = map_set_size(skel->maps.stacks, env.max_stacks)) ||
	    /* one stack may hold several kinds or caches */
	    (err = map_set_size(skel->maps.agg, env.max_stacks * 2)) ||
	    /* fingerprints outnumber stacks: one per (site, depth, syscall) */
	    (err = map_set_size(skel->maps.fp_cache, env.max_stacks * 4)))
		goto cleanup;

	nhooks = kernel_hooks_select(skel, hooks, &env.kinds, env.exact_stacks, &missing);
	if (nhooks < 0)
		goto cleanup;
	skel->rodata->kind_mask = env.kinds;
	if (!env.kinds) {
		err_msg("none of the selected kinds can be traced on this kernel (-v says why)");
		goto cleanup;
	}

	libbpf_capture_begin();
	err = kmem_bpf__load(skel);
	if (err) {
		load_error("BPF programs", err);
		goto cleanup;
	}
	libbpf_capture_end(NULL, 0);
	kmem_sysinfo_read(&rep.start);
	if (kernel_hooks_attach(hooks, nhooks))
		goto cleanup;
	/* After attaching, so our own programs (frames of allocations made
	 * by BPF, e.g. task storage) are in kallsyms under their names. */
	ks = ksyms_load(NULL);
	if (!ks) {
		err_msg("cannot read /proc/kallsyms: %s", strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < KMEM_NR_KINDS; i++)
		if (env.kinds & (1U << i))
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 kinds[0] ? ", " : "", kmem_kind_name(i));

	rep.kinds = env.kinds;
	rep.top = env.top;
	rep.older = env.older;
	rep.sample = env.sample;
	install_signal_handlers();
	start = now_ns();
	for (i = 0; i < KMEM_NR_KINDS; i++)
		if (missing & (1U << i))
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 strchr(kinds, ';') ? ", " : "; not traceable on this kernel: ",
				 kmem_kind_name(i));
	vlog(0, "tracing kernel allocations (%s)%s... Ctrl-C to end", kinds,
	     env.pid ? " by the given PID" : "");
	if (sink)
		sink->up(sink);

	while (!exiting) {
		unsigned long long deadline = now_ns() + (unsigned long long)(env.interval * 1e9);
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		while (!exiting && now_ns() < deadline)
			nanosleep(&ts, NULL);
		rep.elapsed = (now_ns() - start) / 1e9;
		rep.timestamp = time(NULL);
		rep.final = exiting || (env.count && printed + 1 >= env.count);
		err = collect(skel, hooks, nhooks, &rep);
		/* Metrics name no stack: nothing to resolve for serve. */
		if (!err && !sink)
			err = kmem_report_resolve(&rep, bpf_map__fd(skel->maps.stacks), ks);
		if (err) {
			err_msg("cannot read the BPF maps: %s", strerror(-err));
			goto cleanup;
		}
		if (sink) {
			struct metrics m = {};

			kmem_metrics(&rep, sink->top, &m);
			sink->report(sink, &m);
			continue;
		}
		if (env.json)
			kmem_print_json(&rep, stdout);
		else
			kmem_print_text(&rep, stdout);
		/* An output file the user asked for and cannot get ends the
		 * run (exit 1), as an unwritable stdout does. */
		if (env.pprof && (err = kmem_report_pprof(&rep, env.pprof))) {
			err_msg("--pprof %s: %s", env.pprof, strerror(-err));
			goto cleanup;
		}
		if (env.svg && (err = kmem_report_svg(&rep, env.svg))) {
			err_msg("--svg %s: %s", env.svg, strerror(-err));
			goto cleanup;
		}
		if (env.count && ++printed >= env.count)
			break;
	}
	ret = EXIT_OK;
cleanup:
	kmem_bpf__destroy(skel);
	map_prune_free(&agg_prune);
	map_prune_free(&stack_prune);
	map_prune_free(&fp_prune);
	kmem_report_free(&rep);
	ksyms_free(ks);
	return ret;
}
