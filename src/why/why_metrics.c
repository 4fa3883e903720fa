/* memleakbpf why: the tree as metrics (`memleakbpf serve`), read from the
 * same why_report as the text and JSON printers. */
#include <string.h>

#include "lib/metrics.h"
#include "why/why.h"

void why_metrics(const struct why_report *r, struct metrics *m)
{
	char path[1024];
	size_t i, warning = 0;

	/* Every node of the tree, named by its path from MemTotal; a node's
	 * bytes include its children's, leaves add up to MemTotal.  The tree
	 * is bounded by construction: fixed categories, plus the tmpfs
	 * mounts and the top slab caches (why's --top). */
	metrics_family(m, "memleakbpf_why_bytes", METRIC_GAUGE, "bytes",
		       "bytes per category of the MemTotal tree (memleakbpf why), "
		       "children included");
	for (i = 0; i < r->tree.n; i++) {
		why_tree_path(&r->tree, (int)i, path, sizeof(path));
		metrics_add(m, r->tree.v[i].bytes, "category", path, NULL);
	}
	metrics_family(m, "memleakbpf_why_findings", METRIC_GAUGE, NULL,
		       "findings of the last diagnosis, per severity");
	for (i = 0; i < r->nfindings; i++)
		warning += !strcmp(r->findings[i].severity, "warning");
	metrics_add(m, r->nfindings - warning, "severity", "info", NULL);
	metrics_add(m, warning, "severity", "warning", NULL);
}
