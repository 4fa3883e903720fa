/* BPF map helpers for every mode: sizing, whole-map walks, per-CPU sums. */
#ifndef MEMLEAKBPF_BPF_UTIL_H
#define MEMLEAKBPF_BPF_UTIL_H

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

#endif
