/* Unit tests: the userspace page table of memleakbpf shmem, against a
 * plain array model under a random mix of adds and deletes. */
#include <errno.h>
#include <stdlib.h>

#include "shmem/shmem_int.h"
#include "unit.h"

#define KEYS 3000

UNIT_SUITE(shmem_table)
{
	struct sh_table t = { .max = 4 };
	static __u32 model[KEYS]; /* wid per key, 0 = absent */
	unsigned int seed = 12345, i, step, bad = 0;
	size_t n = 0;

	CHECK("table: add", sh_table_add(&t, 1, 2, 3, 7) == 1);
	CHECK("table: same page again keeps the first writer",
	      sh_table_add(&t, 1, 2, 3, 9) == 0 && sh_table_find(&t, 1, 2, 3)->wid == 7);
	CHECK("table: other dev is another page", sh_table_add(&t, 2, 2, 3, 9) == 1);
	sh_table_add(&t, 1, 2, 4, 1);
	sh_table_add(&t, 1, 2, 5, 1);
	CHECK("table: full at max", sh_table_add(&t, 1, 2, 6, 1) == -ENOSPC);
	CHECK("table: delete", sh_table_del(&t, 1, 2, 3) && !sh_table_find(&t, 1, 2, 3));
	CHECK("table: delete missing", !sh_table_del(&t, 1, 2, 3));
	CHECK("table: room again after delete", sh_table_add(&t, 1, 2, 6, 1) == 1);
	sh_table_free(&t);
	CHECK("table: empty after free", !sh_table_find(&t, 1, 2, 4) && !sh_table_del(&t, 1, 2, 4));

	/* Clustered keys (consecutive indexes) are the realistic case and the
	 * one backward-shift deletion must get right. */
	t.max = KEYS;
	for (step = 0; step < 200000; step++) {
		seed = seed * 1103515245 + 12345;
		i = (seed >> 8) % KEYS;
		if ((seed >> 4) & 1) {
			int r = sh_table_add(&t, 40, i / 100, i % 100, step + 1);

			if (r != (model[i] ? 0 : 1))
				bad++;
			if (!model[i]) {
				model[i] = step + 1;
				n++;
			}
		} else {
			if (sh_table_del(&t, 40, i / 100, i % 100) != (model[i] != 0))
				bad++;
			if (model[i]) {
				model[i] = 0;
				n--;
			}
		}
	}
	for (i = 0; i < KEYS; i++) {
		struct sh_page *p = sh_table_find(&t, 40, i / 100, i % 100);

		if (model[i] ? !p || p->wid != model[i] : p != NULL)
			bad++;
	}
	CHECK("table: random adds/deletes match the model", bad == 0);
	CHECK("table: count matches the model", t.n == n);
	sh_table_free(&t);
}

/* The order rules of coalesced adds (include/shmem.h, struct shmem_run):
 * a model of the BPF side (a removal clock, one pending run per CPU, runs
 * sent late and in any order, deletes sent at once) against the truth. */
#define ORD_PAGES 64
#define ORD_CPUS 3

struct ord_run {
	__u64 first, seq;
	__u32 nr, wid;
};

static void ord_send(struct sh_table *t, struct ord_run *r)
{
	__u32 i;

	for (i = 0; i < r->nr; i++)
		sh_table_apply_add(t, 7, 1, r->first + i, r->wid, SH_KEY_ADD(r->seq));
	r->nr = 0;
}

/* Tracked pages, the pending runs included as a report counts them. */
static int ord_matches(const struct sh_table *t, const struct ord_run *runs, const __u32 *truth)
{
	__u32 seen[ORD_PAGES] = {};
	int x, c;
	__u32 i;

	for (x = 0; x < ORD_PAGES; x++) {
		const struct sh_page *p = sh_table_find(t, 7, 1, x);

		if (p && !p->removed)
			seen[x] = p->wid;
	}
	for (c = 0; c < ORD_CPUS; c++)
		for (i = 0; i < runs[c].nr; i++)
			if (sh_table_would_add(t, 7, 1, runs[c].first + i, SH_KEY_ADD(runs[c].seq))) {
				if (seen[runs[c].first + i])
					return 0; /* counted twice */
				seen[runs[c].first + i] = runs[c].wid;
			}
	for (x = 0; x < ORD_PAGES; x++)
		if (seen[x] != truth[x])
			return 0;
	return 1;
}

UNIT_SUITE(shmem_table_order)
{
	struct sh_table t = { .max = 1 << 20 };
	struct ord_run runs[ORD_CPUS] = {};
	__u32 truth[ORD_PAGES] = {};
	__u64 clock = 0, low;
	unsigned int seed = 777, step, bad = 0, forgot = 0, c, x;

	for (step = 0; step < 200000; step++) {
		unsigned int op = rand_r(&seed) % 10;

		c = rand_r(&seed) % ORD_CPUS;
		x = rand_r(&seed) % ORD_PAGES;
		if (op < 5 && !truth[x]) {
			/* an add on CPU c: extend its run or send it */
			__u32 wid = 1 + rand_r(&seed) % 2;
			struct ord_run *r = &runs[c];

			truth[x] = wid;
			if (r->nr && r->seq == clock && r->wid == wid && r->first + r->nr == x) {
				r->nr++;
				continue;
			}
			ord_send(&t, r);
			*r = (struct ord_run){ .first = x, .seq = clock, .nr = 1, .wid = wid };
		} else if (op < 8 && truth[x]) {
			truth[x] = 0;
			sh_table_apply_del(&t, 7, 1, x, SH_KEY_DEL(++clock));
		} else if (op == 8) {
			ord_send(&t, &runs[c]);
		} else {
			/* forget marks below the clock and every pending run */
			low = clock;
			for (c = 0; c < ORD_CPUS; c++)
				if (runs[c].nr && runs[c].seq < low)
					low = runs[c].seq;
			forgot += sh_table_forget_removed(&t, SH_KEY_DEL(low));
		}
		if (step % 97 == 0 && !ord_matches(&t, runs, truth))
			bad++;
	}
	CHECK("order: tracked pages + pending runs match the truth at every check", bad == 0);
	CHECK("order: removed marks were forgotten on the way", forgot > 0);
	for (c = 0; c < ORD_CPUS; c++)
		ord_send(&t, &runs[c]);
	CHECK("order: all runs sent: the table matches the truth", ord_matches(&t, runs, truth));
	CHECK("order: removed marks counted", t.nremoved <= t.n);
	sh_table_free(&t);
}
