/* Unit tests: findings from synthetic reports, for the cases an end-to-end
 * test cannot stage (kernel memory, unexplained memory, slab growth). */
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"
#include "unit.h"
#include "why/why.h"

#define MiB (1ULL << 20)

static const struct why_opts opts = {
	.top = 10, .top_files = 5, .threshold = 16 * MiB, .grow_min = 16 * MiB, .proc_root = "/proc",
};

static bool load(struct why_report *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	return procfs_parse_meminfo(text, strlen(text), &r->mi) == 0 && why_tree_build(r) == 0;
}

static const struct why_finding *find(const struct why_report *r, const char *next, const char *word)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].next_command, next) && strstr(r->findings[i].text, word))
			return &r->findings[i];
	return NULL;
}

UNIT_SUITE(why_findings)
{
	/* 1 GiB machine: 300 MiB SUnreclaim, 200 MiB nobody accounts for. */
	static const char kern[] = "MemTotal: 1048576 kB\nMemFree: 307200 kB\nAnonPages: 10240 kB\n"
				   "Slab: 317440 kB\nSReclaimable: 10240 kB\nSUnreclaim: 307200 kB\n"
				   "KReclaimable: 10240 kB\nVmallocUsed: 0 kB\n";
	static const char quiet[] = "MemTotal: 1048576 kB\nMemFree: 1000000 kB\nAnonPages: 40000 kB\n"
				    "Slab: 8576 kB\nSReclaimable: 4000 kB\nSUnreclaim: 4576 kB\n"
				    "KReclaimable: 4000 kB\n";
	static const char grown[] = "MemTotal: 1048576 kB\nMemFree: 967680 kB\nAnonPages: 40000 kB\n"
				    "Slab: 40896 kB\nSReclaimable: 4000 kB\nSUnreclaim: 36896 kB\n"
				    "KReclaimable: 4000 kB\n";
	struct why_proc p0 = { .proc.pid = 4242, .proc.comm = "java", .proc.rss_anon = 100 * MiB,
			       .proc.rss = 110 * MiB, .proc.rss_file = 10 * MiB,
			       .proc.vm_size = 1000 * MiB, .proc.has_rss_split = true };
	struct why_proc p1 = p0;
	struct why_report r, first;
	const struct why_finding *f;

	CHECK("findings: kernel fixture loads", load(&r, kern));
	why_findings(&r, NULL, &opts);
	f = find(&r, "memleakbpf kernel", "SUnreclaim is 300.0 MiB");
	CHECK("findings: large SUnreclaim -> memleakbpf kernel, as a warning",
	      f && !strcmp(f->severity, "warning") && strstr(f->evidence, "SUnreclaim"));
	CHECK("findings: unexplained memory -> memleakbpf kernel", find(&r, "memleakbpf kernel", "no counter accounts"));
	why_report_free(&r);

	CHECK("findings: quiet fixture loads", load(&r, quiet));
	why_findings(&r, NULL, &opts);
	CHECK("findings: a quiet machine has none", r.nfindings == 0);
	why_report_free(&r);

	/* One snapshot: a process mostly private anon.  Its evidence names
	 * three sizes, each from its own buffer (VmSize once overwrote RssAnon). */
	CHECK("findings: process fixture loads", load(&r, quiet));
	r.procs = &p0;
	r.nprocs = 1;
	why_findings(&r, NULL, &opts);
	f = find(&r, "memleakbpf -p 4242", "private anon against 10.0 MiB shared");
	CHECK_STR("findings: a private-anon process's evidence gives RssAnon and VmSize apart",
		  "/proc/4242/status: RssAnon 100.0 MiB, RssFile+RssShmem 10.0 MiB, VmSize 1000.0 MiB",
		  f ? f->evidence : NULL);
	r.procs = NULL; /* on the stack */
	r.nprocs = 0;
	why_report_free(&r);

	/* --watch: SUnreclaim +32 MiB, a process's private anon +200 MiB with
	 * shared flat, VIRT +1 GiB with RSS flat on another. */
	CHECK("findings: trend fixtures load", load(&first, quiet) && load(&r, grown));
	first.procs = &p0;
	first.nprocs = 1;
	p1.proc.rss_anon += 200 * MiB;
	p1.proc.rss += 200 * MiB;
	r.procs = &p1;
	r.nprocs = 1;
	r.watching = true;
	r.elapsed = 600;
	CHECK("findings: growth computed", why_growth(&r, &first, &first) == 0);
	why_findings(&r, &first, &opts);
	CHECK("findings: SUnreclaim grew -> memleakbpf kernel",
	      find(&r, "memleakbpf kernel", "SUnreclaim grew 31.6 MiB in 600 s"));
	CHECK("findings: private anon grew, shared flat -> memleakbpf -p",
	      find(&r, "memleakbpf -p 4242", "heap leak likely"));
	CHECK("findings: RSS grew, so no address-space finding",
	      !find(&r, "memleakbpf -p 4242", "address-space"));
	r.procs = NULL; /* on the stack */
	r.nprocs = 0;
	why_report_free(&r);
	p1 = p0;
	p1.proc.vm_size += 1024 * MiB;
	CHECK("findings: VIRT fixture loads", load(&r, quiet));
	r.procs = &p1;
	r.nprocs = 1;
	r.watching = true;
	r.elapsed = 60;
	why_growth(&r, &first, &first);
	why_findings(&r, &first, &opts);
	CHECK("findings: VIRT grows while RSS stays flat -> address-space leak",
	      find(&r, "memleakbpf -p 4242", "address-space leak"));
	CHECK("findings: no heap finding without anon growth", !find(&r, "memleakbpf -p 4242", "heap leak likely"));
	r.procs = NULL;
	r.nprocs = 0;
	first.procs = NULL;
	first.nprocs = 0;
	why_report_free(&r);
	why_report_free(&first);
}
