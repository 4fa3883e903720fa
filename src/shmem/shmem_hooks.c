/* shmem's hook table and the choice of a hook set (see shmem_hooks.h). */
#include "shmem/shmem_hooks.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bpf_util.h"
#include "lib/common.h"
#include "probe/probe.h"
#include "shmem.skel.h"

#define SET(s) (1U << SHMEM_HOOKS_##s)

/* The hook sets in the order they are tried: the most precise first. */
static const struct hookset {
	enum shmem_hookset set;
	const char *name;
	/* NR_SHMEM changes are traced only where the memory controller
	 * accounts them. */
	bool needs_memcg;
	const char *funcs[2];	/* kernel functions that must be in BTF */
	const char *tps[3];	/* BTF tracepoints that must exist */
} hooksets[] = {
	{ SHMEM_HOOKS_FENTRY, "fentry", false,
	  { "shmem_add_to_page_cache", "__filemap_remove_folio" }, {} },
	{ SHMEM_HOOKS_TRACEPOINT, "tracepoint", true, {},
	  { "mm_page_alloc", "mod_memcg_lruvec_state", "mm_filemap_delete_from_page_cache" } },
	{ SHMEM_HOOKS_LRU, "lru", false, {},
	  { "mm_lru_insertion", "mm_filemap_delete_from_page_cache" } },
};

/* Which program each hook set loads.  The swap pair is the fentry set's
 * extra: loaded only where a swap-out function is known.  The tracepoint
 * sets add with interrupts off, where a writer's mappings are read one
 * at a time (bpf/shmem.bpf.c, writer_pending): --stacks finishes them at
 * the writer's exit too. */
#define PROG(p) offsetof(struct shmem_bpf, progs.p)
static const struct {
	size_t prog;		/* in the skeleton */
	unsigned int sets;	/* SET() bits */
	bool swap;
	bool stacks;		/* --stacks only */
} programs[] = {
	{ PROG(tp_page_alloc), SET(TRACEPOINT), false, false },
	{ PROG(tp_lruvec_state), SET(TRACEPOINT), false, false },
	{ PROG(tp_delete), SET(TRACEPOINT) | SET(LRU), false, false },
	{ PROG(tp_lru_insertion), SET(LRU), false, false },
	{ PROG(tp_writer_exit), SET(TRACEPOINT) | SET(LRU), false, true },
	{ PROG(fx_add_to_page_cache), SET(FENTRY), false, false },
	{ PROG(fe_remove_folio), SET(FENTRY), false, false },
	{ PROG(fe_writeout), SET(FENTRY), true, false },
	{ PROG(fx_swapin_folio), SET(FENTRY), true, false },
};

static const struct hookset *find_set(enum shmem_hookset set)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hooksets); i++)
		if (hooksets[i].set == set)
			return &hooksets[i];
	return NULL;
}

const char *shmem_hookset_name(enum shmem_hookset set)
{
	const struct hookset *h = find_set(set);

	return h ? h->name : "none";
}

enum shmem_hookset shmem_hookset_parse(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hooksets); i++)
		if (strcmp(name, hooksets[i].name) == 0)
			return hooksets[i].set;
	return SHMEM_HOOKS_NONE;
}

/* Whether the attach points of SET exist on this kernel (BTF, memory
 * controller); false with the reason in WHY.  Whether its programs load
 * is found by loading them. */
static bool hookset_available(enum shmem_hookset set, char *why, size_t len)
{
	const struct hookset *h = find_set(set);
	size_t i;

	why[0] = '\0';
	if (!h) {
		snprintf(why, len, "no such hook set");
		return false;
	}
	if (h->needs_memcg && !probe_memcg_enabled()) {
		snprintf(why, len, "memory controller disabled: NR_SHMEM is not traced");
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(h->funcs) && h->funcs[i]; i++)
		if (!probe_btf_func(h->funcs[i])) {
			snprintf(why, len, "no function %s in kernel BTF", h->funcs[i]);
			return false;
		}
	for (i = 0; i < ARRAY_SIZE(h->tps) && h->tps[i]; i++)
		if (!probe_tp_btf(h->tps[i])) {
			snprintf(why, len, "no tracepoint %s in kernel BTF", h->tps[i]);
			return false;
		}
	return true;
}

/* The swap-out function's name on this kernel (shmem_writeout or, before
 * the folio conversion, shmem_writepage), NULL if neither is in BTF. */
static const char *writeout_func(void)
{
	/* shmem_writepage(struct page *, wbc) up to 6.12 at least; 6.18 has
	 * shmem_writeout(struct folio *, ...).  Either way the first argument
	 * is the folio (its head page). */
	static const char *const names[] = { "shmem_writeout", "shmem_writepage" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (probe_btf_func(names[i]))
			return names[i];
	return NULL;
}

/* Both swap functions exist in BTF. */
static bool swap_funcs(void)
{
	return writeout_func() && probe_btf_func("shmem_swapin_folio");
}

/* -v lines: what each hook of SET in use does. */
static void report_hooks(enum shmem_hookset set, bool swap, bool stacks)
{
	switch (set) {
	case SHMEM_HOOKS_FENTRY:
		probe_report("fexit/shmem_add_to_page_cache", "in use", "adds, in the writer's context");
		probe_report("fentry/__filemap_remove_folio", "in use", "removals");
		probe_report("swap-out and swap-in", swap ? "followed" : "not followed",
			     swap ? writeout_func() : "their programs did not load");
		probe_report("folio_migrate_mapping, split functions, shmem_evict_inode",
			     "not needed", "pages are keyed by (dev, ino, index), which "
			     "migration and splits keep; eviction deletes page by page");
		break;
	case SHMEM_HOOKS_TRACEPOINT:
		probe_report("tp_btf/mm_page_alloc + tp_btf/mod_memcg_lruvec_state (NR_SHMEM)",
			     "in use", "adds, in the writer's context");
		probe_report("tp_btf/mm_filemap_delete_from_page_cache", "in use", "removals");
		probe_report("swap-out", "not followed",
			     "no tracepoint: swapped pages stay counted under their writer");
		probe_report("tp_btf/sched_process_exit", stacks ? "in use" : "not needed",
			     "--stacks: a writer's mappings not read at the add (interrupts off)");
		break;
	case SHMEM_HOOKS_LRU:
		probe_report("tp_btf/mm_lru_insertion", "in use (fallback)",
			     "adds, in whichever task drains the LRU batch");
		probe_report("tp_btf/mm_filemap_delete_from_page_cache", "in use", "removals");
		probe_report("tp_btf/sched_process_exit", stacks ? "in use" : "not needed",
			     "--stacks: a writer's mappings not read at the add (interrupts off)");
		break;
	default:
		break;
	}
}

static struct bpf_program *program(struct shmem_bpf *skel, size_t off)
{
	return *(struct bpf_program **)((char *)skel + off);
}

/* open -> size -> choose programs -> load -> attach, for one hook set.
 * On failure WHY names the cause (libbpf's own line for it); *fatal when
 * no hook set can do better (a map cannot be sized: said already). */
static int start_set(const struct shmem_hooks_opts *o, struct shmem_bpf **out,
		     enum shmem_hookset set, bool swap, char *why, size_t len, bool *fatal)
{
	const char *writeout = swap ? writeout_func() : NULL;
	struct shmem_bpf *skel;
	size_t i;
	int err;

	*out = NULL;
	why[0] = '\0';
	skel = shmem_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->want_stacks = o->stacks;
	/* Benchmark floor: the same hooks, each program returning at once. */
	skel->rodata->empty_progs = env_flag("MEMLEAKBPF_SHMEM_EMPTY_PROGS");
	/* Benchmarks: one record per folio, as before runs existed. */
	skel->rodata->coalesce = !env_flag("MEMLEAKBPF_SHMEM_NO_COALESCE");
	if ((err = map_set_size(skel->maps.events, o->ring_size)) ||
	    (err = map_set_size(skel->maps.writers, o->max_writers)) ||
	    (err = map_set_size(skel->maps.stacks, o->stacks ? o->max_stacks : 1))) {
		*fatal = true;
		goto fail;
	}

	for (i = 0; i < ARRAY_SIZE(programs); i++)
		bpf_program__set_autoload(program(skel, programs[i].prog),
					  (programs[i].sets & (1U << set)) &&
					  (!programs[i].swap || writeout) &&
					  (!programs[i].stacks || o->stacks));
	if (set == SHMEM_HOOKS_FENTRY && writeout &&
	    bpf_program__set_attach_target(skel->progs.fe_writeout, 0, writeout)) {
		snprintf(why, len, "cannot target %s", writeout);
		err = -EINVAL;
		goto fail;
	}

	libbpf_capture_begin();
	err = shmem_bpf__load(skel);
	if (!err)
		err = shmem_bpf__attach(skel);
	libbpf_capture_end(why, len);
	if (err) {
		/* The kernel's bare answer when libbpf said nothing (fentry
		 * refused with EPERM and an empty verifier log). */
		if (!why[0])
			snprintf(why, len, "%s", strerror(-err));
		else if (err == -524)
			/* ENOTSUPP, kernel-internal, has no strerror text: e.g.
			 * a 6.1 trampoline refuses a function of 7 arguments. */
			snprintf(why + strlen(why), len - strlen(why), " (ENOTSUPP)");
		else if (!strstr(why, strerror(-err)))
			snprintf(why + strlen(why), len - strlen(why), " (%s)", strerror(-err));
		goto fail;
	}
	*out = skel;
	return 0;
fail:
	shmem_bpf__destroy(skel);
	return err ? err : -EINVAL;
}

/* The first hook set that loads and attaches, in the table's order (or
 * only the forced one).  -v says why each earlier set was passed over;
 * when none loads, one error line gives every set's reason. */
int shmem_hooks_start(const struct shmem_hooks_opts *o, struct shmem_bpf **skel,
		      enum shmem_hookset *hooks, bool *swap_known)
{
	char why[512], all[1600] = "";
	size_t i, n = o->forced ? 1 : ARRAY_SIZE(hooksets);
	bool fatal = false;
	int err = -ENOENT;

	for (i = 0; i < n; i++) {
		enum shmem_hookset set = o->forced ? o->forced : hooksets[i].set;
		const char *name = shmem_hookset_name(set);
		bool swap = false;

		if (!hookset_available(set, why, sizeof(why))) {
			err = -ENOENT;
		} else {
			swap = set == SHMEM_HOOKS_FENTRY && swap_funcs();
			err = start_set(o, skel, set, swap, why, sizeof(why), &fatal);
			if (fatal)
				return err;
			/* Swap-out and swap-in are extras: without them the
			 * page counts are still exact while nothing swaps. */
			if (err && swap) {
				char why_swap[512];

				snprintf(why_swap, sizeof(why_swap), "%s", why);
				swap = false;
				err = start_set(o, skel, set, swap, why, sizeof(why), &fatal);
				if (fatal)
					return err;
				if (!err)
					probe_report("fentry swap-out/swap-in", "refused", why_swap);
			}
		}
		if (!err) {
			*swap_known = swap;
			*hooks = set;
			vlog(1, "hook set %s: in use%s", name,
			     o->forced ? " (forced by --hooks or SHMEM_HOOKS)" : "");
			report_hooks(set, swap, o->stacks);
			return 0;
		}
		vlog(1, "hook set %s: rejected (%s)", name, why);
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s: %s",
			 all[0] ? "; " : "", name, why);
	}
	if (o->forced)
		err_msg("cannot load the BPF programs of --hooks %s: %s", shmem_hookset_name(o->forced),
			why);
	else
		err_msg("cannot load the BPF programs of any shmem hook set: %s", all);
	return err;
}
