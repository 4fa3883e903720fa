/* Kernel mode's hook table and the choice of hooks (see kernel_hooks.h). */
#include "kernel/kernel_hooks.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kmem.h"
#include "kmem.skel.h"
#include "lib/common.h"
#include "probe/probe.h"

/* How vmalloc is followed, best first: exact hooks on the allocator and
 * vfree (fexit/fentry, or kprobes where the trampoline cannot take
 * __vmalloc_node_range's 9 arguments, 6.1), else every vmap area by its
 * tracepoints (5.19+; an approximation, see the man page), else not at all. */
enum vm_method { VM_ANY, VM_FENTRY, VM_KPROBE, VM_VMAP_TP, VM_NONE };

/* What a hook does beyond serving its kinds. */
enum hook_role {
	ROLE_PLAIN,
	ROLE_SYSCALL_REF,	/* sys_enter/sys_exit: off with --exact-stacks */
	ROLE_VMALLOC,		/* attached to the allocator, whichever its name */
	ROLE_VFREE,		/* attached to vfree */
};

/* One hook: the program and its link in the skeleton, the kinds it serves,
 * the vmalloc method it belongs to (VM_ANY: not a vmalloc hook), its role
 * and the tracepoint it needs (NULL: none). */
struct kernel_hook_def {
	const char *name;
	size_t prog, link;
	unsigned int kinds;
	enum vm_method vm;
	enum hook_role role;
	const char *tp;
};

#define SLAB_KINDS ((1U << KMEM_KMALLOC) | (1U << KMEM_CACHE))
#define ALL_KINDS ((1U << KMEM_NR_KINDS) - 1)
#define VM_KIND (1U << KMEM_VMALLOC)
#define PROG(p) offsetof(struct kmem_bpf, progs.p), offsetof(struct kmem_bpf, links.p)

/* The table, in the order hooks are decided, reported and attached. */
static const struct kernel_hook_def table[] = {
	{ "sys_enter", PROG(sys_enter_ref), ALL_KINDS, VM_ANY, ROLE_SYSCALL_REF, "sys_enter" },
	{ "sys_exit", PROG(sys_exit_ref), ALL_KINDS, VM_ANY, ROLE_SYSCALL_REF, "sys_exit" },
	{ "kmalloc", PROG(kmalloc_tp), 1U << KMEM_KMALLOC, VM_ANY, ROLE_PLAIN, "kmalloc" },
	/* kfree() frees kmem_cache objects too, and the reverse is legal. */
	{ "kfree", PROG(kfree_tp), SLAB_KINDS, VM_ANY, ROLE_PLAIN, "kfree" },
	{ "kmem_cache_alloc", PROG(kmem_cache_alloc_tp), 1U << KMEM_CACHE, VM_ANY, ROLE_PLAIN,
	  "kmem_cache_alloc" },
	{ "kmem_cache_free", PROG(kmem_cache_free_tp), SLAB_KINDS, VM_ANY, ROLE_PLAIN,
	  "kmem_cache_free" },
	{ "percpu_alloc_percpu", PROG(percpu_alloc_tp), 1U << KMEM_PERCPU, VM_ANY, ROLE_PLAIN,
	  "percpu_alloc_percpu" },
	{ "percpu_free_percpu", PROG(percpu_free_tp), 1U << KMEM_PERCPU, VM_ANY, ROLE_PLAIN,
	  "percpu_free_percpu" },
	{ "alloc_vmap_area", PROG(alloc_vmap_area_tp), VM_KIND, VM_VMAP_TP, ROLE_PLAIN,
	  "alloc_vmap_area" },
	{ "free_vmap_area_noflush", PROG(free_vmap_area_tp), VM_KIND, VM_VMAP_TP, ROLE_PLAIN,
	  "free_vmap_area_noflush" },
	{ "fexit vmalloc", PROG(vmalloc_fexit), VM_KIND, VM_FENTRY, ROLE_VMALLOC, NULL },
	{ "fentry vfree", PROG(vfree_fentry), VM_KIND, VM_FENTRY, ROLE_VFREE, NULL },
	{ "kprobe vmalloc", PROG(vmalloc_kprobe), VM_KIND, VM_KPROBE, ROLE_VMALLOC, NULL },
	{ "kretprobe vmalloc", PROG(vmalloc_kretprobe), VM_KIND, VM_KPROBE, ROLE_VMALLOC, NULL },
	{ "kprobe vfree", PROG(vfree_kprobe), VM_KIND, VM_KPROBE, ROLE_VFREE, NULL },
	{ "mm_page_alloc", PROG(mm_page_alloc_tp), 1U << KMEM_PAGE, VM_ANY, ROLE_PLAIN,
	  "mm_page_alloc" },
	{ "mm_page_free", PROG(mm_page_free_tp), 1U << KMEM_PAGE, VM_ANY, ROLE_PLAIN,
	  "mm_page_free" },
};

_Static_assert(ARRAY_SIZE(table) <= KERNEL_MAX_HOOKS, "KERNEL_MAX_HOOKS is too small");

/* The allocator and its renames (the 6.10+ _noprof rename, "mm: vmalloc:
 * enable memory allocation profiling"). */
static const char *const vmalloc_names[] = { "__vmalloc_node_range_noprof",
					     "__vmalloc_node_range" };

static bool vm_by_fentry(const char **valloc)
{
	*valloc = probe_fentry_any(vmalloc_names, ARRAY_SIZE(vmalloc_names));
	return *valloc && probe_fentry("vfree");
}

static bool vm_by_kprobe(const char **valloc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmalloc_names); i++) {
		if (probe_kprobe(vmalloc_names[i]) && probe_kprobe("vfree")) {
			*valloc = vmalloc_names[i];
			return true;
		}
	}
	return false;
}

static bool vm_by_vmap_tp(const char **valloc)
{
	return probe_tp_btf("alloc_vmap_area") && probe_tp_btf("free_vmap_area_noflush");
}

/* vmalloc's fallback order: the first method this kernel has wins. */
static const struct {
	enum vm_method method;
	const char *name;			/* in -v lines */
	bool (*available)(const char **valloc);	/* and the allocator's name */
} vm_methods[] = {
	{ VM_FENTRY, "fexit/fentry", vm_by_fentry },
	{ VM_KPROBE, "kretprobe/kprobe", vm_by_kprobe },
	{ VM_VMAP_TP, "vmap-area tracepoints (approximate)", vm_by_vmap_tp },
};

static const char *vm_method_name(enum vm_method m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vm_methods); i++)
		if (vm_methods[i].method == m)
			return vm_methods[i].name;
	return "unavailable";
}

/* The vmalloc method and, for exact hooks, the allocator's name on this
 * kernel (NULL otherwise). */
static enum vm_method choose_vmalloc(const char **valloc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vm_methods); i++) {
		*valloc = NULL;
		if (vm_methods[i].available(valloc))
			return vm_methods[i].method;
	}
	*valloc = NULL;
	return VM_NONE;
}

/* "raw_tp/kmalloc" -> "raw_tp": the mechanism, from the program itself so
 * that -v cannot disagree with it. */
static void report_mechanism(const struct kernel_hook *h, const char *why)
{
	const char *sec = bpf_program__section_name(h->prog);
	char how[32];

	snprintf(how, sizeof(how), "%.*s", (int)strcspn(sec, "/"), sec);
	probe_report(h->name, how, why);
}

int kernel_hooks_select(struct kmem_bpf *skel, struct kernel_hook *hooks, unsigned int *kinds,
			bool exact_stacks, unsigned int *missing)
{
	enum vm_method vm = VM_NONE;
	const char *valloc = NULL;
	int i, n = ARRAY_SIZE(table);

	for (i = 0; i < n; i++)
		hooks[i] = (struct kernel_hook){
			.name = table[i].name,
			.prog = *(struct bpf_program **)((char *)skel + table[i].prog),
			.link = (struct bpf_link **)((char *)skel + table[i].link),
			.def = &table[i],
		};
	*missing = 0;
	for (i = 0; i < n; i++) {
		const struct kernel_hook_def *d = hooks[i].def;

		if (d->tp && (d->kinds & *kinds) && d->vm == VM_ANY && d->role != ROLE_SYSCALL_REF &&
		    !probe_tp_btf(d->tp)) {
			vlog(1, "hook %s: missing (no tracepoint %s in this kernel)", d->name, d->tp);
			*missing |= d->kinds & *kinds;
		}
	}
	if (*kinds & VM_KIND) {
		vm = choose_vmalloc(&valloc);
		vlog(1, "vmalloc: %s%s%s", vm_method_name(vm), valloc ? " on " : "",
		     valloc ? valloc : "");
		if (vm == VM_NONE)
			*missing |= VM_KIND;
	}
	*kinds &= ~*missing;
	for (i = 0; i < n; i++) {
		struct kernel_hook *h = &hooks[i];
		const struct kernel_hook_def *d = h->def;
		int err = 0;

		h->used = (d->kinds & *kinds) != 0;
		if (h->used && d->role == ROLE_SYSCALL_REF && exact_stacks) {
			bpf_program__set_autoload(h->prog, false);
			h->used = false;
			vlog(1, "hook %s: off (--exact-stacks)", h->name);
			continue;
		}
		if (h->used && d->vm != VM_ANY && d->vm != vm) {
			bpf_program__set_autoload(h->prog, false);
			h->used = false;
			vlog(1, "hook %s: off (vmalloc by %s)", h->name, vm_method_name(vm));
			continue;
		}
		bpf_program__set_autoload(h->prog, h->used);
		if (!h->used) {
			vlog(1, "hook %s: off (kind not selected or unavailable)", h->name);
			continue;
		}
		/* The allocator's name is the kernel's (_noprof or not). */
		if (d->vm == VM_FENTRY && d->role == ROLE_VMALLOC)
			err = bpf_program__set_attach_target(h->prog, 0, valloc);
		else if (d->vm == VM_KPROBE)
			h->kfunc = d->role == ROLE_VMALLOC ? valloc : "vfree";
		if (err) {
			err_msg("cannot target %s: %s", valloc, strerror(-err));
			return err;
		}
		report_mechanism(h, d->vm != VM_ANY && d->role == ROLE_VMALLOC ? valloc : NULL);
	}
	return n;
}

static struct bpf_link *attach_hook(const struct kernel_hook *h)
{
	if (h->kfunc)
		return bpf_program__attach_kprobe(h->prog,
						  bpf_program__type(h->prog) == BPF_PROG_TYPE_KPROBE &&
						  strstr(bpf_program__section_name(h->prog), "kretprobe"),
						  h->kfunc);
	return bpf_program__attach(h->prog);
}

int kernel_hooks_attach(struct kernel_hook *hooks, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		if (!hooks[i].used)
			continue;
		*hooks[i].link = attach_hook(&hooks[i]);
		if (!*hooks[i].link) {
			err = -errno;
			err_msg("cannot attach hook %s: %s", hooks[i].name, strerror(-err));
			return err;
		}
	}
	return 0;
}
