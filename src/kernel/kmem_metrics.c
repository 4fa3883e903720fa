/* memleakbpf kernel: the report as metrics (`memleakbpf serve`), read from
 * the same kmem_report as the text and JSON printers. */
#include <stdlib.h>

#include "kernel/kmem_report.h"
#include "lib/metrics.h"

void kmem_metrics(const struct kmem_report *r, unsigned int top, struct metrics *m)
{
	static const char *const cache_labels[] = { "cache" };
	struct metrics_row *rows;
	unsigned int k;
	size_t i, n;

	/* Kinds are few and fixed: every traced one, 0 included. */
	metrics_family(m, "memleakbpf_kernel_outstanding_bytes", METRIC_GAUGE, "bytes",
		       "kernel bytes allocated since tracing began and not freed, per kind");
	for (k = 0; k < KMEM_NR_KINDS; k++)
		if (r->kinds & (1U << k))
			metrics_add(m, r->kind_bytes[k], "kind", kmem_kind_name(k), NULL);
	metrics_family(m, "memleakbpf_kernel_outstanding_allocations", METRIC_GAUGE, NULL,
		       "kernel allocations made since tracing began and not freed, per kind");
	for (k = 0; k < KMEM_NR_KINDS; k++)
		if (r->kinds & (1U << k))
			metrics_add(m, r->kind_count[k], "kind", kmem_kind_name(k), NULL);

	metrics_family(m, "memleakbpf_kernel_cache_outstanding_bytes", METRIC_GAUGE, "bytes",
		       "kmem_cache bytes allocated since tracing began and not freed, per cache");
	rows = calloc(r->n + 1, sizeof(*rows));
	if (!rows) {
		m->nomem = true;
		return;
	}
	for (i = n = 0; i < r->n; i++)
		if (r->rows[i].key.kind == KMEM_CACHE)
			rows[n++] = (struct metrics_row){ { r->rows[i].cache_name },
							  r->rows[i].bytes };
	metrics_add_top(m, cache_labels, 1, rows, n, top);
	free(rows);

	metrics_family(m, "memleakbpf_kernel_stack_lost_bytes", METRIC_GAUGE, "bytes",
		       "of the outstanding bytes, those whose stack could not be kept");
	metrics_add(m, r->lost_bytes, NULL);
	/* Not in the bytes above: a full table, a missed free. */
	metrics_family(m, "memleakbpf_kernel_dropped", METRIC_COUNTER, NULL,
		       "kernel allocations not tracked, per reason");
	metrics_add(m, r->stats[KMEM_ST_ALLOCS_FULL], "reason", "allocs_map_full", NULL);
	metrics_add(m, r->stats[KMEM_ST_AGG_FULL], "reason", "stacks_map_full", NULL);
	metrics_add(m, r->stats[KMEM_ST_STALE], "reason", "missed_free", NULL);
}
