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
