/* Unit tests: each mode's metrics renderer (`memleakbpf serve`) on a
 * hand-built model, read back as OpenMetrics text. */
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "kernel/kmem_report.h"
#include "lib/metrics.h"
#include "oom/oom_report.h"
#include "shmem/shmem_int.h"
#include "unit.h"
#include "user/user_report.h"
#include "why/why.h"

/* The OpenMetrics text of m, freed with it. */
static char *om(struct metrics *m)
{
	char *buf = NULL;
	size_t len;

	if (metrics_render(m, METRICS_OPENMETRICS, true, &buf, &len))
		buf = NULL;
	metrics_free(m);
	return buf;
}

static bool has(const char *t, const char *line)
{
	return t && strstr(t, line);
}

UNIT_SUITE(metrics_shmem)
{
	struct sh_writer w1 = { .tgid = 7, .comm = "writer", .cgroup = "/a.slice", .bytes = 8192 };
	struct sh_writer w2 = { .tgid = 8, .comm = "writer", .cgroup = "/a.slice", .bytes = 4096 };
	struct sh_writer w3 = { .tgid = 9, .comm = "small", .cgroup = "/b", .bytes = 1024 };
	struct sh_writer unk = { .bytes = 512 };
	struct sh_writer *ws[] = { &w1, &w2, &w3, &unk };
	struct sh_mount mounts[] = {
		{ .mountpoint = "/dev/shm", .bytes_tracked = 12288, .bytes_used = 20480, .shown = true },
		{ .mountpoint = "/run", .bytes_tracked = 1024, .hidden = true, .shown = true },
		{ .mountpoint = "/tmp", .bytes_tracked = 99, .shown = false },
	};
	struct sh_report r = { .writers = ws, .nwriters = 4, .mounts = mounts, .nmounts = 3,
			       .dropped = 3 };
	struct metrics m = {};
	char *t;

	sh_metrics(&r, 1, &m);
	t = om(&m);
	CHECK("shmem metrics: two writers of one comm and cgroup are one series",
	      has(t, "memleakbpf_shmem_writer_bytes{comm=\"writer\",cgroup=\"/a.slice\"} 12288\n"));
	CHECK("shmem metrics: past --top, the rest (the unknown writer too) under other",
	      has(t, "memleakbpf_shmem_writer_bytes{comm=\"other\",cgroup=\"other\"} 1536\n") &&
	      !has(t, "small"));
	CHECK("shmem metrics: mount bytes, shown mounts only",
	      has(t, "memleakbpf_shmem_mount_bytes{mountpoint=\"/dev/shm\"} 12288\n") &&
	      has(t, "memleakbpf_shmem_mount_bytes{mountpoint=\"other\"} 1024\n") && !has(t, "\"/tmp\""));
	CHECK("shmem metrics: statvfs used, not for a hidden mount",
	      has(t, "memleakbpf_shmem_mount_used_bytes{mountpoint=\"/dev/shm\"} 20480\n") &&
	      !has(t, "memleakbpf_shmem_mount_used_bytes{mountpoint=\"/run\"}"));
	CHECK("shmem metrics: drops as a counter", has(t, "memleakbpf_shmem_dropped_total 3\n"));
	free(t);
}

UNIT_SUITE(metrics_kernel)
{
	struct kmem_agg_key a = { .stack = 1, .kind = KMEM_KMALLOC };
	struct kmem_agg_key b = { .stack = 2, .kind = KMEM_CACHE, .cache = 1 };
	struct kmem_agg_key c = { .stack = 3, .kind = KMEM_CACHE, .cache = 2 };
	struct kmem_agg_key d = { .lost = KMEM_LOST_MAP_FULL, .kind = KMEM_KMALLOC };
	struct kmem_report r = { .kinds = (1U << KMEM_KMALLOC) | (1U << KMEM_CACHE) | (1U << KMEM_VMALLOC) };
	struct metrics m = {};
	size_t i;
	char *t;

	kmem_report_add(&r, &a, 100, 2);
	kmem_report_add(&r, &b, 500, 1);
	kmem_report_add(&r, &c, 64, 1);
	kmem_report_add(&r, &d, 30, 1);
	kmem_report_finish(&r);
	r.stats[KMEM_ST_ALLOCS_FULL] = 7;
	for (i = 0; i < r.n; i++)
		if (r.rows[i].key.kind == KMEM_CACHE)
			strcpy(r.rows[i].cache_name, r.rows[i].key.cache == 1 ? "filp" : "dentry");
	kmem_metrics(&r, 10, &m);
	t = om(&m);
	CHECK("kernel metrics: bytes per traced kind, 0 included, untraced left out",
	      has(t, "memleakbpf_kernel_outstanding_bytes{kind=\"kmalloc\"} 130\n") &&
	      has(t, "memleakbpf_kernel_outstanding_bytes{kind=\"kmem_cache\"} 564\n") &&
	      has(t, "memleakbpf_kernel_outstanding_bytes{kind=\"vmalloc\"} 0\n") &&
	      !has(t, "kind=\"page\""));
	CHECK("kernel metrics: allocations per kind",
	      has(t, "memleakbpf_kernel_outstanding_allocations{kind=\"kmalloc\"} 3\n"));
	CHECK("kernel metrics: bytes per cache",
	      has(t, "memleakbpf_kernel_cache_outstanding_bytes{cache=\"filp\"} 500\n") &&
	      has(t, "memleakbpf_kernel_cache_outstanding_bytes{cache=\"dentry\"} 64\n"));
	CHECK("kernel metrics: lost-stack bytes", has(t, "memleakbpf_kernel_stack_lost_bytes 30\n"));
	CHECK("kernel metrics: drops per reason",
	      has(t, "memleakbpf_kernel_dropped_total{reason=\"allocs_map_full\"} 7\n"));
	free(t);
	kmem_report_free(&r);
}

UNIT_SUITE(metrics_oom)
{
	struct oom_report k1 = { .v_comm = "hog", .v_memcg = "/test.slice", .has_points = true,
				 .v_points = 1000, .timestamp = 1764676800 };
	struct oom_report k2 = k1;
	struct oom_tally tally = {};
	struct metrics m = {};
	char *t;

	oom_metrics(&tally, 10, &m);
	t = om(&m);
	CHECK("oom metrics: before any kill, the families without samples",
	      has(t, "# TYPE memleakbpf_oom_kills counter\n") && !has(t, "_total{"));
	free(t);
	k2.v_points = 2000;
	k2.timestamp++;
	oom_tally_add(&tally, &k1);
	oom_tally_add(&tally, &k2);
	oom_metrics(&tally, 10, &m);
	t = om(&m);
	CHECK("oom metrics: kills counted per victim and memcg",
	      has(t, "memleakbpf_oom_kills_total{victim=\"hog\",memcg=\"/test.slice\"} 2\n"));
	CHECK("oom metrics: the last kill's points and time",
	      has(t, "memleakbpf_oom_last_kill_points{victim=\"hog\",memcg=\"/test.slice\"} 2000\n") &&
	      has(t, "memleakbpf_oom_last_kill_timestamp_seconds{victim=\"hog\",memcg=\"/test.slice\"} 1764676801\n"));
	free(t);
	oom_tally_free(&tally);
}

UNIT_SUITE(metrics_why_user)
{
	struct why_report r = {};
	struct user_report u = { .total_bytes = 223000, .total_count = 15 };
	struct report_opts o = { .pid = 42, .comm = "leaky", .target_exited = true };
	struct metrics m = {};
	char *t;

	why_tree_add(&r.tree, -1, "MemTotal", 1000);
	why_tree_add(&r.tree, 0, "free", 600);
	why_tree_add(&r.tree, 0, "kernel", 400);
	why_tree_add(&r.tree, 2, "slab", 400);
	why_metrics(&r, &m);
	t = om(&m);
	CHECK("why metrics: every node by its path",
	      has(t, "memleakbpf_why_bytes{category=\"MemTotal\"} 1000\n") &&
	      has(t, "memleakbpf_why_bytes{category=\"MemTotal/kernel/slab\"} 400\n"));
	free(t);
	why_tree_free(&r.tree);

	user_metrics(&u, &o, &m);
	t = om(&m);
	CHECK("user metrics: the target's totals",
	      has(t, "memleakbpf_user_outstanding_bytes{pid=\"42\",comm=\"leaky\"} 223000\n") &&
	      has(t, "memleakbpf_user_outstanding_allocations{pid=\"42\",comm=\"leaky\"} 15\n") &&
	      has(t, "memleakbpf_user_target_exited{pid=\"42\",comm=\"leaky\"} 1\n"));
	free(t);
}
