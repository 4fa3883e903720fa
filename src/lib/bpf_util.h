/* BPF map helpers for every mode: sizing, whole-map walks, per-CPU sums. */
#ifndef MEMLEAKBPF_BPF_UTIL_H
#define MEMLEAKBPF_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct bpf_map;

/* bpf_map__set_max_entries() before load, checked: on failure one error
 * line naming the map ("cannot size the BPF map X to N: ...") and a
 * negative errno, for the mode to exit 1 with. */
int map_set_size(struct bpf_map *map, unsigned long long entries);

/* Calls fn(key, value, ctx) for every entry of the map behind fd
 * (bpf_map_get_next_key, then a lookup).  An entry deleted between the two
 * is skipped: the maps change while they are read.  ksize and vsize are
 * the caller's key and value sizes: a map whose own differ is refused with
 * -EINVAL rather than overflowing the caller's buffers.  fn returns 0 to
 * go on, anything else to stop with that value.  Returns 0, fn's value or
 * a negative errno. */
int map_for_each(int fd, size_t ksize, size_t vsize,
		 int (*fn)(const void *key, const void *value, void *ctx), void *ctx);

/* Every entry of the map behind fd (as map_for_each), copied: keys into
 * *keys, values into *vals, *n of each; the caller frees both arrays,
 * never NULL after success, NULL after an error.  Returns 0 or a negative
 * errno. */
int map_dump(int fd, size_t ksize, size_t vsize, void **keys, void **vals, size_t *n);

/* A BPF_MAP_TYPE_PERCPU_ARRAY of __u64 counters: sums[k] = key k summed
 * over every possible CPU, for k < n.  A key the map lacks (or that cannot
 * be read) sums to 0.  Returns 0 or a negative errno (sums all 0 then). */
int map_percpu_sums(int fd, unsigned long long *sums, __u32 n);

/* Pruning idle entries, so that a run of weeks does not fill a map with
 * stacks that once allocated and now hold nothing.  An entry is removed on
 * its second idle sighting in a row (one whole report interval unused), so
 * a stack that allocates now and then keeps its entry.  The caller keeps
 * one struct per map, zeroed, across reports.
 *
 * The BPF side may look an entry up just before it is deleted and update
 * it just after.  The delete is bpf_map_lookup_and_delete_elem (where the
 * map type has none, e.g. a stack trace map before 6.x, a lookup and a
 * delete: such values are not counters an update moves): a value
 * that is no longer idle when it is taken out (an update came between the
 * read and the delete) is put back (BPF_NOEXIST); if the program has
 * re-created the entry first, the pass counts a race.  An update that
 * lands on the deleted element after the delete is the program's to
 * notice (it looks its entry up again and counts a drop).  Both are
 * reported, never silent. */
struct map_prune {
	void *idle_keys;   /* sorted: keys idle at the previous pass */
	size_t nidle;
	unsigned long long pruned; /* entries removed, over the run */
	unsigned long long races;  /* put back too late, over the run */
};

/* One pass over the map behind fd: idle(key, value, ctx) says whether an
 * entry holds nothing.  Returns 0 or a negative errno (nothing pruned). */
int map_prune(int fd, size_t ksize, size_t vsize, struct map_prune *p,
	      bool (*idle)(const void *key, const void *value, void *ctx), void *ctx);
void map_prune_free(struct map_prune *p);

#endif
