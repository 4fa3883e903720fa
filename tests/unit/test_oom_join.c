/* Unit tests: joining a synthetic BPF victim event with the recorded kmsg
 * reports and a /proc snapshot, as the tracer does at each kill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom/oom_join.h"
#include "unit.h"

static bool load_report(const char *name, int victim, struct kmsg_report *out)
{
	char path[256], line[2048];
	struct kmsg_parser p;
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "tests/fixtures/oom/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	kmsg_parser_init(&p);
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ')
			kmsg_feed_record(&p, line, strlen(line));
	fclose(f);
	kmsg_flush(&p);
	ok = kmsg_take(&p, victim, victim, out);
	kmsg_parser_free(&p);
	return ok;
}

/* A victim as mark_victim records it, with its memcg chain. */
static void victim_event(struct oom_pending *p, int pid, const char *comm, int adj)
{
	memset(p, 0, sizeof(*p));
	p->ev.kind = OOM_EV_VICTIM;
	p->ev.pid = p->ev.tid = pid;
	p->ev.trigger_pid = p->ev.trigger_tid = pid;
	snprintf(p->ev.comm, sizeof(p->ev.comm), "%s", comm);
	snprintf(p->ev.trigger_comm, sizeof(p->ev.trigger_comm), "%s", comm);
	p->ev.oom_score_adj = adj;
	p->ev.has_mm = 1;
	p->ev.total_vm = 1000;
	p->ev.anon_pages = 500;
	p->ev.file_pages = 20;
	p->ev.pgtables_bytes = 8192;
	p->ev.kstack_id = -14;
	p->ev.ts_ns = 10ULL * 1000 * 1000 * 1000;
	p->timestamp = 1764676800; /* 2025-12-02 12:00:00 UTC */
}

UNIT_SUITE(oom_join_global)
{
	struct oom_join_env env = { .totalram_pages = 2000000, .dump_tasks = true, .kmsg_read = true };
	struct oom_pending p;
	struct kmsg_report k;
	struct oom_report r = {};

	victim_event(&p, 4242, "stress-ng", 0);
	/* only the root memcg: unlimited */
	p.ev.memcg_levels = 1;
	p.ev.memcg[0].max_pages = 1ULL << 52;
	p.ev.memcg[0].usage_pages = 1900000;
	snprintf(p.paths[0], sizeof(p.paths[0]), "/");
	p.exited = true;
	p.exit_ns = p.ev.ts_ns + 50 * 1000 * 1000;
	CHECK("join global: fixture", load_report("global.kmsg", 4242, &k));
	oom_join(&env, &p, &k, &r);
	CHECK_STR("join global: constraint", "CONSTRAINT_NONE", r.constraint);
	CHECK("join global: machine domain", !r.memcg_domain && r.src_constraint == SRC_KMSG);
	CHECK("join global: totalpages = RAM + swap", r.totalpages == 2000000);
	CHECK("join global: gfp from kmsg", r.has_gfp && r.gfp_mask == 0x140dca && r.src_gfp == SRC_KMSG);
	CHECK("join global: stack from kmsg when BPF had none",
	      r.nstack == 10 && r.src_stack == SRC_KMSG && r.notes[0][0] == '\0');
	CHECK("join global: candidates from the table", r.ncand == 4 && r.src_cand == SRC_KMSG);
	CHECK("join global: victim ranked first", r.cand[0].pid == 4242 && r.cand[0].victim);
	CHECK("join global: -1000 last and never", r.cand[3].pid == 312 && !r.cand[3].eligible);
	/* 4300: rss 1200 + pgtables 16 + 300 * 2000 */
	CHECK("join global: adj scaled by totalpages/1000",
	      r.cand[1].pid == 4300 && r.cand[1].points == 1200 + 16 + 300 * 2000);
	CHECK("join global: victim points computed", r.has_points && r.v_points == 520 + 2 &&
							 r.src_points == SRC_COMPUTED);
	/* invocation = kill - (kill line - header) = 10 s - 70 us; exit at +50 ms */
	CHECK("join global: reap from exit, kmsg interval",
	      r.has_reap && !strcmp(r.reaped_by, "exit") && r.reap_s > 0.0500 && r.reap_s < 0.0501);
	oom_report_free(&r);
	kmsg_report_free(&k);
	oom_pending_free(&p);
}

UNIT_SUITE(oom_join_cpuset)
{
	struct oom_join_env env = { .totalram_pages = 100000, .dump_tasks = true, .kmsg_read = true };
	struct oom_pending p;
	struct kmsg_report k;
	struct oom_report r = {};

	victim_event(&p, 777, "numa_app", 0);
	CHECK("join cpuset: fixture", load_report("cpuset.kmsg", 777, &k));
	oom_join(&env, &p, &k, &r);
	CHECK_STR("join cpuset: constraint", "CONSTRAINT_CPUSET", r.constraint);
	CHECK("join cpuset: order 2", r.order == 2);
	CHECK("join cpuset: no reap event, none invented", !r.has_reap);
	oom_report_free(&r);
	/* the oom_reaper (2 s timer) finished before the stuck victim exited */
	memset(&r, 0, sizeof(r));
	p.reaped = true;
	p.reap_ns = p.ev.ts_ns + 2100ULL * 1000 * 1000;
	p.exited = true;
	p.exit_ns = p.ev.ts_ns + 9000ULL * 1000 * 1000;
	oom_join(&env, &p, &k, &r);
	CHECK("join cpuset: reaped by the oom_reaper",
	      r.has_reap && !strcmp(r.reaped_by, "oom_reaper") && r.reap_s > 2.1 && r.reap_s < 2.1001);
	oom_report_free(&r);
	kmsg_report_free(&k);
	oom_pending_free(&p);
}

UNIT_SUITE(oom_join_fallback)
{
	struct oom_join_env env = { .totalram_pages = 100000, .dump_tasks = false, .kmsg_read = true };
	struct oom_pending p;
	struct kmsg_report k;
	struct oom_report r = {};
	int i;

	/* a truncated report (lost records in the table): /proc instead */
	victim_event(&p, 3001, "hog", 500);
	p.ev.memcg_levels = 2;
	p.ev.memcg[0].id = 77;
	p.ev.memcg[0].max_pages = 16384;
	p.ev.memcg[0].usage_pages = 16384;
	p.ev.memcg[1].max_pages = 1ULL << 52;
	snprintf(p.paths[0], sizeof(p.paths[0]), "/t");
	snprintf(p.paths[1], sizeof(p.paths[1]), "/");
	p.snap = calloc(3, sizeof(*p.snap));
	p.nsnap = 3;
	p.snap[0] = (struct oom_rank){ .proc.pid = 3000, .killable = true, .proc.rss = 8 << 20,
				       .oom_score_adj = 100, .cgroup = "/t", .proc.comm = "bystander" };
	p.snap[1] = (struct oom_rank){ .proc.pid = 5000, .killable = true, .proc.rss = 800 << 20,
				       .cgroup = "/elsewhere", .proc.comm = "outsider" };
	p.snap[2] = (struct oom_rank){ .proc.pid = 3001, .killable = true, .proc.rss = 4096,
				       .oom_score_adj = 500, .cgroup = "/t", .proc.comm = "hog" };
	CHECK("join fallback: fixture", load_report("truncated.kmsg", 3001, &k));
	oom_join(&env, &p, &k, &r);
	CHECK("join fallback: domain memcg from kmsg", r.memcg_domain && !strcmp(r.memcg, "/t") &&
							 r.src_memcg == SRC_KMSG);
	CHECK("join fallback: limit from BPF at the kill", r.has_limit && r.limit_kb == 65536 &&
							     r.src_limit == SRC_BPF);
	CHECK("join fallback: totalpages from the memcg", r.totalpages == 16384);
	CHECK("join fallback: /proc candidates of the domain only",
	      r.ncand == 2 && r.src_cand == SRC_PROC);
	CHECK("join fallback: victim row from BPF, first",
	      r.cand[0].pid == 3001 && r.cand[0].rss_kb == 2080 && r.cand[0].victim);
	CHECK("join fallback: bystander points", r.cand[1].pid == 3000 && r.cand[1].points == 2048 + 1600);
	for (i = 0; i < r.nnotes; i++)
		if (strstr(r.notes[i], "lost"))
			break;
	CHECK("join fallback: notes say records were lost", i < r.nnotes);
	oom_report_free(&r);
	kmsg_report_free(&k);

	/* no kmsg at all: constraint inferred from the memcg at its limit */
	memset(&r, 0, sizeof(r));
	env.kmsg_read = false;
	oom_join(&env, &p, NULL, &r);
	CHECK("join inferred: MEMCG", !strcmp(r.constraint, "CONSTRAINT_MEMCG") &&
					      r.src_constraint == SRC_INFERRED);
	CHECK("join inferred: memcg path from cgroupfs", !strcmp(r.memcg, "/t") &&
							  r.src_memcg == SRC_CGROUPFS);
	CHECK("join inferred: no gfp invented", !r.has_gfp && r.src_gfp == SRC_NONE);
	oom_report_free(&r);

	/* the memcg far below its limit: the machine ran out */
	memset(&r, 0, sizeof(r));
	p.ev.memcg[0].usage_pages = 100;
	oom_join(&env, &p, NULL, &r);
	CHECK("join inferred: NONE when no memcg is full", !strcmp(r.constraint, "CONSTRAINT_NONE") &&
								!r.memcg_domain);
	CHECK("join inferred: machine candidates include the outsider", r.ncand == 3);
	oom_report_free(&r);
	oom_pending_free(&p);
}

/* Kernels before the 2024 mark_victim change: the BPF event has the pid
 * and the trigger only. */
UNIT_SUITE(oom_join_pid_only)
{
	struct oom_join_env env = { .totalram_pages = 100000, .dump_tasks = true, .kmsg_read = true };
	struct oom_pending p;
	struct kmsg_report k;
	struct oom_report r = {};

	victim_event(&p, 5420, "", 0);
	p.ev.has_mm = 0;
	p.ev.has_task = 0;
	p.ev.comm[0] = '\0';
	CHECK("join pid-only: fixture", load_report("memcg-v1.kmsg", 5420, &k));
	oom_join(&env, &p, &k, &r);
	CHECK_STR("join pid-only: comm from the kill line", "oom_hog", r.v_comm);
	CHECK("join pid-only: adj and memory from kmsg", r.v_adj == 500 && r.anon_kb == 57216 &&
							     r.src_victim == SRC_KMSG);
	CHECK_STR("join pid-only: victim memcg from kmsg", "/memleakbpf-test-1234", r.v_memcg);
	CHECK("join pid-only: domain from kmsg, limit from its usage line",
	      r.memcg_domain && r.has_limit && r.limit_kb == 65536 && r.src_limit == SRC_KMSG &&
	      r.totalpages == 16384);
	CHECK("join pid-only: candidates from the table", r.ncand == 2 && r.cand[0].victim);
	oom_report_free(&r);
	kmsg_report_free(&k);

	/* no kmsg either: /proc as read at the event */
	memset(&r, 0, sizeof(r));
	p.snap = calloc(1, sizeof(*p.snap));
	p.nsnap = 1;
	p.snap[0] = (struct oom_rank){ .proc.pid = 5420, .killable = true, .proc.rss = 40 << 20,
				       .proc.uid = 7, .oom_score_adj = 500, .cgroup = "/m",
				       .proc.comm = "oom_hog" };
	env.kmsg_read = false;
	oom_join(&env, &p, NULL, &r);
	CHECK("join pid-only /proc: victim from the snapshot",
	      !strcmp(r.v_comm, "oom_hog") && r.v_uid == 7 && r.src_victim == SRC_PROC &&
	      !strcmp(r.v_memcg, "/m") && !r.has_victim_mem);
	CHECK("join pid-only /proc: constraint unknown, not invented", r.constraint[0] == '\0');
	CHECK("join pid-only /proc: victim points from its /proc row",
	      r.has_points && r.v_points == 10240 + 500 * 100);
	oom_report_free(&r);
	oom_pending_free(&p);
}

/* vm.oom_dump_tasks=0: a whole report without its task table */
UNIT_SUITE(oom_join_no_table)
{
	struct oom_join_env env = { .totalram_pages = 100000, .dump_tasks = false, .kmsg_read = true };
	struct oom_pending p;
	struct kmsg_report k;
	struct oom_report r = {};
	int i;

	victim_event(&p, 5420, "oom_hog", 500);
	p.snap = calloc(1, sizeof(*p.snap));
	p.nsnap = 1;
	p.snap[0] = (struct oom_rank){ .proc.pid = 5409, .killable = true, .proc.rss = 8 << 20,
				       .oom_score_adj = 100, .cgroup = "/memleakbpf-test-1234/sub",
				       .proc.comm = "oom_hog" };
	CHECK("join no-table: fixture", load_report("memcg-notasks.kmsg", 5420, &k));
	CHECK("join no-table: report complete without a table", k.complete && !k.has_tasks);
	oom_join(&env, &p, &k, &r);
	CHECK("join no-table: candidates from /proc, child memcg included",
	      r.src_cand == SRC_PROC && r.ncand == 2 && r.cand[0].pid == 5420 && r.cand[1].pid == 5409);
	for (i = 0; i < r.nnotes; i++)
		if (strstr(r.notes[i], "vm.oom_dump_tasks=0"))
			break;
	CHECK("join no-table: note names vm.oom_dump_tasks=0", i < r.nnotes);
	oom_report_free(&r);
	kmsg_report_free(&k);
	oom_pending_free(&p);
}
