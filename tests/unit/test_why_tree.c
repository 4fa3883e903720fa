/* Unit tests: the why tree adds up to MemTotal on fixtures and on this
 * machine, splits Shmem into mounts without exceeding it, and reports
 * overlapping counters instead of hiding them. */
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"
#include "unit.h"
#include "why/why.h"

#define FX "tests/fixtures/why/"
#define MiB (1ULL << 20)

/* Every inner node equals the sum of its children. */
static bool sums_ok(const struct why_tree *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		unsigned long long s = 0;
		bool inner = false;

		for (k = i + 1; k < t->n; k++)
			if (t->v[k].parent == (int)i) {
				s += t->v[k].bytes;
				inner = true;
			}
		if (inner && s != t->v[i].bytes)
			return false;
	}
	return true;
}

static bool load(struct why_report *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	return procfs_parse_meminfo(text, len, &r->mi) == 0;
}

static void check_fixture(const char *name, unsigned long long max_over)
{
	struct why_report r;
	char *buf = NULL, label[128];
	size_t len = 0;

	procfs_read_file(name, 1 << 20, &buf, &len, NULL);
	snprintf(label, sizeof(label), "tree %s: builds", name);
	CHECK(label, buf && load(&r, buf, len) && why_tree_build(&r) == 0);
	snprintf(label, sizeof(label), "tree %s: leaves add up to MemTotal", name);
	CHECK(label, r.tree.n && why_tree_leaf_sum(&r.tree) == meminfo_val(&r.mi, "MemTotal") &&
			     r.tree.v[0].bytes == meminfo_val(&r.mi, "MemTotal"));
	snprintf(label, sizeof(label), "tree %s: every node is the sum of its children", name);
	CHECK(label, sums_ok(&r.tree));
	snprintf(label, sizeof(label), "tree %s: counters overlap by at most %llu KiB", name, max_over >> 10);
	CHECK(label, r.tree.overcount <= max_over);
	why_report_free(&r);
	free(buf);
}

UNIT_SUITE(why_tree)
{
	static const char shm[] = "MemTotal: 1048576 kB\nMemFree: 524288 kB\nCached: 204800 kB\n"
				  "Shmem: 102400 kB\nAnonPages: 10240 kB\n";
	static const char over[] = "MemTotal: 102400 kB\nMemFree: 81920 kB\nAnonPages: 30720 kB\n";
	struct why_tmpfs mounts[2] = {
		{ .mountpoint = "/run", .fstype = "tmpfs", .used = 60 * MiB },
		{ .mountpoint = "/dev/shm", .fstype = "tmpfs", .used = 50 * MiB },
	};
	struct why_report r, live;
	struct why_opts o = { .top = 3, .top_files = 1, .threshold = 16 * MiB, .grow_min = 16 * MiB,
			      .proc_root = "/proc" };
	int i;

	check_fixture(FX "meminfo.6.18", 0);
	check_fixture(FX "meminfo.3.10", 0);

	CHECK("tree shmem fixture loads", load(&r, shm, sizeof(shm) - 1));
	r.tmpfs = mounts;
	r.ntmpfs = 2;
	CHECK("tree shmem: builds", why_tree_build(&r) == 0);
	i = why_tree_find(&r.tree, "MemTotal/user/shmem/tmpfs /run");
	CHECK("tree shmem: the largest mount is cut when parts overlap Shmem (and flagged)",
	      i > 0 && r.tree.v[i].bytes == 50 * MiB && r.tree.v[i].leaf_capped);
	i = why_tree_find(&r.tree, "MemTotal/user/shmem/tmpfs /dev/shm");
	CHECK("tree shmem: smaller mounts keep their exact size",
	      i > 0 && r.tree.v[i].bytes == 50 * MiB && !r.tree.v[i].leaf_capped);
	CHECK("tree shmem: file cache excludes Shmem",
	      (i = why_tree_find(&r.tree, "MemTotal/user/file cache")) > 0 && r.tree.v[i].bytes == 100 * MiB);
	CHECK("tree shmem: adds up", why_tree_leaf_sum(&r.tree) == 1024 * MiB && sums_ok(&r.tree));
	r.tmpfs = NULL;
	r.ntmpfs = 0;
	why_report_free(&r);

	CHECK("tree overlap fixture loads", load(&r, over, sizeof(over) - 1));
	CHECK("tree overlap: counters beyond MemTotal are reported, not hidden",
	      why_tree_build(&r) == 0 && r.tree.overcount == 10 * MiB &&
		      why_tree_leaf_sum(&r.tree) == 100 * MiB);
	why_report_free(&r);

	CHECK("tree without MemTotal is an error",
	      load(&r, "MemFree: 1 kB\n", 14) && why_tree_build(&r) != 0);
	why_report_free(&r);

	/* This machine: live counters drift per CPU between reads, a few
	 * pages per counter; 8 MiB bounds it with room. */
	CHECK("tree live: collects", why_collect(&live, &o) == 0 && why_tree_build(&live) == 0);
	CHECK("tree live: leaves add up to MemTotal",
	      why_tree_leaf_sum(&live.tree) == meminfo_val(&live.mi, "MemTotal") && sums_ok(&live.tree));
	CHECK("tree live: counters overlap by at most 8 MiB", live.tree.overcount <= 8 * MiB);
	why_report_free(&live);
}
