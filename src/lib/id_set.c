/* A sorted set of 64-bit ids for the prune passes (see id_set.h). */
#include <errno.h>
#include <stdlib.h>

#include "lib/id_set.h"

int id_set_add(struct id_set *s, __u64 id)
{
	__u64 *ids;

	if (s->n && s->ids[s->n - 1] == id)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		ids = realloc(s->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		s->ids = ids;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

/* ids is NULL until the first add: qsort and bsearch must never see it. */
void id_set_sort(struct id_set *s)
{
	if (s->n)
		qsort(s->ids, s->n, sizeof(*s->ids), cmp_u64);
}

bool id_set_has(const struct id_set *s, __u64 id)
{
	return s->n && bsearch(&id, s->ids, s->n, sizeof(id), cmp_u64);
}

void id_set_clear(struct id_set *s)
{
	s->n = 0;
}

void id_set_free(struct id_set *s)
{
	free(s->ids);
	*s = (struct id_set){ 0 };
}
