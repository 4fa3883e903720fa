/* Unit tests: kernel mode's hook table (which hooks a kind selection uses). */

/* On an opened, not loaded, skeleton, and only kinds that need no fentry
 * probe, so no privilege is needed; the vmalloc fallbacks run in tests/vm. */
#include <bpf/libbpf.h>
#include <string.h>

#include "kernel/kernel_hooks.h"
#include "kmem.h"
#include "kmem.skel.h"
#include "probe/probe.h"
#include "unit.h"

static bool used(const struct kernel_hook *h, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(h[i].name, name))
			return h[i].used && bpf_program__autoload(h[i].prog);
	return false;
}

UNIT_SUITE(kernel_hooks)
{
	struct kernel_hook h[KERNEL_MAX_HOOKS];
	unsigned int kinds = (1U << KMEM_KMALLOC) | (1U << KMEM_PERCPU), missing = 0;
	struct kmem_bpf *skel = kmem_bpf__open();
	int n;

	CHECK("kernel hooks: an opened skeleton", skel != NULL);
	if (!skel)
		return;
	if (!probe_tp_btf("kmalloc") || !probe_tp_btf("percpu_alloc_percpu")) {
		printf("skip: unit: kernel hooks: no kmalloc/percpu tracepoints in this kernel's BTF\n");
		kmem_bpf__destroy(skel);
		return;
	}
	n = kernel_hooks_select(skel, h, &kinds, false, &missing);
	CHECK("kernel hooks: the whole table is bound", n == 17 && h[0].prog && h[0].link);
	CHECK("kernel hooks: kmalloc and percpu traced, nothing missing",
	      kinds == ((1U << KMEM_KMALLOC) | (1U << KMEM_PERCPU)) && missing == 0);
	CHECK("kernel hooks: kmalloc uses kmalloc, kfree and the syscall hooks",
	      used(h, n, "kmalloc") && used(h, n, "kfree") && used(h, n, "sys_enter") &&
	      used(h, n, "sys_exit") && used(h, n, "percpu_alloc_percpu"));
	CHECK("kernel hooks: kinds not asked for are not loaded",
	      !used(h, n, "kmem_cache_alloc") && !used(h, n, "mm_page_alloc") &&
	      !used(h, n, "fexit vmalloc") && !used(h, n, "kprobe vfree") &&
	      !used(h, n, "alloc_vmap_area"));
	kmem_bpf__destroy(skel);

	skel = kmem_bpf__open();
	kinds = 1U << KMEM_KMALLOC;
	n = skel ? kernel_hooks_select(skel, h, &kinds, true, &missing) : -1;
	CHECK("kernel hooks: --exact-stacks turns the syscall hooks off",
	      n > 0 && used(h, n, "kmalloc") && !used(h, n, "sys_enter") && !used(h, n, "sys_exit"));
	kmem_bpf__destroy(skel);
}
