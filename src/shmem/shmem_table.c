/* memleakbpf shmem: the page table, kept in userspace from the BPF event
 * stream.  Open addressing with linear probing and backward-shift deletion
 * (no tombstones, so a long run of adds and deletes never degrades it);
 * grows by doubling up to the --max-pages bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmem/shmem_int.h"

#define MIN_SLOTS 4096

static size_t slot_of(const struct sh_table *t, __u32 dev, __u64 ino, __u64 index)
{
	/* splitmix64 finaliser over the three fields */
	__u64 h = ino * 0x9e3779b97f4a7c15ULL ^ index ^ ((__u64)dev << 40);

	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h & (t->cap - 1);
}

static bool same(const struct sh_page *p, __u32 dev, __u64 ino, __u64 index)
{
	return p->used && p->dev == dev && p->ino == ino && p->index == index;
}

static int grow(struct sh_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : MIN_SLOTS, i, j;
	struct sh_page *old = t->slots, *slots;
	size_t oldcap = t->cap;

	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	t->cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		for (j = slot_of(t, old[i].dev, old[i].ino, old[i].index); slots[j].used;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

struct sh_page *sh_table_find(const struct sh_table *t, __u32 dev, __u64 ino, __u64 index)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = slot_of(t, dev, ino, index); t->slots[i].used; i = (i + 1) & (t->cap - 1))
		if (same(&t->slots[i], dev, ino, index))
			return &t->slots[i];
	return NULL;
}

int sh_table_add(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u32 wid)
{
	size_t i;
	int err;

	if (sh_table_find(t, dev, ino, index))
		return 0; /* the first writer keeps the page */
	if (t->n >= t->max)
		return -ENOSPC;
	/* Keep the load at or under one half: probes stay short. */
	if ((t->n + 1) * 2 > t->cap) {
		err = grow(t);
		if (err)
			return err;
	}
	for (i = slot_of(t, dev, ino, index); t->slots[i].used; i = (i + 1) & (t->cap - 1))
		;
	t->slots[i] = (struct sh_page){ .ino = ino, .index = index, .dev = dev, .wid = wid,
					.used = 1 };
	t->n++;
	return 1;
}

bool sh_table_del(struct sh_table *t, __u32 dev, __u64 ino, __u64 index)
{
	struct sh_page *p = sh_table_find(t, dev, ino, index);
	size_t hole, i, home, mask = t->cap - 1;

	if (!p)
		return false;
	hole = (size_t)(p - t->slots);
	/* Pull later members of the probe run back over the hole, so that
	 * lookups never stop early at it. */
	for (i = (hole + 1) & mask; t->slots[i].used; i = (i + 1) & mask) {
		home = slot_of(t, t->slots[i].dev, t->slots[i].ino, t->slots[i].index);
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	t->n--;
	return true;
}

/* The order rules (include/shmem.h, struct shmem_run): per page, the event
 * with the greatest key wins.  An add never replaces a tracked page, as
 * before keys existed: the first writer keeps it (the LRU fallback sees a
 * page again when it is put back on the LRU). */
int sh_table_apply_add(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u32 wid,
		       __u64 key)
{
	struct sh_page *p = sh_table_find(t, dev, ino, index);
	int err;

	if (p && !p->removed)
		return SH_IGNORED;
	if (p && p->key > key)
		return SH_CANCELLED;
	if (p) {
		*p = (struct sh_page){ .ino = ino, .index = index, .key = key, .dev = dev,
				       .wid = wid, .used = 1 };
		t->nremoved--;
		return SH_APPLIED;
	}
	err = sh_table_add(t, dev, ino, index, wid);
	if (err < 0)
		return err;
	sh_table_find(t, dev, ino, index)->key = key;
	return SH_APPLIED;
}

/* A delete leaves a removed mark, also where the page was never seen: an
 * older add of it may still be in a pending run. */
int sh_table_apply_del(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u64 key)
{
	struct sh_page *p = sh_table_find(t, dev, ino, index);
	int err;

	if (p && p->removed) {
		if (key > p->key)
			p->key = key;
		return SH_IGNORED;
	}
	if (p) {
		p->removed = 1;
		p->flags = 0;
		p->key = key;
		t->nremoved++;
		return SH_APPLIED;
	}
	err = sh_table_add(t, dev, ino, index, 0);
	if (err < 0)
		return err;
	p = sh_table_find(t, dev, ino, index);
	p->removed = 1;
	p->key = key;
	t->nremoved++;
	return SH_IGNORED;
}

bool sh_table_would_add(const struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u64 key)
{
	const struct sh_page *p = sh_table_find(t, dev, ino, index);

	return !p || (p->removed && p->key < key);
}

size_t sh_table_forget_removed(struct sh_table *t, __u64 max_key)
{
	size_t i = 0, n = 0, seen = 0, cap = t->cap;

	/* A delete pulls later slots back over the hole: look at the same
	 * slot again.  Whatever wraps around past the end is left for the
	 * next call. */
	while (i < cap && seen < 2 * cap) {
		struct sh_page *p = &t->slots[i];

		seen++;
		if (p->used && p->removed && p->key <= max_key &&
		    sh_table_del(t, p->dev, p->ino, p->index)) {
			t->nremoved--;
			n++;
			continue;
		}
		i++;
	}
	return n;
}

void sh_table_free(struct sh_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
