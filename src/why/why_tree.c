/* The memory tree: MemTotal split into leaves that add up to it.  Every
 * node is a meminfo counter, or a share of one (tmpfs mounts inside Shmem),
 * or a remainder; a remainder never goes negative, and what could not fit is
 * kept in `overcount` rather than silently dropped. */
#include "why/why.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int why_tree_add(struct why_tree *t, int parent, const char *name, unsigned long long bytes)
{
	struct why_node *nv;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		nv = realloc(t->v, t->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		t->v = nv;
	}
	nv = &t->v[t->n];
	memset(nv, 0, sizeof(*nv));
	snprintf(nv->name, sizeof(nv->name), "%s", name);
	nv->bytes = bytes;
	nv->parent = parent;
	nv->depth = parent < 0 ? 0 : t->v[parent].depth + 1;
	return (int)t->n++;
}

void why_tree_free(struct why_tree *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static bool has_children(const struct why_tree *t, int i)
{
	return (size_t)i + 1 < t->n && t->v[i + 1].parent == i;
}

unsigned long long why_tree_leaf_sum(const struct why_tree *t)
{
	unsigned long long s = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!has_children(t, (int)i))
			s += t->v[i].bytes;
	return s;
}

void why_tree_path(const struct why_tree *t, int i, char *buf, size_t len)
{
	char tmp[512];

	if (!len)
		return;
	buf[0] = '\0';
	for (; i >= 0; i = t->v[i].parent) {
		snprintf(tmp, sizeof(tmp), "%s%s%s", t->v[i].name, buf[0] ? "/" : "", buf);
		snprintf(buf, len, "%s", tmp);
	}
}

int why_tree_find(const struct why_tree *t, const char *path)
{
	char buf[512];
	size_t i;

	for (i = 0; i < t->n; i++) {
		why_tree_path(t, (int)i, buf, sizeof(buf));
		if (!strcmp(buf, path))
			return (int)i;
	}
	return -1;
}

/* Leaves are added as shares of their parent's budget: each gets at most
 * what is left, so leaves can never add up to more than the parent. */
struct budget {
	struct why_tree *t;
	int node;
	unsigned long long left;
	int err;
};

static int share(struct budget *b, const char *name, unsigned long long want)
{
	unsigned long long got = want < b->left ? want : b->left;
	int i;

	if (b->err)
		return -1;
	i = why_tree_add(b->t, b->node, name, got);
	if (i < 0) {
		b->err = i;
		return -1;
	}
	b->t->v[i].leaf_capped = got < want;
	b->left -= got;
	return i;
}

static struct budget sub(struct budget *b, const char *name, unsigned long long want)
{
	struct budget c = { b->t, -1, 0, b->err };

	c.node = share(b, name, want);
	if (c.node < 0)
		c.err = b->err ? b->err : -ENOMEM;
	else
		c.left = b->t->v[c.node].bytes;
	return c;
}

/* The rest of a node's budget, when the node has children. */
static void rest(struct budget *b, const char *name)
{
	if (b->err)
		return;
	if (share(b, name, b->left) < 0)
		return;
}

static int cmp_tmpfs_used(const void *a, const void *b)
{
	const struct why_tmpfs *x = *(const struct why_tmpfs *const *)a;
	const struct why_tmpfs *y = *(const struct why_tmpfs *const *)b;

	return (x->used > y->used) - (x->used < y->used);
}

/* Counters that no other node may cover come first in the root's budget,
 * then their parts; a counter that exceeds what is left is recorded as
 * overcount. */
int why_tree_build(struct why_report *r)
{
	const struct meminfo *mi = &r->mi;
	struct why_tree *t = &r->tree;
	unsigned long long total, shmem, file, anon, v, want_sum, stack, hugetlb, sysv_rss = 0,
		memfd = 0;
	struct why_tmpfs **order = NULL;
	struct budget root, user, kernel, b;
	char name[288];
	size_t i;
	int ri;

	why_tree_free(t);
	if (!meminfo_get(mi, "MemTotal", &total))
		return -EINVAL;
	ri = why_tree_add(t, -1, "MemTotal", total);
	if (ri < 0)
		return ri;
	root = (struct budget){ t, ri, total, 0 };

	shmem = meminfo_val(mi, "Shmem");
	anon = meminfo_val(mi, "AnonPages");
	v = meminfo_val(mi, "Buffers") + meminfo_val(mi, "Cached");
	file = v > shmem ? v - shmem : 0;
	stack = meminfo_val(mi, "KernelStack");
	if (!meminfo_get(mi, "Hugetlb", &hugetlb))
		hugetlb = meminfo_val(mi, "HugePages_Total") * meminfo_val(mi, "Hugepagesize");

	/* How much the leaves want in all, to know the overcount. */
	want_sum = meminfo_val(mi, "MemFree") + anon + file + shmem + meminfo_val(mi, "SwapCached") +
		   meminfo_val(mi, "Slab") + stack + meminfo_val(mi, "PageTables") +
		   meminfo_val(mi, "SecPageTables") + meminfo_val(mi, "Percpu") + hugetlb +
		   meminfo_val(mi, "Zswap");
	v = meminfo_val(mi, "KReclaimable");
	if (v > meminfo_val(mi, "SReclaimable"))
		want_sum += v - meminfo_val(mi, "SReclaimable");
	/* VmallocUsed counts vmalloc'ed pages only since 5.3 (commit
	 * 97105f0ab7b8, "mm: vmalloc: show number of vmalloc pages in
	 * /proc/meminfo"); 4.4-5.2 print 0 and older kernels the address space
	 * in use, ioremap included.  KReclaimable (4.20) tells the eras apart
	 * well enough; otherwise vmallocinfo's page counts stand in. */
	if (meminfo_get(mi, "KReclaimable", &v))
		v = meminfo_val(mi, "VmallocUsed");
	else
		v = r->vmalloc_ok ? r->vmalloc.vmalloc_bytes : 0;
	/* With CONFIG_VMAP_STACK kernel stacks are vmalloc pages, counted in
	 * both KernelStack and VmallocUsed.  vmallocinfo (root) shows it;
	 * without it assume the x86_64/arm64 default. */
	if (!r->vmalloc_ok || r->vmalloc.stack_bytes)
		v = v > stack ? v - stack : 0;
	want_sum += v;
	t->overcount = want_sum > total ? want_sum - total : 0;

	share(&root, "free", meminfo_val(mi, "MemFree"));

	user = sub(&root, "user", anon + file + shmem + meminfo_val(mi, "SwapCached"));
	share(&user, "private anon", anon);
	b = sub(&user, "file cache", file);
	share(&b, "active file", meminfo_val(mi, "Active(file)"));
	share(&b, "inactive file", meminfo_val(mi, "Inactive(file)"));
	rest(&b, "other file (unevictable, in transit)");

	/* Shmem's parts, the exact ones first: SysV rss and memfd st_blocks
	 * are counted from the page cache at read time, while tmpfs's used
	 * blocks settle lazily (shmem_recalc_inode) and can run ahead of
	 * Shmem on a mount whose files are being truncated.  Mounts go from
	 * the smallest up, so when the parts overlap Shmem it is the largest
	 * mount, where the error is relatively smallest, that is cut. */
	b = sub(&user, "shmem", shmem);
	for (i = 0; r->sysv_ok && i < r->sysv.n; i++)
		sysv_rss += r->sysv.s[i].has_rss ? r->sysv.s[i].rss : r->sysv.s[i].size;
	if (r->sysv_ok)
		share(&b, "SysV shm", sysv_rss);
	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].memfd)
			memfd += r->files[i].bytes;
	share(&b, "memfd (open)", memfd);
	order = calloc(r->ntmpfs ? r->ntmpfs : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < r->ntmpfs; i++)
		order[i] = &r->tmpfs[i];
	qsort(order, r->ntmpfs, sizeof(*order), cmp_tmpfs_used);
	for (i = 0; i < r->ntmpfs; i++) {
		if (!order[i]->used)
			continue;
		snprintf(name, sizeof(name), "%s %s", order[i]->fstype, order[i]->mountpoint);
		share(&b, name, order[i]->used);
	}
	free(order);
	rest(&b, "other shmem (shared anon mappings, unseen tmpfs)");
	share(&user, "swap cache", meminfo_val(mi, "SwapCached"));

	kernel = sub(&root, "kernel", root.left - (hugetlb < root.left ? hugetlb : root.left));
	b = sub(&kernel, "slab", meminfo_val(mi, "Slab"));
	share(&b, "reclaimable", meminfo_val(mi, "SReclaimable"));
	rest(&b, "unreclaimable");
	share(&kernel, "kernel stacks", stack);
	share(&kernel, "page tables",
	      meminfo_val(mi, "PageTables") + meminfo_val(mi, "SecPageTables"));
	share(&kernel, "vmalloc", v);
	share(&kernel, "percpu", meminfo_val(mi, "Percpu"));
	v = meminfo_val(mi, "KReclaimable");
	share(&kernel, "other reclaimable", v > meminfo_val(mi, "SReclaimable") ?
						   v - meminfo_val(mi, "SReclaimable") : 0);
	share(&kernel, "zswap", meminfo_val(mi, "Zswap"));
	rest(&kernel, "unexplained");
	share(&root, "hugetlb", hugetlb);
	rest(&root, "unaccounted");
	if (root.err || user.err || kernel.err || b.err)
		return -ENOMEM;
	/* "unaccounted" can only be non-zero when hugetlb was squeezed out:
	 * drop the empty node so the root's children stay meaningful. */
	if (t->n && t->v[t->n - 1].bytes == 0 && !strcmp(t->v[t->n - 1].name, "unaccounted"))
		t->n--;
	return 0;
}
