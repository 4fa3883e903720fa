/* Unit tests: lib/bpf_util (map sizing, walks, dumps, per-CPU sums). */

/* On real maps created here; no program is loaded.  Creating a map needs
 * CAP_BPF: without it those checks say so in one line and are not run. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/bpf_util.h"
#include "shmem.skel.h"
#include "unit.h"

struct val {
	__u64 a, b;
};

struct walk {
	int seen, stop_at;
	bool values_match;
};

static int count_entry(const void *key, const void *value, void *ctx)
{
	const struct val *v = value;
	struct walk *w = ctx;

	w->values_match = w->values_match && v->a == *(const __u64 *)key * 3 && v->b == ~v->a;
	return ++w->seen == w->stop_at ? 7 : 0;
}

static void hash_suite(void)
{
	const int n = 3000; /* more than map_dump's first allocation */
	struct walk w = { .values_match = true };
	struct val *vals = NULL;
	__u64 *keys = NULL, k, sum = 0, want = 0;
	size_t got = 0, i;
	int fd, err, empty;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ut_hash", sizeof(__u64), sizeof(struct val), 4096, NULL);
	empty = bpf_map_create(BPF_MAP_TYPE_HASH, "ut_empty", sizeof(__u64), sizeof(struct val), 16, NULL);
	if (fd < 0 || empty < 0) {
		printf("skip: unit: bpf_util: cannot create maps (%s): needs root or CAP_BPF\n",
		       strerror(fd < 0 ? errno : -empty));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (k = 1; k <= (__u64)n; k++) {
		struct val v = { k * 3, ~(k * 3) };

		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		want += k;
	}
	err = map_dump(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals, &got);
	for (i = 0; !err && i < got; i++)
		if (vals[i].a == keys[i] * 3)
			sum += keys[i];
	CHECK("map_dump: every entry, each key with its value", !err && got == (size_t)n && sum == want);
	free(keys);
	free(vals);

	CHECK("map_for_each: every entry, values as stored",
	      map_for_each(fd, sizeof(__u64), sizeof(struct val), count_entry, &w) == 0 &&
	      w.seen == n && w.values_match);
	w = (struct walk){ .stop_at = 5, .values_match = true };
	CHECK("map_for_each: the callback's non-zero stops the walk and is returned",
	      map_for_each(fd, sizeof(__u64), sizeof(struct val), count_entry, &w) == 7 && w.seen == 5);

	keys = (void *)1;
	vals = (void *)1;
	err = map_dump(fd, sizeof(__u64), sizeof(__u64), (void **)&keys, (void **)&vals, &got);
	CHECK("map_dump: a value size that is not the map's is refused, nothing to free",
	      err == -EINVAL && !keys && !vals && got == 0);
	CHECK("map_for_each: a key size that is not the map's is refused",
	      map_for_each(fd, sizeof(__u32), sizeof(struct val), count_entry, &w) == -EINVAL);

	err = map_dump(empty, sizeof(__u64), sizeof(struct val), (void **)&keys, (void **)&vals, &got);
	CHECK("map_dump: an empty map gives 0 entries and arrays to free",
	      err == 0 && got == 0 && keys && vals);
	free(keys);
	free(vals);
	close(empty);
	close(fd);
}

static void percpu_suite(void)
{
	int ncpu = libbpf_num_possible_cpus(), fd, plain, i;
	unsigned long long sums[6];
	__u64 *per = calloc(ncpu > 0 ? ncpu : 1, sizeof(*per));
	__u32 k = 1;

	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ut_percpu", sizeof(__u32), sizeof(__u64), 4, NULL);
	plain = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ut_array", sizeof(__u32), sizeof(__u64), 4, NULL);
	if (fd < 0 || plain < 0 || !per || ncpu <= 0) {
		printf("skip: unit: bpf_util: cannot create per-CPU maps: needs root or CAP_BPF\n");
		if (fd >= 0)
			close(fd);
		if (plain >= 0)
			close(plain);
		free(per);
		return;
	}
	for (i = 0; i < ncpu; i++)
		per[i] = i + 1;
	bpf_map_update_elem(fd, &k, per, BPF_ANY);
	k = 3;
	per[0] = 1000;
	for (i = 1; i < ncpu; i++)
		per[i] = 0;
	bpf_map_update_elem(fd, &k, per, BPF_ANY);
	memset(sums, 0xff, sizeof(sums));
	CHECK("map_percpu_sums: each key summed over every possible CPU",
	      map_percpu_sums(fd, sums, 4) == 0 && sums[0] == 0 &&
	      sums[1] == (unsigned long long)ncpu * (ncpu + 1) / 2 && sums[2] == 0 && sums[3] == 1000);
	memset(sums, 0xff, sizeof(sums));
	CHECK("map_percpu_sums: keys past the map's end read 0",
	      map_percpu_sums(fd, sums, 6) == 0 && sums[3] == 1000 && sums[4] == 0 && sums[5] == 0);
	memset(sums, 0xff, sizeof(sums));
	CHECK("map_percpu_sums: a map that is not per-CPU is refused, sums 0",
	      map_percpu_sums(plain, sums, 2) == -EINVAL && sums[0] == 0 && sums[1] == 0);
	close(plain);
	close(fd);
	free(per);
}

/* map_prune's idle test, with the BPF side played by its side effects: an
 * update between the walk's read and the delete (flip), and an entry
 * re-created between the delete and the put-back (recreate). */
struct prune_ctx {
	int fd;
	__u64 flip, recreate;
};

static bool val_idle(const void *key, const void *value, void *ctx)
{
	const struct val *v = value;
	struct prune_ctx *c = ctx;
	__u64 k = *(const __u64 *)key;
	struct val busy = { 9, 0 }, again = { 77, 0 };

	if (c && (k == c->flip || k == c->recreate) && v->a == 0)
		bpf_map_update_elem(c->fd, &k, &busy, BPF_EXIST); /* after our read */
	else if (c && k == c->recreate && v->a == 9)
		bpf_map_update_elem(c->fd, &k, &again, BPF_NOEXIST); /* after the delete */
	return v->a == 0 && v->b == 0;
}

static long long value_of(int fd, __u64 k)
{
	struct val v;

	return bpf_map_lookup_elem(fd, &k, &v) ? -1 : (long long)v.a;
}

static void prune_suite(void)
{
	struct map_prune p = {};
	struct prune_ctx c;
	struct val idle = { 0, 0 }, busy = { 1, 0 };
	__u64 k;
	size_t n = 0;
	void *keys, *vals;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ut_prune", sizeof(__u64), sizeof(struct val), 64, NULL);
	if (fd < 0) {
		printf("skip: unit: bpf_util: cannot create a hash map: needs root or CAP_BPF\n");
		return;
	}
	for (k = 1; k <= 10; k++)
		bpf_map_update_elem(fd, &k, k <= 8 ? &idle : &busy, BPF_ANY);
	CHECK("map_prune: a first idle sighting removes nothing",
	      map_prune(fd, sizeof(k), sizeof(struct val), &p, val_idle, NULL) == 0 && p.pruned == 0 &&
	      p.nidle == 8 && value_of(fd, 1) == 0);
	k = 3;
	bpf_map_update_elem(fd, &k, &busy, BPF_ANY);
	c = (struct prune_ctx){ .fd = fd, .flip = 7, .recreate = 8 };
	CHECK("map_prune: the second removes what stayed idle",
	      map_prune(fd, sizeof(k), sizeof(struct val), &p, val_idle, &c) == 0 && p.pruned == 5 &&
	      value_of(fd, 1) == -1 && value_of(fd, 2) == -1 && value_of(fd, 4) == -1 &&
	      value_of(fd, 5) == -1 && value_of(fd, 6) == -1);
	CHECK("map_prune: an entry used again in between is kept", value_of(fd, 3) == 1);
	CHECK("map_prune: updated between the read and the delete: put back, updated",
	      value_of(fd, 7) == 9);
	CHECK("map_prune: re-created before the put-back: the new entry stays, a race is counted",
	      value_of(fd, 8) == 77 && p.races == 1);
	CHECK("map_prune: busy entries untouched", value_of(fd, 9) == 1 && value_of(fd, 10) == 1);
	CHECK("map_prune: 5 entries left",
	      map_dump(fd, sizeof(k), sizeof(struct val), &keys, &vals, &n) == 0 && n == 5);
	free(keys);
	free(vals);
	/* A removed key that comes back (a stack id is a hash bucket) is a
	 * new entry: its first idle sighting again. */
	k = 1;
	bpf_map_update_elem(fd, &k, &idle, BPF_NOEXIST);
	CHECK("map_prune: a removed key re-created idle is kept at its first sighting",
	      map_prune(fd, sizeof(k), sizeof(struct val), &p, val_idle, NULL) == 0 &&
	      p.pruned == 5 && value_of(fd, 1) == 0);
	CHECK("map_prune: ... and removed at its second",
	      map_prune(fd, sizeof(k), sizeof(struct val), &p, val_idle, NULL) == 0 &&
	      p.pruned == 6 && value_of(fd, 1) == -1);
	map_prune_free(&p);
	close(fd);
}

/* map_set_size's error line is expected here: it goes to /dev/null, where
 * it cannot land inside a buffered PASS line of this output. */
static int refused_size(struct bpf_map *map, unsigned long long entries)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY), err;

	fflush(stdout);
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	err = map_set_size(map, entries);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return err;
}

/* Sizing needs an opened object, not a loaded one: no privilege. */
static void size_suite(void)
{
	struct shmem_bpf *skel = shmem_bpf__open();

	CHECK("map_set_size: an opened skeleton", skel != NULL);
	if (!skel)
		return;
	CHECK("map_set_size: sizes a map before load",
	      map_set_size(skel->maps.writers, 1000) == 0 &&
	      bpf_map__max_entries(skel->maps.writers) == 1000);
	CHECK("map_set_size: a size past 32 bits is refused, not wrapped",
	      refused_size(skel->maps.writers, (1ULL << 32) + 16) == -E2BIG &&
	      bpf_map__max_entries(skel->maps.writers) == 1000);
	shmem_bpf__destroy(skel);
}

UNIT_SUITE(bpf_util)
{
	size_suite();
	hash_suite();
	percpu_suite();
	prune_suite();
}
