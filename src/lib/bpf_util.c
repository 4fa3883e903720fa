/* BPF maps the same way in every mode (see bpf_util.h). */
#include "lib/bpf_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"

int map_set_size(struct bpf_map *map, unsigned long long entries)
{
	int err;

	/* libbpf takes a __u32: a larger size must not wrap to a small one. */
	if (entries > 0xffffffffULL) {
		err_msg("cannot size the BPF map %s to %llu: more than 4294967295", bpf_map__name(map),
			entries);
		return -E2BIG;
	}
	err = bpf_map__set_max_entries(map, (__u32)entries);
	if (err)
		err_msg("cannot size the BPF map %s to %llu: %s", bpf_map__name(map), entries,
			strerror(-err));
	return err;
}

static bool percpu_type(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* The map's own key size and the bytes one lookup writes (a per-CPU
 * value: one 8-byte-aligned slot per possible CPU): a lookup into a
 * smaller buffer would write past it. */
static int map_sizes(int fd, size_t *ksize, size_t *vsize, __u32 *type)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ncpu;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ksize = info.key_size;
	*vsize = info.value_size;
	*type = info.type;
	if (percpu_type(info.type)) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0)
			return ncpu < 0 ? ncpu : -EINVAL;
		*vsize = ((info.value_size + 7) & ~7UL) * (size_t)ncpu;
	}
	return 0;
}

static bool hash_type(__u32 type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Hash maps in batches of buckets (Linux 5.6+).  bpf_map_get_next_key
 * goes back to the first key when the current one was deleted meanwhile:
 * on a map the programs change at a high rate (growth -a's pages, a page
 * fault each) a walk then starts over and over, never ends, and visits
 * entries twice.  A batch walk goes bucket by bucket whatever is deleted.
 * -EOPNOTSUPP/-EINVAL: no batch operations here, walk key by key. */
static int for_each_batch(int fd, size_t ksize, size_t vsize,
			  int (*fn)(const void *key, const void *value, void *ctx), void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 chunk = 1024, count, i;
	__u64 in = 0, out = 0; /* a hash map's token: a bucket index (u32) */
	char *keys = NULL, *vals = NULL;
	bool first = true, done = false;
	int err = 0;

	while (!done) {
		if (!keys) {
			keys = malloc((size_t)chunk * ksize);
			vals = malloc((size_t)chunk * vsize);
			if (!keys || !vals) {
				err = -ENOMEM;
				break;
			}
		}
		count = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &opts);
		if (err) {
			err = -errno;
			if (err == -ENOSPC && chunk < (1U << 20)) {
				/* one bucket holds more than a chunk */
				chunk *= 2;
				free(keys);
				free(vals);
				keys = vals = NULL;
				err = 0;
				continue;
			}
			if (err != -ENOENT)
				break;
			done = true; /* the last batch (count may be > 0) */
			err = 0;
		}
		first = false;
		in = out;
		for (i = 0; i < count && !err; i++)
			err = fn(keys + (size_t)i * ksize, vals + (size_t)i * vsize, ctx);
		if (err)
			break;
	}
	free(keys);
	free(vals);
	return err;
}

int map_for_each(int fd, size_t ksize, size_t vsize,
		 int (*fn)(const void *key, const void *value, void *ctx), void *ctx)
{
	size_t mk, mv;
	__u32 type;
	char *key = NULL, *next = NULL, *val = NULL;
	bool first = true;
	int err;

	err = map_sizes(fd, &mk, &mv, &type);
	if (err)
		return err;
	if (mk != ksize || mv != vsize || !ksize)
		return -EINVAL;
	if (hash_type(type)) {
		err = for_each_batch(fd, ksize, vsize, fn, ctx);
		if (err != -EOPNOTSUPP && err != -EINVAL && err != -524 /* ENOTSUPP */)
			return err;
		err = 0;
	}
	key = malloc(ksize);
	next = malloc(ksize);
	val = malloc(vsize);
	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		memcpy(key, next, ksize);
		first = false;
		if (bpf_map_lookup_elem(fd, key, val))
			continue; /* deleted under us */
		err = fn(key, val, ctx);
		if (err)
			break;
	}
out:
	free(key);
	free(next);
	free(val);
	return err;
}

struct dump {
	char *keys, *vals;
	size_t ksize, vsize, n, cap;
};

static int dump_one(const void *key, const void *value, void *ctx)
{
	struct dump *d = ctx;

	if (d->n == d->cap) {
		size_t cap = d->cap * 2;
		char *k = realloc(d->keys, cap * d->ksize), *v;

		if (!k)
			return -ENOMEM;
		d->keys = k;
		v = realloc(d->vals, cap * d->vsize);
		if (!v)
			return -ENOMEM;
		d->vals = v;
		d->cap = cap;
	}
	memcpy(d->keys + d->n * d->ksize, key, d->ksize);
	memcpy(d->vals + d->n * d->vsize, value, d->vsize);
	d->n++;
	return 0;
}

int map_dump(int fd, size_t ksize, size_t vsize, void **keys, void **vals, size_t *n)
{
	struct dump d = { .ksize = ksize, .vsize = vsize, .cap = 1024 };
	int err;

	*keys = *vals = NULL;
	*n = 0;
	d.keys = malloc(d.cap * ksize);
	d.vals = malloc(d.cap * vsize);
	err = d.keys && d.vals ? map_for_each(fd, ksize, vsize, dump_one, &d) : -ENOMEM;
	if (err) {
		free(d.keys);
		free(d.vals);
		return err;
	}
	*keys = d.keys;
	*vals = d.vals;
	*n = d.n;
	return 0;
}

int map_percpu_sums(int fd, unsigned long long *sums, __u32 n)
{
	size_t mk, mv;
	__u32 type, k;
	__u64 *v;
	int ncpu, i, err;

	memset(sums, 0, n * sizeof(*sums));
	err = map_sizes(fd, &mk, &mv, &type);
	if (err)
		return err;
	ncpu = libbpf_num_possible_cpus();
	if (type != BPF_MAP_TYPE_PERCPU_ARRAY || mk != sizeof(__u32) ||
	    mv != (size_t)ncpu * sizeof(__u64))
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (i = 0; i < ncpu; i++)
			sums[k] += v[i];
	}
	free(v);
	return 0;
}

/* qsort and bsearch take no context: the key size of the sort under way. */
static _Thread_local size_t cmp_ksize;

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, cmp_ksize);
}

struct prune_pass {
	const struct map_prune *p;
	bool (*idle)(const void *key, const void *value, void *ctx);
	void *ctx;
	struct dump now;   /* keys idle at this pass */
	struct dump doomed; /* ... and at the previous one: keys only */
};

static int prune_one(const void *key, const void *value, void *ctx)
{
	struct prune_pass *pp = ctx;
	int err;

	if (!pp->idle(key, value, pp->ctx))
		return 0;
	err = dump_one(key, value, &pp->now);
	if (err)
		return err;
	cmp_ksize = pp->now.ksize;
	if (pp->p->nidle && bsearch(key, pp->p->idle_keys, pp->p->nidle, cmp_ksize, cmp_key))
		err = dump_one(key, value, &pp->doomed);
	return err;
}

int map_prune(int fd, size_t ksize, size_t vsize, struct map_prune *p,
	      bool (*idle)(const void *key, const void *value, void *ctx), void *ctx)
{
	struct prune_pass pp = { .p = p, .idle = idle, .ctx = ctx };
	char *val = malloc(vsize);
	size_t i, kept, ngone = 0;
	int err = -ENOMEM;

	pp.now = (struct dump){ .ksize = ksize, .vsize = vsize, .cap = 64 };
	pp.doomed = pp.now;
	pp.now.keys = malloc(pp.now.cap * ksize);
	pp.now.vals = malloc(pp.now.cap * vsize);
	pp.doomed.keys = malloc(pp.doomed.cap * ksize);
	pp.doomed.vals = malloc(pp.doomed.cap * vsize);
	if (!val || !pp.now.keys || !pp.now.vals || !pp.doomed.keys || !pp.doomed.vals)
		goto out;
	err = map_for_each(fd, ksize, vsize, prune_one, &pp);
	if (err)
		goto out;
	for (i = 0; i < pp.doomed.n; i++) {
		const char *key = pp.doomed.keys + i * ksize;

		if (bpf_map_lookup_and_delete_elem(fd, key, val)) {
			if (errno == ENOENT)
				continue; /* gone already */
			/* Hash maps have it since 5.14; other types (a stack
			 * trace map before 6.x) only a plain delete: their
			 * values are not counters an update could move. */
			if (bpf_map_lookup_elem(fd, key, val) || bpf_map_delete_elem(fd, key))
				continue;
		}
		if (idle(key, val, ctx)) {
			p->pruned++;
			/* Kept in doomed.keys[0..ngone): dropped from the
			 * candidates below. */
			memmove(pp.doomed.keys + ngone++ * ksize, key, ksize);
		}
		/* Updated between the read and the delete: put it back. */
		else if (bpf_map_update_elem(fd, key, val, BPF_NOEXIST))
			p->races++;
	}
	/* The keys idle now are the candidates of the next pass, but for
	 * those just removed: a key can come back as a new entry (a stack
	 * trace map's id is its hash bucket, which the next stack to hash
	 * there takes), and a new entry is not on its second sighting. */
	cmp_ksize = ksize;
	if (ngone) {
		qsort(pp.doomed.keys, ngone, ksize, cmp_key);
		for (i = 0, kept = 0; i < pp.now.n; i++) {
			const char *key = pp.now.keys + i * ksize;

			if (bsearch(key, pp.doomed.keys, ngone, ksize, cmp_key))
				continue;
			memmove(pp.now.keys + kept++ * ksize, key, ksize);
		}
		pp.now.n = kept;
	}
	if (pp.now.n)
		qsort(pp.now.keys, pp.now.n, ksize, cmp_key);
	free(p->idle_keys);
	p->idle_keys = pp.now.keys;
	p->nidle = pp.now.n;
	pp.now.keys = NULL;
out:
	free(val);
	free(pp.now.keys);
	free(pp.now.vals);
	free(pp.doomed.keys);
	free(pp.doomed.vals);
	return err;
}

void map_prune_free(struct map_prune *p)
{
	free(p->idle_keys);
	p->idle_keys = NULL;
	p->nidle = 0;
}
