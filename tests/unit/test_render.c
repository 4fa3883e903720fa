/* Unit tests: the user and shmem renderers on hand-built models (text and
 * JSON twins).  No BPF, no /proc: what a printer prints comes from the model
 * alone.  (kernel: test_kmem.c; oom: test_oom.c; why: test_why_*.c.) */
#include <linux/types.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "memleak.h"
#include "procfs/procfs.h"
#include "shmem/shmem_int.h"
#include "unit.h"
#include "user/user_report.h"
#include "why/why.h"

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *render(void (*fn)(void *, void *, FILE *), void *model, void *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(model, opts, f);
	fclose(f);
	return buf;
}

static void user_text(void *r, void *o, FILE *f)
{
	((struct report_opts *)o)->format = FORMAT_TEXT;
	user_report_print(r, o, f);
}

static void user_json(void *r, void *o, FILE *f)
{
	((struct report_opts *)o)->format = FORMAT_JSON;
	user_report_print(r, o, f);
}

static void user_folded(void *r, void *o, FILE *f)
{
	((struct report_opts *)o)->format = FORMAT_FOLDED;
	user_report_print(r, o, f);
}

static void sh_text(void *r, void *o, FILE *f) { sh_print_text(f, r); }
static void sh_json(void *r, void *o, FILE *f) { sh_print_json(f, r); }

UNIT_SUITE(render_user)
{
	struct report_frame frames[] = {
		{ "leak_calloc", "/src/leaky.c", "leaky", 23, 0x123f, false },
		{ "main", "/src/leaky.c", "leaky", 70, 0x1300, false },
		{ NULL, NULL, "libc.so.6", 0, 0x27249, false },
	};
	struct report_stack stacks[] = {
		{ .bytes = 7200, .count = 3, .kind = ML_KIND_CALLOC, .nframes = 3, .frames = frames },
	};
	struct user_report r = { .total_bytes = 7200, .total_count = 3, .nstacks = 4,
				 .stacks = stacks, .nshown = 1, .unnamed_frames = 1 };
	struct report_opts o = { .pid = 42, .comm = "leaky", .top = 1, .sample_every = 1,
				 .timestamp = 1764676800, .final = true, .target_exited = true,
				 .exited = true, .exit_code = 0 };
	const char *untraced[] = { "libjemalloc.so.2" };
	char *t, *j, *fo;

	r.drops[ML_DROP_ALLOCS_FULL] = 2;
	r.untraced = untraced;
	r.nuntraced = 1;
	t = render(user_text, &r, &o);
	CHECK("user text: header names pid, comm and 'at exit'",
	      strstr(t, "pid 42 (leaky)") && strstr(t, " at exit"));
	CHECK("user text: the stack's bytes, count and kind", strstr(t, "7200 bytes in 3 allocations") &&
							       strstr(t, "calloc"));
	CHECK("user text: address function at file:line [module]",
	      strstr(t, "0x123f leak_calloc at leaky.c:23 [leaky]") != NULL);
	CHECK("user text: an unnamed frame keeps its module", strstr(t, "0x27249 ?? [libc.so.6]") != NULL);
	CHECK("user text: drops are said", strstr(t, "dropped: allocs_map_full=2") != NULL);
	CHECK("user text: an allocator mapped too late is said",
	      strstr(t, "note: libjemalloc.so.2 is an allocator mapped after tracing started") != NULL);
	j = render(user_json, &r, &o);
	CHECK("user json: envelope", starts(j, "{\"mode\":\"user\",\"timestamp\":1764676800,\"final\":true,"
					     "\"dropped\":{\"allocs_map_full\":2,"));
	CHECK("user json: target_exited and exit", strstr(j, "\"target_exited\":true,\"exit\":{\"status\":0,\"signal\":null}") != NULL);
	CHECK("user json: totals", strstr(j, "\"total_bytes\":7200,\"total_count\":3,\"stacks_total\":4") != NULL);
	CHECK("user json: a frame with every key",
	      strstr(j, "{\"function\":\"leak_calloc\",\"file\":\"/src/leaky.c\",\"line\":23,\"module\":\"leaky\","
			"\"address\":\"0x123f\",\"inlined\":false}") != NULL);
	CHECK("user json: unknown is null, never missing",
	      strstr(j, "{\"function\":null,\"file\":null,\"line\":null,\"module\":\"libc.so.6\"") != NULL);
	CHECK("user json: one line", strchr(j, '\n') == j + strlen(j) - 1);
	CHECK("user json: untraced allocators", strstr(j, "\"untraced_allocators\":[\"libjemalloc.so.2\"]") != NULL);
	fo = render(user_folded, &r, &o);
	CHECK("user folded: root first, bytes as the weight", strstr(fo, "leaky;libc.so.6+0x27249;main;leak_calloc;calloc 7200\n") != NULL);
	free(t);
	free(j);
	free(fo);
}

UNIT_SUITE(render_shmem)
{
	char *frames[] = { "write_all (shmem_writer.c:40) [shmem_writer]", "main (shmem_writer.c:88) [shmem_writer]" };
	struct sh_writer w = { .wid = 1, .tgid = 77, .comm = "writer", .cgroup = "/user.slice",
			       .stack_id = 3, .bytes = 8192, .frames = frames, .nframes = 2,
			       .resolved = true };
	struct sh_writer unknown = { .stack_id = -1 };
	struct sh_writer *ws[] = { &w };
	struct sh_inode_writer iw[] = { { &w, 8192 }, { &unknown, 4096 } };
	struct sh_inode in = { .dev = makedev(0, 42), .ino = 1234, .kind = SH_TMPFS, .path = "/dev/shm/big",
			       .resolved = true, .sysv_shmid = -1, .uid = 0, .bytes_tracked = 8192,
			       .bytes_before = 4096, .bytes_dropped = 8192, .writers = iw, .nwriters = 2 };
	struct sh_mount m = { .mountpoint = "/dev/shm", .dev = makedev(0, 42), .bytes_tracked = 8192,
			      .bytes_used = 12288, .shown = true };
	struct sh_report r = { .timestamp = 1764676800, .final = false, .inodes = &in, .ninodes = 1,
			       .writers = ws, .nwriters = 1, .mounts = &m, .nmounts = 1,
			       .show_stacks = true, .swap_known = true };
	char *t, *j;

	r.counters[SHC_DROP_EVENTS] = 5;
	r.dropped = 5;
	t = render(sh_text, &r, NULL);
	CHECK("shmem text: the inode's path", strstr(t, "/dev/shm/big") != NULL);
	CHECK("shmem text: the writer", strstr(t, "pid 77 writer  cgroup /user.slice") != NULL);
	CHECK("shmem text: an unknown writer", strstr(t, "writer unknown") != NULL);
	CHECK("shmem text: its named frames", strstr(t, "#0 write_all (shmem_writer.c:40) [shmem_writer]") &&
						   strstr(t, "#1 main (shmem_writer.c:88)"));
	CHECK("shmem text: the mount with before-tracing bytes", strstr(t, "/dev/shm") && strstr(t, "before tracing"));
	CHECK("shmem text: drops summed and named", strstr(t, "dropped: 5 (drop_events 5)") != NULL);
	CHECK("shmem text: the inode's bytes include before-tracing and dropped ones",
	      strstr(t, "20.0 KiB  tmpfs") != NULL);
	CHECK("shmem text: dropped bytes are not 'before tracing'",
	      strstr(t, "4.0 KiB  before tracing") && strstr(t, "8.0 KiB  written since tracing began, writer unknown (events dropped)"));
	j = render(sh_json, &r, NULL);
	CHECK("shmem json: envelope", starts(j, "{\"mode\":\"shmem\",\"timestamp\":1764676800,\"final\":false,"
					      "\"dropped\":{\"page_table_full\":0,\"events\":5,"));
	CHECK("shmem json: bytes, before tracing and dropped apart",
	      strstr(j, "\"bytes\":20480,\"bytes_before_tracing\":4096,\"bytes_dropped\":8192") != NULL);
	CHECK("shmem json: the stack as strings",
	      strstr(j, "\"stack\":[\"write_all (shmem_writer.c:40) [shmem_writer]\",\"main (shmem_writer.c:88) [shmem_writer]\"]") != NULL);
	CHECK("shmem json: an unknown writer's pid is null", strstr(j, "\"pid\":null") != NULL);
	CHECK("shmem json: one line", strchr(j, '\n') == j + strlen(j) - 1);
	free(t);
	free(j);
	m.hidden = true;
	m.bytes_used = 0;
	t = render(sh_text, &r, NULL);
	CHECK("shmem text: a hidden mount says so, no usage", strstr(t, "(hidden under another mount: used unknown)") &&
							       !strstr(t, "before tracing   "));
	j = render(sh_json, &r, NULL);
	CHECK("shmem json: a hidden mount's usage is null", strstr(j, "\"bytes_used\":null,\"hidden\":true") != NULL);
	free(t);
	free(j);
	r.show_stacks = false;
	j = render(sh_json, &r, NULL);
	CHECK("shmem json: without --stacks the stack is null", strstr(j, "\"stack\":null") && !strstr(j, "write_all"));
	free(j);
}

static void why_text(void *r, void *o, FILE *f) { why_print_text(r, o, f); }
static void why_json(void *r, void *o, FILE *f) { why_print_json(r, o, f); }

UNIT_SUITE(render_why)
{
	static const char mi[] = "MemTotal: 1048576 kB\nMemFree: 524288 kB\nAnonPages: 262144 kB\n"
				 "Slab: 10240 kB\nSReclaimable: 4096 kB\nSUnreclaim: 6144 kB\n";
	const struct why_opts o = { .top = 10, .top_files = 5, .threshold = 16 << 20,
				    .grow_min = 16 << 20, .proc_root = "/proc" };
	struct why_proc p = { .proc = { .pid = 4242, .uid = 1000, .comm = "hog", .has_mm = true,
					.rss = 256ULL << 20, .rss_anon = 256ULL << 20,
					.has_rss_split = true } };
	struct why_finding f = { "warning", "process 4242 (hog) holds 256.0 MiB of private anonymous memory",
				 "RssAnon 256.0 MiB", "memleakbpf -p 4242" };
	struct why_unreadable u = { "slabinfo", "/proc/slabinfo: Permission denied" };
	struct why_report r;
	char *t, *j;

	memset(&r, 0, sizeof(r));
	CHECK("why model: meminfo and tree", procfs_parse_meminfo(mi, strlen(mi), &r.mi) == 0 &&
						 why_tree_build(&r) == 0);
	r.timestamp = 1764676800;
	r.final = true;
	r.root = false;
	r.page_size = 4096;
	r.procs = &p;
	r.nprocs = 1;
	r.findings = &f;
	r.nfindings = 1;
	r.unreadable = &u;
	r.nunreadable = 1;
	t = render(why_text, &r, (void *)&o);
	CHECK("why text: the process", strstr(t, "4242") && strstr(t, "hog"));
	CHECK("why text: the finding and its next command", strstr(t, "holds 256.0 MiB") &&
							       strstr(t, "memleakbpf -p 4242"));
	CHECK("why text: what could not be read", strstr(t, "/proc/slabinfo: Permission denied") != NULL);
	j = render(why_json, &r, (void *)&o);
	CHECK("why json: envelope", starts(j, "{\"mode\":\"why\",\"timestamp\":1764676800,\"final\":true,"
					      "\"dropped\":{},\"root\":false,"));
	CHECK("why json: meminfo in bytes", strstr(j, "\"MemTotal\":1073741824") != NULL);
	CHECK("why json: the finding", strstr(j, "\"next_command\":\"memleakbpf -p 4242\"") != NULL);
	CHECK("why json: one line", strchr(j, '\n') == j + strlen(j) - 1);
	free(t);
	free(j);
	r.procs = NULL;
	r.findings = NULL;
	r.unreadable = NULL;
	r.nprocs = r.nfindings = r.nunreadable = 0;
	why_report_free(&r);
}
