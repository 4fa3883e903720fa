/* The kernel mode's report (see kmem_report.h). */
#include "kernel/kmem_report.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "lib/json.h"

static const char *const kind_names[KMEM_NR_KINDS] = {
	[KMEM_KMALLOC] = "kmalloc",
	[KMEM_CACHE] = "kmem_cache",
	[KMEM_VMALLOC] = "vmalloc",
	[KMEM_PERCPU] = "percpu",
	[KMEM_PAGE] = "page",
};

static const char *const meminfo_names[KMI_NR] = {
	[KMI_SLAB] = "Slab",
	[KMI_SUNRECLAIM] = "SUnreclaim",
	[KMI_VMALLOC_USED] = "VmallocUsed",
	[KMI_PERCPU] = "Percpu",
};

const char *kmem_meminfo_name(enum kmem_meminfo_field f)
{
	return f < KMI_NR ? meminfo_names[f] : NULL;
}

void kmem_sysinfo_fill(struct kmem_sysinfo *out, const struct meminfo *mi,
		       const struct slabinfo *si)
{
	unsigned long long v, total = 0;
	size_t i;
	int f;

	memset(out, 0, sizeof(*out));
	for (f = 0; mi && f < KMI_NR; f++) {
		if (!meminfo_get(mi, meminfo_names[f], &v) || v > LLONG_MAX)
			continue;
		out->meminfo[f] = (long long)v;
		out->valid[f] = true;
	}
	if (!si || !si->version_ok || si->bad_lines)
		return;
	for (i = 0; i < si->n; i++) {
		const struct slab_cache *c = &si->c[i];

		if (c->active_objs > c->num_objs ||
		    (c->objsize && c->active_objs > (LLONG_MAX - total) / c->objsize))
			return;
		total += c->active_objs * c->objsize;
	}
	out->slab_objects = (long long)total;
	out->slab_valid = true;
}

const char *kmem_kind_name(unsigned int kind)
{
	return kind < KMEM_NR_KINDS ? kind_names[kind] : "unknown";
}

bool kmem_parse_kinds(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	const char *p = list, *end;
	unsigned int m = 0, k;
	size_t len;

	if (!list || !*list) {
		snprintf(bad, badlen, "%s", "");
		return false;
	}
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		for (k = 0; k < KMEM_NR_KINDS; k++)
			if (strlen(kind_names[k]) == len && strncmp(p, kind_names[k], len) == 0)
				break;
		if (k == KMEM_NR_KINDS) {
			snprintf(bad, badlen, "%.*s", (int)len, p);
			return false;
		}
		m |= 1U << k;
		if (!end)
			break;
		p = end + 1;
	}
	*mask = m;
	return true;
}

int kmem_report_add(struct kmem_report *r, const struct kmem_agg_key *key, long long bytes,
		    long long count)
{
	struct kmem_row *row;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct kmem_row *n = realloc(r->rows, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->rows = n;
		r->cap = cap;
	}
	row = &r->rows[r->n++];
	memset(row, 0, sizeof(*row));
	row->key = *key;
	row->bytes = bytes;
	row->count = count;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct kmem_row *x = a, *y = b;

	if (x->key.lost != y->key.lost)
		return x->key.lost < y->key.lost ? -1 : 1;
	if (x->key.stack != y->key.stack)
		return x->key.stack < y->key.stack ? -1 : 1;
	if (x->key.kind != y->key.kind)
		return x->key.kind < y->key.kind ? -1 : 1;
	if (x->key.cache != y->key.cache)
		return x->key.cache < y->key.cache ? -1 : 1;
	return 0;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct kmem_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_key(a, b);
}

void kmem_report_finish(struct kmem_report *r)
{
	size_t i, out = 0;

	memset(r->kind_bytes, 0, sizeof(r->kind_bytes));
	memset(r->kind_count, 0, sizeof(r->kind_count));
	r->lost_bytes = r->lost_count = 0;
	if (r->n)
		qsort(r->rows, r->n, sizeof(*r->rows), cmp_key);
	/* Merge rows of one key (the --older path adds one per allocation),
	 * keeping the first non-empty names. */
	for (i = 0; i < r->n; i++) {
		if (out && cmp_key(&r->rows[out - 1], &r->rows[i]) == 0) {
			struct kmem_row *dst = &r->rows[out - 1];

			dst->bytes += r->rows[i].bytes;
			dst->count += r->rows[i].count;
			if (!dst->comm[0])
				memcpy(dst->comm, r->rows[i].comm, sizeof(dst->comm));
			continue;
		}
		r->rows[out++] = r->rows[i];
	}
	r->n = out;
	/* A stack whose memory all came back has nothing to report; a negative
	 * count cannot happen from the BPF side and is dropped, not shown. */
	for (i = 0, out = 0; i < r->n; i++)
		if (r->rows[i].count > 0 && r->rows[i].bytes > 0)
			r->rows[out++] = r->rows[i];
	r->n = out;
	if (r->n)
		qsort(r->rows, r->n, sizeof(*r->rows), cmp_bytes);
	for (i = 0; i < r->n; i++) {
		unsigned int k = r->rows[i].key.kind;

		if (k < KMEM_NR_KINDS) {
			r->kind_bytes[k] += r->rows[i].bytes;
			r->kind_count[k] += r->rows[i].count;
		}
		if (r->rows[i].key.lost) {
			r->lost_bytes += r->rows[i].bytes;
			r->lost_count += r->rows[i].count;
		}
	}
}

static void free_frames(struct kmem_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->rows[i].frames);
		r->rows[i].frames = NULL;
		r->rows[i].nframes = 0;
	}
}

void kmem_report_reset(struct kmem_report *r)
{
	free_frames(r);
	r->n = 0;
	r->nmisses = 0;
	memset(r->stats, 0, sizeof(r->stats));
}

void kmem_report_free(struct kmem_report *r)
{
	if (!r)
		return;
	free_frames(r);
	free(r->rows);
	r->rows = NULL;
	r->n = r->cap = 0;
}

const char *kmem_stack_lost(unsigned int lost)
{
	switch (lost) {
	case KMEM_LOST_NONE:
		return NULL;
	case KMEM_LOST_MAP_FULL:
		return "stack table full: raise --max-stacks";
	case KMEM_LOST_COLLISION:
		return "64-bit stack hash collision";
	default:
		return "stack walk or store failed";
	}
}

static long long meminfo_delta(const struct kmem_report *r, int f, bool *ok)
{
	*ok = r->start.valid[f] && r->now.valid[f];
	return *ok ? r->now.meminfo[f] - r->start.meminfo[f] : 0;
}

/* Drop counters, in the order both outputs print them. */
static const struct {
	const char *json, *text;
	int stat;
} drop_names[] = {
	{ "allocs_map_full", "allocs map full", KMEM_ST_ALLOCS_FULL },
	{ "stacks_map_full", "stacks map full", KMEM_ST_AGG_FULL },
	{ "stack_table_full", "stack table full", KMEM_ST_STACK_FULL },
	{ "stack_collisions", "stack collisions", KMEM_ST_STACK_COLLISION },
	{ "stack_errors", "stack errors", KMEM_ST_STACK_ERROR },
	{ "missed_frees", "missed frees", KMEM_ST_STALE },
	{ "stack_prune_races", "prune races", KMEM_ST_PRUNE_RACE },
};

static unsigned long long total_misses(const struct kmem_report *r)
{
	unsigned long long t = 0;
	int i;

	for (i = 0; i < r->nmisses; i++)
		t += r->misses[i].misses;
	return t;
}

size_t kmem_rows_shown(const struct kmem_report *r)
{
	return r->top && r->top < r->n ? r->top : r->n;
}

static bool traced(const struct kmem_report *r, int kind)
{
	return r->kinds & (1U << kind);
}

static long long slab_tracked(const struct kmem_report *r)
{
	return r->kind_bytes[KMEM_KMALLOC] + r->kind_bytes[KMEM_CACHE];
}

static void text_share(FILE *out, long long tracked, long long delta)
{
	if (delta > 0)
		fprintf(out, " (%.0f%%)", 100.0 * (double)tracked / (double)delta);
}

/* "; vmalloc tracked X of VmallocUsed Y (Z%)": a kind's bytes against the
 * growth of the meminfo counter that holds them. */
static void text_tracked(FILE *out, const struct kmem_report *r, const char *what, int kind,
			 const char *counter, int f)
{
	char b1[32], b2[32];
	bool ok;
	long long d = meminfo_delta(r, f, &ok);

	fprintf(out, "; %s tracked %s", what,
		fmt_bytes_signed(b1, sizeof(b1), r->kind_bytes[kind], false));
	if (ok) {
		fprintf(out, " of %s %s", counter, fmt_bytes_signed(b2, sizeof(b2), d, false));
		text_share(out, r->kind_bytes[kind], d);
	}
}

void kmem_print_text(const struct kmem_report *r, FILE *out)
{
	char tb[32], b1[32], b2[32], b3[32];
	bool ok, ok2;
	long long d;
	size_t i;
	int k, s;

	fprintf(out, "[%s] outstanding kernel allocations since start (%.0fs", wall_time(r->timestamp, tb, sizeof(tb)),
		r->elapsed);
	if (r->older > 0)
		fprintf(out, ", older than %gs", r->older);
	if (r->sample > 1)
		fprintf(out, ", sampled 1 in %u", r->sample);
	fprintf(out, "):");
	for (k = 0; k < KMEM_NR_KINDS; k++) {
		if (traced(r, k))
			fprintf(out, " %s %s/%lld", kind_names[k],
				fmt_bytes_signed(b1, sizeof(b1), r->kind_bytes[k], false),
				r->kind_count[k]);
		else
			fprintf(out, " %s off", kind_names[k]);
		fputs(k + 1 < KMEM_NR_KINDS ? "," : "\n", out);
	}

	/* The summary: what share of the kernel's growth the stacks explain. */
	fprintf(out, "summary: slab tracked %s",
		fmt_bytes_signed(b1, sizeof(b1), slab_tracked(r), false));
	if (r->start.slab_valid && r->now.slab_valid) {
		d = r->now.slab_objects - r->start.slab_objects;
		fprintf(out, " of %s slabinfo object growth",
			fmt_bytes_signed(b2, sizeof(b2), d, false));
		text_share(out, slab_tracked(r), d);
	}
	d = meminfo_delta(r, KMI_SLAB, &ok);
	meminfo_delta(r, KMI_SUNRECLAIM, &ok2);
	if (ok && ok2)
		fprintf(out, ", Slab %s, SUnreclaim %s", fmt_bytes_signed(b2, sizeof(b2), d, false),
			fmt_bytes_signed(b3, sizeof(b3), meminfo_delta(r, KMI_SUNRECLAIM, &ok2), false));
	text_tracked(out, r, "vmalloc", KMEM_VMALLOC, "VmallocUsed", KMI_VMALLOC_USED);
	text_tracked(out, r, "percpu", KMEM_PERCPU, "Percpu", KMI_PERCPU);
	/* Included in the totals above: their bytes are known, their stacks not. */
	fprintf(out, "; stack lost %s/%lld\n", fmt_bytes_signed(b1, sizeof(b1), r->lost_bytes, false),
		r->lost_count);

	fprintf(out, "dropped:");
	for (i = 0; i < ARRAY_SIZE(drop_names); i++)
		fprintf(out, " %s %llu,", drop_names[i].text, r->stats[drop_names[i].stat]);
	fprintf(out, " recursion misses %llu; stacks walked %llu, reused %llu, fingerprint conflicts %llu\n",
		total_misses(r), r->stats[KMEM_ST_STACK_WALKS], r->stats[KMEM_ST_STACK_CACHED],
		r->stats[KMEM_ST_STACK_CONFLICT]);

	for (i = 0; i < kmem_rows_shown(r); i++) {
		const struct kmem_row *row = &r->rows[i];
		char comm[KMEM_COMM_LEN], cache[KMEM_CACHE_NAME_LEN];

		sanitize_text(comm, sizeof(comm), row->comm);
		sanitize_text(cache, sizeof(cache), row->cache_name);
		fprintf(out, "\t%lld bytes in %lld allocations, %s", row->bytes, row->count,
			kmem_kind_name(row->key.kind));
		if (row->key.kind == KMEM_CACHE)
			fprintf(out, " %s", cache[0] ? cache : "?");
		if (row->key.lost) {
			fprintf(out, ", first by %s[%u], [stack lost] (%s)\n", comm, row->pid,
				kmem_stack_lost(row->key.lost));
			continue;
		}
		fprintf(out, ", first by %s[%u], stack %016llx:\n", comm, row->pid,
			(unsigned long long)row->key.stack);
		for (s = 0; s < row->nframes; s++) {
			const struct kmem_frame *f = &row->frames[s];

			if (!f->function) {
				fprintf(out, "\t\t0x%llx\n", f->addr);
				continue;
			}
			fprintf(out, "\t\t%s+0x%llx%s%s%s\n", f->function, f->offset,
				f->module ? " [" : "", f->module ? f->module : "", f->module ? "]" : "");
		}
	}
	if (kmem_rows_shown(r) < r->n)
		fprintf(out, "\t... %zu more stacks (raise -T)\n", r->n - kmem_rows_shown(r));
	report_flush(out);
}

static void json_delta(struct json *j, const char *key, const struct kmem_report *r, int f)
{
	bool ok;
	long long d = meminfo_delta(r, f, &ok);

	json_kopt_i64(j, key, ok, d);
}

void kmem_print_json(const struct kmem_report *r, FILE *out)
{
	char buf[64], tb[32];
	struct json j;
	size_t i;
	int k, s;

	json_report_begin(&j, out, "kernel", r->timestamp, r->final);
	json_key(&j, "dropped");
	json_obj_begin(&j);
	for (i = 0; i < ARRAY_SIZE(drop_names); i++)
		json_ku64(&j, drop_names[i].json, r->stats[drop_names[i].stat]);
	json_ku64(&j, "recursion_misses", total_misses(r));
	json_key(&j, "recursion_misses_by_hook");
	json_obj_begin(&j);
	for (k = 0; k < r->nmisses; k++)
		json_ku64(&j, r->misses[k].hook, r->misses[k].misses);
	json_obj_end(&j);
	json_obj_end(&j);

	json_kstr(&j, "time", wall_time(r->timestamp, tb, sizeof(tb)));
	json_key(&j, "elapsed");
	json_double(&j, r->elapsed);
	json_key(&j, "older");
	if (r->older > 0)
		json_double(&j, r->older);
	else
		json_null(&j);
	json_ku64(&j, "sample", r->sample);

	json_key(&j, "totals");
	json_obj_begin(&j);
	for (k = 0; k < KMEM_NR_KINDS; k++) {
		json_key(&j, kind_names[k]);
		if (!traced(r, k)) {
			json_null(&j);
			continue;
		}
		json_obj_begin(&j);
		json_ki64(&j, "bytes", r->kind_bytes[k]);
		json_ki64(&j, "count", r->kind_count[k]);
		json_obj_end(&j);
	}
	json_obj_end(&j);

	json_key(&j, "summary");
	json_obj_begin(&j);
	if (traced(r, KMEM_KMALLOC) || traced(r, KMEM_CACHE))
		json_ki64(&j, "slab_tracked", slab_tracked(r));
	else
		json_knull(&j, "slab_tracked");
	if (traced(r, KMEM_VMALLOC))
		json_ki64(&j, "vmalloc_tracked", r->kind_bytes[KMEM_VMALLOC]);
	else
		json_knull(&j, "vmalloc_tracked");
	if (traced(r, KMEM_PERCPU))
		json_ki64(&j, "percpu_tracked", r->kind_bytes[KMEM_PERCPU]);
	else
		json_knull(&j, "percpu_tracked");
	if (r->start.slab_valid && r->now.slab_valid)
		json_ki64(&j, "slabinfo_objects_delta", r->now.slab_objects - r->start.slab_objects);
	else
		json_knull(&j, "slabinfo_objects_delta");
	json_key(&j, "meminfo_delta");
	json_obj_begin(&j);
	for (k = 0; k < KMI_NR; k++)
		json_delta(&j, kmem_meminfo_name(k), r, k);
	json_obj_end(&j);
	json_obj_end(&j);

	json_key(&j, "stacks");
	json_arr_begin(&j);
	for (i = 0; i < kmem_rows_shown(r); i++) {
		const struct kmem_row *row = &r->rows[i];

		json_obj_begin(&j);
		json_ki64(&j, "bytes", row->bytes);
		json_ki64(&j, "count", row->count);
		json_kstr(&j, "kind", kmem_kind_name(row->key.kind));
		/* JSON escaping is lossless: names go out as they are. */
		if (row->key.kind == KMEM_CACHE && row->cache_name[0])
			json_kstr(&j, "cache", row->cache_name);
		else
			json_knull(&j, "cache");
		json_kstr(&j, "comm", row->comm);
		json_ku64(&j, "pid", row->pid);
		/* A 64-bit key as a string: JSON readers keep 53 bits of a number. */
		if (!row->key.lost) {
			snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)row->key.stack);
			json_kstr(&j, "stack_id", buf);
			json_knull(&j, "stack_lost");
		} else {
			json_knull(&j, "stack_id");
			json_kstr(&j, "stack_lost", kmem_stack_lost(row->key.lost));
		}
		json_key(&j, "frames");
		json_arr_begin(&j);
		for (s = 0; s < row->nframes; s++) {
			const struct kmem_frame *f = &row->frames[s];

			json_obj_begin(&j);
			json_kstr(&j, "function", f->function);
			if (f->function)
				json_ku64(&j, "offset", f->offset);
			else
				json_knull(&j, "offset");
			json_kstr(&j, "module", f->module);
			snprintf(buf, sizeof(buf), "0x%llx", f->addr);
			json_kstr(&j, "address", buf);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_ku64(&j, "stacks_total", r->n);
	/* Rows without a stack, summed (already inside the totals). */
	json_key(&j, "stack_lost");
	json_obj_begin(&j);
	json_ki64(&j, "bytes", r->lost_bytes);
	json_ki64(&j, "count", r->lost_count);
	json_obj_end(&j);

	json_key(&j, "tracked");
	json_obj_begin(&j);
	json_ku64(&j, "allocs", r->stats[KMEM_ST_ALLOCS]);
	json_ku64(&j, "frees", r->stats[KMEM_ST_FREES]);
	json_ku64(&j, "sampled_out", r->stats[KMEM_ST_SAMPLED_OUT]);
	json_ku64(&j, "stack_walks", r->stats[KMEM_ST_STACK_WALKS]);
	json_ku64(&j, "stacks_reused", r->stats[KMEM_ST_STACK_CACHED]);
	json_ku64(&j, "fingerprint_conflicts", r->stats[KMEM_ST_STACK_CONFLICT]);
	json_ku64(&j, "stacks_pruned", r->stacks_pruned);
	json_obj_end(&j);

	json_obj_end(&j);
	json_end_line(&j);
}
