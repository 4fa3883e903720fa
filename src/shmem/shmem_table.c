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

void sh_table_free(struct sh_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
