/* memleakbpf shmem: the report as metrics (`memleakbpf serve`), a third
 * renderer beside the text and JSON twins, reading the same sh_report. */
#include <stdlib.h>

#include "lib/metrics.h"
#include "shmem/shmem_int.h"

void sh_metrics(const struct sh_report *r, unsigned int top, struct metrics *m)
{
	static const char *const writer_labels[] = { "comm", "cgroup" };
	static const char *const mount_labels[] = { "mountpoint" };
	struct metrics_row *rows = calloc(r->nwriters + r->nmounts + 1, sizeof(*rows));
	size_t i, n;

	if (!rows) {
		m->nomem = true;
		return;
	}
	/* Writers as the report lists them (pids are not labels: a writer's
	 * comm and cgroup are what stays meaningful across restarts). */
	metrics_family(m, "memleakbpf_shmem_writer_bytes", METRIC_GAUGE, "bytes",
		       "shmem/tmpfs bytes resident per writer (comm, cgroup) since tracing began");
	for (i = 0; i < r->nwriters; i++) {
		const struct sh_writer *w = r->writers[i];

		rows[i].v[0] = w->tgid ? w->comm : "[unknown]";
		rows[i].v[1] = w->cgroup ? w->cgroup : "";
		rows[i].value = w->bytes;
	}
	metrics_add_top(m, writer_labels, 2, rows, r->nwriters, top);

	metrics_family(m, "memleakbpf_shmem_mount_bytes", METRIC_GAUGE, "bytes",
		       "bytes written to each tmpfs mount since tracing began");
	for (i = n = 0; i < r->nmounts; i++)
		if (r->mounts[i].shown)
			rows[n++] = (struct metrics_row){ { r->mounts[i].mountpoint },
							  r->mounts[i].bytes_tracked };
	metrics_add_top(m, mount_labels, 1, rows, n, top);

	metrics_family(m, "memleakbpf_shmem_mount_used_bytes", METRIC_GAUGE, "bytes",
		       "bytes used on each tmpfs mount (statvfs), traced or not");
	for (i = n = 0; i < r->nmounts; i++)
		if (r->mounts[i].shown && !r->mounts[i].hidden)
			rows[n++] = (struct metrics_row){ { r->mounts[i].mountpoint },
							  r->mounts[i].bytes_used };
	metrics_add_top(m, mount_labels, 1, rows, n, top);

	metrics_family(m, "memleakbpf_shmem_dropped", METRIC_COUNTER, NULL,
		       "shmem events and pages not tracked (tables full, events lost)");
	metrics_add(m, r->dropped, NULL);
	free(rows);
}
