/* Unit tests: kernel mode parsers (/proc/meminfo, /proc/slabinfo, --kind),
 * report merging and the JSON/text twins on a report built by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kmem_report.h"
#include "probe/probe.h"
#include "procfs/procfs.h"
#include "unit.h"

/* Kernel mode's numbers from /proc text, through the procfs parsers. */
static void sysinfo_of(const char *meminfo, const char *slabinfo, struct kmem_sysinfo *out)
{
	struct meminfo mi = {};
	struct slabinfo si = {};
	bool mi_ok = meminfo && procfs_parse_meminfo(meminfo, strlen(meminfo), &mi) == 0;
	bool si_ok = slabinfo && procfs_parse_slabinfo(slabinfo, strlen(slabinfo), 4096, &si) == 0;

	kmem_sysinfo_fill(out, mi_ok ? &mi : NULL, si_ok ? &si : NULL);
	meminfo_free(&mi);
	slabinfo_free(&si);
}

static int nvalid(const struct kmem_sysinfo *si)
{
	int i, n = 0;

	for (i = 0; i < KMI_NR; i++)
		n += si->valid[i];
	return n;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

UNIT_SUITE(kmem_meminfo)
{
	struct kmem_sysinfo si = {};
	char *buf = NULL;
	size_t len;

	sysinfo_of("MemTotal:       16384000 kB\n"
		   "Slab:              68216 kB\n"
		   "SReclaimable:      46852 kB\n"
		   "SUnreclaim:        21364 kB\n"
		   "VmallocUsed:       14284 kB\n"
		   "Percpu:              688 kB\n", NULL, &si);
	CHECK("meminfo: four fields", nvalid(&si) == 4);
	CHECK("meminfo: Slab in bytes", si.valid[KMI_SLAB] && si.meminfo[KMI_SLAB] == 68216LL * 1024);
	CHECK("meminfo: SUnreclaim not SReclaimable", si.meminfo[KMI_SUNRECLAIM] == 21364LL * 1024);
	CHECK("meminfo: Percpu", si.meminfo[KMI_PERCPU] == 688LL * 1024);
	CHECK_STR("meminfo: names", "VmallocUsed", kmem_meminfo_name(KMI_VMALLOC_USED));

	sysinfo_of("Slab: lots kB\nSlabby: 5 kB\nSUnreclaim: 12 MB\nPercpu: -4 kB\nVmallocUsed: 8 kB\n",
		   NULL, &si);
	CHECK("meminfo: malformed lines are skipped", nvalid(&si) == 1);
	CHECK("meminfo: bad value leaves field invalid", !si.valid[KMI_SLAB] && !si.valid[KMI_SUNRECLAIM]);
	CHECK("meminfo: negative is invalid", !si.valid[KMI_PERCPU]);
	CHECK("meminfo: good line still parsed", si.valid[KMI_VMALLOC_USED] && si.meminfo[KMI_VMALLOC_USED] == 8192);
	sysinfo_of("Slab: 1 kB\nSlab: 2 kB\nPercpu: 3\n", NULL, &si);
	CHECK("meminfo: first of a repeated counter, a count without unit as is",
	      si.meminfo[KMI_SLAB] == 1024 && si.valid[KMI_PERCPU] && si.meminfo[KMI_PERCPU] == 3);
	sysinfo_of(NULL, NULL, &si);
	CHECK("meminfo: unreadable file leaves every field invalid", nvalid(&si) == 0 && !si.slab_valid);

	if (procfs_read_file("tests/fixtures/why/meminfo.6.18", 1 << 20, &buf, &len, NULL) == 0)
		sysinfo_of(buf, NULL, &si);
	free(buf);
	CHECK("meminfo 6.18 fixture: the four counters",
	      nvalid(&si) == 4 && si.meminfo[KMI_SLAB] == 103940LL * 1024 &&
	      si.meminfo[KMI_SUNRECLAIM] == 23776LL * 1024 &&
	      si.meminfo[KMI_VMALLOC_USED] == 14268LL * 1024 && si.meminfo[KMI_PERCPU] == 760LL * 1024);
	buf = NULL;
	if (procfs_read_file("tests/fixtures/why/meminfo.3.10", 1 << 20, &buf, &len, NULL) == 0)
		sysinfo_of(buf, NULL, &si);
	free(buf);
	CHECK("meminfo 3.10 fixture: no Percpu counter yet",
	      nvalid(&si) == 3 && !si.valid[KMI_PERCPU] && si.meminfo[KMI_SLAB] == 110936LL * 1024);
}

UNIT_SUITE(kmem_slabinfo)
{
	struct kmem_sysinfo si = {};
	char *buf = NULL;
	size_t len;

	sysinfo_of(NULL,
		   "slabinfo - version: 2.1\n"
		   "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
		   "filp                 100    120    192   21    1 : tunables    0    0    0 : slabdata      6      6      0\n"
		   "kmalloc-64            10     64     64   64    1 : tunables    0    0    0 : slabdata      1      1      0\n",
		   &si);
	CHECK("slabinfo: active bytes", si.slab_valid && si.slab_objects == 100 * 192 + 10 * 64);

	sysinfo_of(NULL, "slabinfo - version: 1.1\nfilp 1 1 1 1 1 : tunables 0 0 0 : slabdata 1 1 0\n", &si);
	CHECK("slabinfo: unknown version refused", !si.slab_valid);
	sysinfo_of(NULL, "slabinfo - version: 2.1\nfilp 100 junk\n", &si);
	CHECK("slabinfo: malformed line refused", !si.slab_valid);
	sysinfo_of(NULL, "slabinfo - version: 2.1\n"
			 "filp 200 100 64 1 1 : tunables 0 0 0 : slabdata 1 1 0\n", &si);
	CHECK("slabinfo: active above total refused", !si.slab_valid);
	sysinfo_of(NULL, "", &si);
	CHECK("slabinfo: empty refused", !si.slab_valid);
	sysinfo_of(NULL, "slabinfo - version: 2.1\n"
			 "big 2 2 9223372036854775807 1 1 : tunables 0 0 0 : slabdata 1 1 0\n", &si);
	CHECK("slabinfo: an overflowing sum refused", !si.slab_valid);

	if (procfs_read_file("tests/fixtures/why/slabinfo.6.18", 1 << 20, &buf, &len, NULL) == 0)
		sysinfo_of(NULL, buf, &si);
	free(buf);
	CHECK("slabinfo 6.18 fixture: active objects times object size",
	      si.slab_valid && si.slab_objects == 47026LL * 1128 + 57306LL * 192 + 110LL * 5952 +
							 272LL * 4096 + 2448LL * 512);
	buf = NULL;
	if (procfs_read_file("tests/fixtures/why/slabinfo.hostile", 1 << 20, &buf, &len, NULL) == 0)
		sysinfo_of(NULL, buf, &si);
	free(buf);
	CHECK("slabinfo hostile fixture: a broken line refuses the sum", !si.slab_valid);
}

UNIT_SUITE(kmem_kinds)
{
	unsigned int m = 0;
	char bad[32];

	CHECK("kinds: one", kmem_parse_kinds("vmalloc", &m, bad, sizeof(bad)) && m == 1U << KMEM_VMALLOC);
	CHECK("kinds: list", kmem_parse_kinds("kmalloc,kmem_cache,page", &m, bad, sizeof(bad)) &&
			     m == ((1U << KMEM_KMALLOC) | (1U << KMEM_CACHE) | (1U << KMEM_PAGE)));
	CHECK("kinds: unknown", !kmem_parse_kinds("kmalloc,slab", &m, bad, sizeof(bad)));
	CHECK_STR("kinds: names the bad word", "slab", bad);
	CHECK("kinds: prefix is not a kind", !kmem_parse_kinds("kmem", &m, bad, sizeof(bad)));
	CHECK("kinds: empty item", !kmem_parse_kinds("kmalloc,", &m, bad, sizeof(bad)));
	CHECK("kinds: empty", !kmem_parse_kinds("", &m, bad, sizeof(bad)));
	CHECK_STR("kinds: names", "kmem_cache", kmem_kind_name(KMEM_CACHE));
}

UNIT_SUITE(kmem_report)
{
	struct kmem_agg_key a = { .stack = 7, .kind = KMEM_KMALLOC };
	struct kmem_agg_key b = { .stack = 3, .kind = KMEM_CACHE, .cache = 0x1234 };
	struct kmem_agg_key c = { .lost = KMEM_LOST_MAP_FULL, .kind = KMEM_VMALLOC };
	struct kmem_agg_key d = { .stack = 9, .kind = KMEM_PERCPU };
	/* Lost, with the key a real stack could have: must stay its own row. */
	struct kmem_agg_key e = { .stack = 0, .lost = KMEM_LOST_COLLISION, .kind = KMEM_KMALLOC };
	struct kmem_agg_key f0 = { .stack = 0, .kind = KMEM_KMALLOC };
	struct kmem_report r = { .top = 2, .sample = 1,
				 .kinds = ~(1U << KMEM_PAGE) };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* The --older path adds one row per allocation. */
	kmem_report_add(&r, &a, 100, 1);
	kmem_report_add(&r, &b, 500, 1);
	kmem_report_add(&r, &a, 100, 1);
	kmem_report_add(&r, &c, 4096, 1);
	kmem_report_add(&r, &d, 0, 0); /* everything came back */
	kmem_report_add(&r, &e, 30, 3);
	kmem_report_add(&r, &f0, 10, 1);
	strcpy(r.rows[1].cache_name, "filp");
	kmem_report_finish(&r);
	CHECK("report: rows merged by key, empty dropped", r.n == 5);
	CHECK("report: largest first", r.n == 5 && r.rows[0].bytes == 4096 && r.rows[1].bytes == 500);
	CHECK("report: merged bytes and count", r.n == 5 && r.rows[2].bytes == 200 && r.rows[2].count == 2);
	CHECK("report: a lost stack never merges with a real one",
	      r.n == 5 && r.rows[3].bytes == 30 && r.rows[3].key.lost && r.rows[4].bytes == 10 &&
	      !r.rows[4].key.lost);
	CHECK("report: kind totals", r.kind_bytes[KMEM_KMALLOC] == 240 && r.kind_count[KMEM_KMALLOC] == 6 &&
				     r.kind_bytes[KMEM_CACHE] == 500 && r.kind_bytes[KMEM_PERCPU] == 0);
	CHECK("report: lost totals", r.lost_bytes == 4096 + 30 && r.lost_count == 4);
	/* The resolve step's output, by hand: the printers see only this. */
	r.rows[1].frames = calloc(3, sizeof(*r.rows[1].frames));
	r.rows[1].frames[0] = (struct kmem_frame){ 0xffffffff81000010ULL, "kmem_cache_alloc", 0x10, NULL };
	r.rows[1].frames[1] = (struct kmem_frame){ 0xffffffffc0001020ULL, "my_fn", 0x20, "mymod" };
	r.rows[1].frames[2] = (struct kmem_frame){ 0xdeadULL, NULL, 0, NULL };
	r.rows[1].nframes = 3;
	r.timestamp = 1764676800;
	r.final = true;
	r.stats[KMEM_ST_STACK_COLLISION] = 3;
	r.misses[0].hook = "kfree";
	r.misses[0].misses = 5;
	r.nmisses = 1;

	f = open_memstream(&buf, &len);
	kmem_print_json(&r, f);
	fclose(f);
	CHECK("json: mode", strstr(buf, "\"mode\":\"kernel\"") != NULL);
	CHECK("json: -T 2 limits stacks", strstr(buf, "\"stacks_total\":5") && count_of(buf, "\"kind\":") == 2);
	CHECK("json: cache name", strstr(buf, "\"cache\":\"filp\"") != NULL);
	CHECK("json: lost stack is null id with a reason", strstr(buf, "\"stack_id\":null,\"stack_lost\":\"stack table full") != NULL);
	CHECK("json: real stack id is a hex string", strstr(buf, "\"stack_id\":\"0000000000000003\"") != NULL);
	CHECK("json: lost totals", strstr(buf, "\"stack_lost\":{\"bytes\":4126,\"count\":4}") != NULL);
	CHECK("json: dropped", strstr(buf, "\"stack_collisions\":3") && strstr(buf, "\"recursion_misses\":5"));
	CHECK("json: per-hook misses", strstr(buf, "\"recursion_misses_by_hook\":{\"kfree\":5}") != NULL);
	CHECK("json: unread meminfo is null", strstr(buf, "\"Slab\":null") != NULL);
	CHECK("json: an untraced kind is null", strstr(buf, "\"page\":null") != NULL);
	CHECK("json: a traced kind has numbers", strstr(buf, "\"percpu\":{\"bytes\":0,\"count\":0}") != NULL);
	CHECK("json: envelope first", strncmp(buf, "{\"mode\":\"kernel\",\"timestamp\":1764676800,\"final\":true,\"dropped\":{", 64) == 0);
	CHECK("json: a named frame", strstr(buf, "{\"function\":\"kmem_cache_alloc\",\"offset\":16,\"module\":null,\"address\":\"0xffffffff81000010\"}") != NULL);
	CHECK("json: a module frame", strstr(buf, "{\"function\":\"my_fn\",\"offset\":32,\"module\":\"mymod\"") != NULL);
	CHECK("json: an unnamed frame is null", strstr(buf, "{\"function\":null,\"offset\":null,\"module\":null,\"address\":\"0xdead\"}") != NULL);
	CHECK("json: one line", strchr(buf, '\n') == buf + len - 1);
	free(buf);
	buf = NULL;

	f = open_memstream(&buf, &len);
	kmem_print_text(&r, f);
	fclose(f);
	CHECK("text: dropped line", strstr(buf, "dropped: allocs map full 0, stacks map full 0, stack table full 0, stack collisions 3") != NULL);
	CHECK("text: recursion misses", strstr(buf, "recursion misses 5;") != NULL);
	CHECK("text: lost stack explained", strstr(buf, "[stack lost] (stack table full") != NULL);
	CHECK("text: lost totals", strstr(buf, "; stack lost 4.0 KiB/4\n") != NULL);
	CHECK("text: untraced kind off", strstr(buf, "page off\n") != NULL);
	CHECK("text: more stacks hint", strstr(buf, "3 more stacks") != NULL);
	CHECK("text: frames", strstr(buf, "\t\tkmem_cache_alloc+0x10\n\t\tmy_fn+0x20 [mymod]\n\t\t0xdead\n") != NULL);
	free(buf);
	kmem_report_free(&r);
}

UNIT_SUITE(kmem_frames)
{
	CHECK("tracing frame: bpf_trace_run6", kmem_is_tracing_frame("bpf_trace_run6"));
	CHECK("tracing frame: __traceiter_kmalloc", kmem_is_tracing_frame("__traceiter_kmalloc"));
	CHECK("not tracing: __kmalloc_noprof", !kmem_is_tracing_frame("__kmalloc_noprof"));
	CHECK("not tracing: alloc_vmap_area", !kmem_is_tracing_frame("alloc_vmap_area"));
	CHECK("lost reason: none for a real stack", kmem_stack_lost(KMEM_LOST_NONE) == NULL);
	CHECK_STR("lost reason: walk errors", "stack walk or store failed", kmem_stack_lost(KMEM_LOST_WALK));
	CHECK_STR("lost reason: collision", "64-bit stack hash collision",
		  kmem_stack_lost(KMEM_LOST_COLLISION));
}

UNIT_SUITE(kmem_probe)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		printf("SKIP: unit: tp_btf prototype probes (no kernel BTF)\n");
		return;
	}
	CHECK("tp_btf arg: kmem_cache_alloc has its kmem_cache",
	      probe_tp_btf_arg_struct("kmem_cache_alloc", 2, "kmem_cache"));
	CHECK("tp_btf arg: mm_page_alloc has its page", probe_tp_btf_arg_struct("mm_page_alloc", 0, "page"));
	CHECK("tp_btf arg: kmalloc's third is a size", !probe_tp_btf_arg_struct("kmalloc", 2, "kmem_cache"));
	CHECK("tp_btf arg: wrong struct", !probe_tp_btf_arg_struct("kmem_cache_alloc", 2, "page"));
	CHECK("tp_btf arg: past the last", !probe_tp_btf_arg_struct("kfree", 5, "kmem_cache"));
	CHECK("tp_btf arg: no such tracepoint", !probe_tp_btf_arg_struct("no_such_tp", 0, "page"));
}
