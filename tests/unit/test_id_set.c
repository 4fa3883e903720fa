/* Unit tests: the prune passes' id set (lib/id_set.c). */
#include "lib/id_set.h"
#include "unit.h"

UNIT_SUITE(id_set)
{
	struct id_set s = { 0 };
	int err = 0;
	__u64 i;

	id_set_sort(&s);
	CHECK("id_set: empty has nothing (ids NULL, no bsearch)", !id_set_has(&s, 0));
	for (i = 1000; i > 0; i--)
		err |= id_set_add(&s, i * 3);
	err |= id_set_add(&s, 3);
	err |= id_set_add(&s, 3);
	CHECK("id_set: adds succeed past the first growth", err == 0);
	CHECK("id_set: a repeat of the last id is kept once", s.n == 1000);
	id_set_sort(&s);
	CHECK("id_set: has the smallest, largest and a middle id",
	      id_set_has(&s, 3) && id_set_has(&s, 3000) && id_set_has(&s, 1500));
	CHECK("id_set: not the ids between", !id_set_has(&s, 4) && !id_set_has(&s, 3001) &&
						!id_set_has(&s, 0));
	CHECK("id_set: 64-bit ids", id_set_add(&s, 1ULL << 40) == 0 &&
					    (id_set_sort(&s), id_set_has(&s, 1ULL << 40)) &&
					    !id_set_has(&s, 0));
	id_set_clear(&s);
	CHECK("id_set: cleared has nothing", !id_set_has(&s, 3) && s.n == 0);
	id_set_free(&s);
	CHECK("id_set: freed is empty", s.ids == NULL && s.n == 0 && s.cap == 0);
}
