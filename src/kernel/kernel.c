/* memleakbpf kernel: outstanding kernel allocations per kernel stack. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/common.h"
#include "kmem.h"
#include "kmem.skel.h"
#include "kernel/kmem_report.h"
#include "procfs/procfs.h"
#include "sym/ksyms.h"
#include "modes.h"
#include "probe/probe.h"

#define DEFAULT_KINDS ((1U << KMEM_KMALLOC) | (1U << KMEM_CACHE) | (1U << KMEM_VMALLOC) | \
		       (1U << KMEM_PERCPU))

static struct env {
	double interval;
	unsigned long long count; /* 0: until Ctrl-C */
	unsigned int pid;
	unsigned int top;
	unsigned long long min_size, max_size;
	double older;
	unsigned int kinds;
	unsigned int sample;
	unsigned long long max_allocs, max_stacks;
	bool json;
	bool exact_stacks;
} env = {
	.interval = 5,
	.top = 10,
	.max_size = ~0ULL,
	.kinds = DEFAULT_KINDS,
	.sample = 1,
	.max_allocs = 262144,
	.max_stacks = 16384,
};

enum {
	OPT_OLDER = 0x100,
	OPT_JSON,
	OPT_PAGES,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_EXACT_STACKS,
};

static const char usage[] =
"Usage: memleakbpf kernel [OPTIONS] [INTERVAL [COUNT]]\n"
"\n"
"Outstanding kernel allocations (kmalloc, kmem_cache, vmalloc, percpu, and\n"
"pages with --pages) per kernel call stack, every INTERVAL seconds (default\n"
"5), COUNT times or until Ctrl-C.  Only allocations made after start count:\n"
"memory allocated before is never reported.\n"
"\n"
"Options:\n"
"  -p, --pid PID        only allocations made by process PID\n"
"  -T, --top N          stacks per report (default 10, 0: all)\n"
"  -z, --min-size SIZE  only allocations of at least SIZE bytes (4k, 1M)\n"
"  -Z, --max-size SIZE  only allocations of at most SIZE bytes\n"
"      --older SEC      only allocations older than SEC seconds\n"
"  -k, --kind LIST      kinds to trace, comma-separated: kmalloc, kmem_cache,\n"
"                       vmalloc, percpu, page (default: all but page)\n"
"      --pages          also trace page allocations (same as adding 'page')\n"
"  -s, --sample N       track one allocation in N (default 1: all)\n"
"      --max-allocs N   live allocations tracked at once (default 262144)\n"
"      --max-stacks N   distinct stacks kept (default 16384)\n"
"      --exact-stacks   walk the stack at every allocation instead of reusing\n"
"                       the stack of an identical call site, depth and syscall\n"
"      --json           one JSON object per report\n"
"  -v, --verbose        hooks in use and refused (-vv: libbpf debug)\n"
"  -h, --help           this help\n"
"\n"
"Examples:\n"
"  memleakbpf kernel                   # every 5 s, top 10 stacks\n"
"  memleakbpf kernel -T 5 10 6         # every 10 s, 6 reports\n"
"  memleakbpf kernel --kind kmem_cache --older 60\n"
"  memleakbpf kernel -p 1234 --json 1  # what process 1234 makes the kernel hold\n"
"  memleakbpf kernel --pages -s 10     # pages too, one in ten tracked\n";

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 'T' },
		{ "min-size", required_argument, NULL, 'z' },
		{ "max-size", required_argument, NULL, 'Z' },
		{ "older", required_argument, NULL, OPT_OLDER },
		{ "kind", required_argument, NULL, 'k' },
		{ "pages", no_argument, NULL, OPT_PAGES },
		{ "sample", required_argument, NULL, 's' },
		{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
		{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "exact-stacks", no_argument, NULL, OPT_EXACT_STACKS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned long long v;
	bool pages = false;
	char bad[64];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:T:z:Z:k:s:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_u64(optarg, &v) || v == 0 || v > 0x7fffffff) {
				err_msg("invalid PID '%s'", optarg);
				return -1;
			}
			env.pid = v;
			break;
		case 'T':
			if (!parse_u64(optarg, &v) || v > 1000000) {
				err_msg("invalid --top '%s': a count from 0 to 1000000", optarg);
				return -1;
			}
			env.top = v;
			break;
		case 'z':
		case 'Z':
			if (!parse_size(optarg, &v)) {
				err_msg("invalid size '%s' (examples: 64, 4k, 1M)", optarg);
				return -1;
			}
			if (c == 'z')
				env.min_size = v;
			else
				env.max_size = v;
			break;
		case OPT_OLDER:
			if (!parse_seconds(optarg, &env.older)) {
				err_msg("invalid --older '%s': seconds, 0 or more", optarg);
				return -1;
			}
			break;
		case 'k':
			if (!kmem_parse_kinds(optarg, &env.kinds, bad, sizeof(bad))) {
				err_msg("unknown kind '%s' (kinds: kmalloc, kmem_cache, vmalloc, "
					"percpu, page)", bad);
				return -1;
			}
			break;
		case OPT_PAGES:
			pages = true;
			break;
		case 's':
			if (!parse_u64(optarg, &v) || v == 0 || v > 1000000) {
				err_msg("invalid --sample '%s': 1 to 1000000", optarg);
				return -1;
			}
			env.sample = v;
			break;
		case OPT_MAX_ALLOCS:
		case OPT_MAX_STACKS:
			if (!parse_u64(optarg, &v) || v < 16 || v > (1ULL << 24)) {
				err_msg("invalid map size '%s': 16 to 16777216", optarg);
				return -1;
			}
			if (c == OPT_MAX_ALLOCS)
				env.max_allocs = v;
			else
				env.max_stacks = v;
			break;
		case OPT_JSON:
			env.json = true;
			break;
		case OPT_EXACT_STACKS:
			env.exact_stacks = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'memleakbpf kernel --help'.\n");
			return -1;
		}
	}
	if (pages)
		env.kinds |= 1U << KMEM_PAGE;
	if (env.min_size > env.max_size) {
		err_msg("--min-size is larger than --max-size");
		return -1;
	}
	if (optind < argc) {
		if (!parse_seconds(argv[optind], &env.interval) || env.interval < 0.1) {
			err_msg("invalid interval '%s': seconds, at least 0.1", argv[optind]);
			return -1;
		}
		optind++;
	}
	if (optind < argc) {
		if (!parse_u64(argv[optind], &env.count) || env.count == 0) {
			err_msg("invalid count '%s': a positive number of reports", argv[optind]);
			return -1;
		}
		optind++;
	}
	if (optind < argc) {
		err_msg("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* How vmalloc is followed, best first: exact hooks on the allocator and
 * vfree (fexit/fentry, or kprobes where the trampoline cannot take
 * __vmalloc_node_range's 9 arguments, 6.1), else every vmap area by its
 * tracepoints (5.19+; an approximation, see the man page), else not at all. */
enum vm_method { VM_ANY, VM_FENTRY, VM_KPROBE, VM_VMAP_TP, VM_NONE };

static const char *const vm_method_names[] = {
	[VM_FENTRY] = "fexit/fentry", [VM_KPROBE] = "kretprobe/kprobe",
	[VM_VMAP_TP] = "vmap-area tracepoints (approximate)", [VM_NONE] = "unavailable",
};

/* One hook: the program, the kinds it serves, the vmalloc method it belongs
 * to (VM_ANY: not a vmalloc hook), the tracepoint it needs (NULL: none) and
 * where its link goes. */
struct hook {
	const char *name;
	struct bpf_program *prog;
	struct bpf_link **link;
	unsigned int kinds;
	enum vm_method vm;
	const char *tp;
	const char *kfunc;	/* kprobes: the function attached to */
	bool used;
};

#define SLAB_KINDS ((1U << KMEM_KMALLOC) | (1U << KMEM_CACHE))
#define ALL_KINDS ((1U << KMEM_NR_KINDS) - 1)
#define VM_KIND (1U << KMEM_VMALLOC)
#define HOOK(n, field, k, tpname) \
	{ n, skel->progs.field, &skel->links.field, k, VM_ANY, tpname, NULL, false }
#define VMHOOK(n, field, method, tpname) \
	{ n, skel->progs.field, &skel->links.field, VM_KIND, method, tpname, NULL, false }

/* The vmalloc method and its allocator function name (the 6.10+ _noprof
 * rename, "mm: vmalloc: enable memory allocation profiling", or not). */
static enum vm_method choose_vmalloc(const char **valloc)
{
	static const char *const names[] = { "__vmalloc_node_range_noprof",
					      "__vmalloc_node_range" };
	size_t i;

	*valloc = probe_fentry_any(names, ARRAY_SIZE(names));
	if (*valloc && probe_fentry("vfree"))
		return VM_FENTRY;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (probe_kprobe(names[i]) && probe_kprobe("vfree")) {
			*valloc = names[i];
			return VM_KPROBE;
		}
	}
	*valloc = NULL;
	if (probe_tp_btf("alloc_vmap_area") && probe_tp_btf("free_vmap_area_noflush"))
		return VM_VMAP_TP;
	return VM_NONE;
}

/* "raw_tp/kmalloc" -> "raw_tp": the mechanism, from the program itself so
 * that -v cannot disagree with it. */
static void report_mechanism(const struct hook *h, const char *why)
{
	const char *sec = bpf_program__section_name(h->prog);
	char how[32];

	snprintf(how, sizeof(how), "%.*s", (int)strcspn(sec, "/"), sec);
	probe_report(h->name, how, why);
}

/* Decide every hook: a kind whose tracepoint this kernel lacks is dropped
 * with a reason rather than sinking the whole object. */
static int select_hooks(struct kmem_bpf *skel, struct hook *hooks, int nhooks,
			unsigned int *missing)
{
	enum vm_method vm = VM_NONE;
	const char *valloc = NULL;
	int i;

	*missing = 0;
	for (i = 0; i < nhooks; i++)
		if (hooks[i].tp && (hooks[i].kinds & env.kinds) && hooks[i].vm == VM_ANY &&
		    hooks[i].kinds != ALL_KINDS && !probe_tp_btf(hooks[i].tp)) {
			vlog(1, "hook %s: missing (no tracepoint %s in this kernel)", hooks[i].name,
			     hooks[i].tp);
			*missing |= hooks[i].kinds & env.kinds;
		}
	if (env.kinds & VM_KIND) {
		vm = choose_vmalloc(&valloc);
		vlog(1, "vmalloc: %s%s%s", vm_method_names[vm], valloc ? " on " : "",
		     valloc ? valloc : "");
		if (vm == VM_NONE)
			*missing |= VM_KIND;
	}
	env.kinds &= ~*missing;
	for (i = 0; i < nhooks; i++) {
		struct hook *h = &hooks[i];
		int err = 0;

		h->used = (h->kinds & env.kinds) != 0;
		if (h->used && strncmp(h->name, "sys_", 4) == 0 && env.exact_stacks) {
			bpf_program__set_autoload(h->prog, false);
			h->used = false;
			vlog(1, "hook %s: off (--exact-stacks)", h->name);
			continue;
		}
		if (h->used && h->vm != VM_ANY && h->vm != vm) {
			bpf_program__set_autoload(h->prog, false);
			h->used = false;
			vlog(1, "hook %s: off (vmalloc by %s)", h->name, vm_method_names[vm]);
			continue;
		}
		bpf_program__set_autoload(h->prog, h->used);
		if (!h->used) {
			vlog(1, "hook %s: off (kind not selected or unavailable)", h->name);
			continue;
		}
		/* The allocator's name is the kernel's (_noprof or not). */
		if (h->vm == VM_FENTRY && strncmp(h->name, "fexit", 5) == 0)
			err = bpf_program__set_attach_target(h->prog, 0, valloc);
		else if (h->vm == VM_KPROBE && strstr(h->name, "vmalloc"))
			h->kfunc = valloc;
		else if (h->vm == VM_KPROBE)
			h->kfunc = "vfree";
		if (err) {
			err_msg("cannot target %s: %s", valloc, strerror(-err));
			return err;
		}
		report_mechanism(h, h->vm != VM_ANY && strstr(h->name, "vmalloc") ? valloc : NULL);
	}
	return 0;
}

static struct bpf_link *attach_hook(const struct hook *h)
{
	if (h->kfunc)
		return bpf_program__attach_kprobe(h->prog,
						  bpf_program__type(h->prog) == BPF_PROG_TYPE_KPROBE &&
						  strstr(bpf_program__section_name(h->prog), "kretprobe"),
						  h->kfunc);
	return bpf_program__attach(h->prog);
}

static unsigned long long sum_percpu(int fd, __u32 key, unsigned long long *vals, int ncpu)
{
	unsigned long long t = 0;
	int i;

	if (bpf_map_lookup_elem(fd, &key, vals))
		return 0;
	for (i = 0; i < ncpu; i++)
		t += vals[i];
	return t;
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

static int collect(struct kmem_bpf *skel, struct hook *hooks, int nhooks, struct kmem_report *r)
{
	int agg_fd = bpf_map__fd(skel->maps.agg), allocs_fd = bpf_map__fd(skel->maps.allocs);
	int ncpu = libbpf_num_possible_cpus(), i, err;
	struct kmem_agg_key key, next, *prev = NULL;
	struct kmem_alloc_key akey, anext, *aprev = NULL;
	struct kmem_alloc_val aval;
	struct kmem_agg_val val;
	unsigned long long *vals;
	size_t n;

	kmem_report_reset(r);
	vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < KMEM_NR_STATS; i++)
		r->stats[i] = sum_percpu(bpf_map__fd(skel->maps.stats), i, vals, ncpu);
	free(vals);

	if (r->older <= 0) {
		while (bpf_map_get_next_key(agg_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(agg_fd, &key, &val))
				continue; /* deleted under us */
			if (val.count <= 0)
				continue;
			if ((err = kmem_report_add(r, &key, val.bytes, val.count)))
				return err;
			memcpy(r->rows[r->n - 1].comm, val.comm, sizeof(val.comm));
		}
	} else {
		unsigned long long now = now_ns(), age = (unsigned long long)(r->older * 1e9);
		/* Older than the machine's uptime: nothing can qualify. */
		unsigned long long cutoff = now > age ? now - age : 0;

		while (bpf_map_get_next_key(allocs_fd, aprev, &anext) == 0) {
			akey = anext;
			aprev = &akey;
			if (bpf_map_lookup_elem(allocs_fd, &akey, &aval) || aval.ts > cutoff)
				continue;
			if ((err = kmem_report_add(r, &aval.agg, aval.size, 1)))
				return err;
		}
	}
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
	struct kmem_report rep = {};
	struct kmem_bpf *skel = NULL;
	struct ksyms *ks = NULL;
	struct hook hooks[17];
	unsigned int missing = 0;
	unsigned long long start, printed = 0;
	int nhooks = 0, err, i, ret = EXIT_RUNTIME;
	char kinds[128] = "";

	err = parse_args(argc, argv);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
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
	if ((err = bpf_map__set_max_entries(skel->maps.allocs, env.max_allocs)) ||
	    (err = bpf_map__set_max_entries(skel->maps.stacks, env.max_stacks)) ||
	    /* one stack may hold several kinds or caches */
	    (err = bpf_map__set_max_entries(skel->maps.agg, env.max_stacks * 2)) ||
	    /* fingerprints outnumber stacks: one per (site, depth, syscall) */
	    (err = bpf_map__set_max_entries(skel->maps.fp_cache, env.max_stacks * 4))) {
		err_msg("cannot size the maps: %s", strerror(-err));
		goto cleanup;
	}

	/* The hook table: which program serves which kinds, by which mechanism. */
	hooks[nhooks++] = (struct hook)HOOK("sys_enter", sys_enter_ref, ALL_KINDS, "sys_enter");
	hooks[nhooks++] = (struct hook)HOOK("sys_exit", sys_exit_ref, ALL_KINDS, "sys_exit");
	hooks[nhooks++] = (struct hook)HOOK("kmalloc", kmalloc_tp, 1U << KMEM_KMALLOC, "kmalloc");
	/* kfree() frees kmem_cache objects too, and the reverse is legal. */
	hooks[nhooks++] = (struct hook)HOOK("kfree", kfree_tp, SLAB_KINDS, "kfree");
	hooks[nhooks++] = (struct hook)HOOK("kmem_cache_alloc", kmem_cache_alloc_tp,
					    1U << KMEM_CACHE, "kmem_cache_alloc");
	hooks[nhooks++] = (struct hook)HOOK("kmem_cache_free", kmem_cache_free_tp, SLAB_KINDS,
					    "kmem_cache_free");
	hooks[nhooks++] = (struct hook)HOOK("percpu_alloc_percpu", percpu_alloc_tp,
					    1U << KMEM_PERCPU, "percpu_alloc_percpu");
	hooks[nhooks++] = (struct hook)HOOK("percpu_free_percpu", percpu_free_tp,
					    1U << KMEM_PERCPU, "percpu_free_percpu");
	hooks[nhooks++] = (struct hook)VMHOOK("alloc_vmap_area", alloc_vmap_area_tp, VM_VMAP_TP,
					      "alloc_vmap_area");
	hooks[nhooks++] = (struct hook)VMHOOK("free_vmap_area_noflush", free_vmap_area_tp,
					      VM_VMAP_TP, "free_vmap_area_noflush");
	hooks[nhooks++] = (struct hook)VMHOOK("fexit vmalloc", vmalloc_fexit, VM_FENTRY, NULL);
	hooks[nhooks++] = (struct hook)VMHOOK("fentry vfree", vfree_fentry, VM_FENTRY, NULL);
	hooks[nhooks++] = (struct hook)VMHOOK("kprobe vmalloc", vmalloc_kprobe, VM_KPROBE, NULL);
	hooks[nhooks++] = (struct hook)VMHOOK("kretprobe vmalloc", vmalloc_kretprobe, VM_KPROBE,
					      NULL);
	hooks[nhooks++] = (struct hook)VMHOOK("kprobe vfree", vfree_kprobe, VM_KPROBE, NULL);
	hooks[nhooks++] = (struct hook)HOOK("mm_page_alloc", mm_page_alloc_tp, 1U << KMEM_PAGE,
					    "mm_page_alloc");
	hooks[nhooks++] = (struct hook)HOOK("mm_page_free", mm_page_free_tp, 1U << KMEM_PAGE,
					    "mm_page_free");
	if ((err = select_hooks(skel, hooks, nhooks, &missing)))
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
	for (i = 0; i < nhooks; i++) {
		if (!hooks[i].used)
			continue;
		*hooks[i].link = attach_hook(&hooks[i]);
		if (!*hooks[i].link) {
			err = -errno;
			err_msg("cannot attach hook %s: %s", hooks[i].name, strerror(-err));
			goto cleanup;
		}
	}
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
	rep.stacks_fd = bpf_map__fd(skel->maps.stacks);
	rep.ksyms = ks;
	install_signal_handlers();
	start = now_ns();
	for (i = 0; i < KMEM_NR_KINDS; i++)
		if (missing & (1U << i))
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 strchr(kinds, ';') ? ", " : "; not traceable on this kernel: ",
				 kmem_kind_name(i));
	vlog(0, "tracing kernel allocations (%s)%s... Ctrl-C to end", kinds,
	     env.pid ? " by the given PID" : "");

	while (!exiting) {
		unsigned long long deadline = now_ns() + (unsigned long long)(env.interval * 1e9);
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		while (!exiting && now_ns() < deadline)
			nanosleep(&ts, NULL);
		rep.elapsed = (now_ns() - start) / 1e9;
		err = collect(skel, hooks, nhooks, &rep);
		if (err) {
			err_msg("cannot read the BPF maps: %s", strerror(-err));
			goto cleanup;
		}
		if (env.json)
			kmem_print_json(&rep, stdout);
		else
			kmem_print_text(&rep, stdout);
		if (env.count && ++printed >= env.count)
			break;
	}
	ret = EXIT_OK;
cleanup:
	kmem_bpf__destroy(skel);
	kmem_report_free(&rep);
	ksyms_free(ks);
	return ret;
}
