/* Unit tests: the kmsg OOM report parser on recorded and crafted reports
 * (tests/fixtures/oom/): memcg v1 (recorded on this machine), global,
 * cpuset, interleaved foreign lines, lost records and a cut-off report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom/oom_kmsg.h"
#include "unit.h"

static int feed_file(struct kmsg_parser *p, const char *name)
{
	char path[256], line[2048];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "tests/fixtures/oom/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == ' ') /* dictionary continuation of the last record */
			continue;
		kmsg_feed_record(p, line, strlen(line));
		n++;
	}
	fclose(f);
	return n;
}

static const struct kmsg_task *find_task(const struct kmsg_report *r, int pid)
{
	int i;

	for (i = 0; i < r->ntasks; i++)
		if (r->tasks[i].pid == pid)
			return &r->tasks[i];
	return NULL;
}

UNIT_SUITE(oom_kmsg_memcg_v1)
{
	struct kmsg_parser p;
	struct kmsg_report r;
	const struct kmsg_task *t;

	kmsg_parser_init(&p);
	CHECK("kmsg memcg fixture readable", feed_file(&p, "memcg-v1.kmsg") > 0);
	CHECK("kmsg memcg report found", kmsg_take(&p, 5420, 5420, &r));
	CHECK("kmsg memcg complete", r.complete && !r.gap);
	CHECK_STR("kmsg memcg trigger comm", "oom_hog", r.trigger_comm);
	CHECK("kmsg memcg trigger pid from CPU line", r.has_trigger_pid && r.trigger_pid == 5420);
	CHECK("kmsg memcg gfp_mask", r.gfp_mask == 0xcc0);
	CHECK_STR("kmsg memcg gfp text", "GFP_KERNEL", r.gfp_text);
	CHECK("kmsg memcg order", r.order == 0);
	CHECK("kmsg memcg trigger adj", r.trigger_adj == 500);
	CHECK("kmsg memcg stack frames (no '?' frames)", r.nstack == 13);
	CHECK_STR("kmsg memcg stack top", "dump_stack_lvl+0x57", r.stack[0]);
	CHECK_STR("kmsg memcg stack charge", "try_charge_memcg+0x422", r.stack[5]);
	CHECK("kmsg memcg usage/limit", r.has_memcg_usage && r.memcg_usage_kb == 65536 &&
					      r.memcg_limit_kb == 65536);
	CHECK_STR("kmsg memcg stats path", "/memleakbpf-test-1234", r.stats_memcg);
	CHECK("kmsg memcg two tasks", r.ntasks == 2 && r.tasks_done);
	t = find_task(&r, 5409);
	CHECK("kmsg memcg bystander row", t && t->oom_score_adj == 100 && t->rss == 2412 &&
						 t->pgtables_bytes == 61440 && t->rss_anon == 2048);
	t = find_task(&r, 5420);
	CHECK("kmsg memcg hog row", t && t->oom_score_adj == 500 && t->rss == 14668 &&
					   t->total_vm == 66155 && !strcmp(t->name, "oom_hog"));
	CHECK_STR("kmsg memcg constraint", "CONSTRAINT_MEMCG", r.constraint);
	CHECK_STR("kmsg memcg oom_memcg", "/memleakbpf-test-1234", r.oom_memcg);
	CHECK_STR("kmsg memcg task_memcg", "/memleakbpf-test-1234", r.task_memcg);
	CHECK("kmsg memcg not global", !r.global_oom);
	CHECK("kmsg memcg kill line", r.has_kill && r.kill_pid == 5420 && r.anon_rss_kb == 57216 &&
					  r.file_rss_kb == 1456 && r.pgtables_kb == 160 &&
					  r.kill_adj == 500 && r.total_vm_kb == 264620);
	CHECK_STR("kmsg memcg kill message", "Memory cgroup out of memory", r.kill_message);
	kmsg_report_free(&r);
	kmsg_parser_free(&p);
}

UNIT_SUITE(oom_kmsg_global)
{
	struct kmsg_parser p;
	struct kmsg_report r;
	const struct kmsg_task *t;

	kmsg_parser_init(&p);
	CHECK("kmsg global fixture readable", feed_file(&p, "global.kmsg") > 0);
	CHECK("kmsg global no match for other pid", !kmsg_take(&p, 1, 1, &r));
	CHECK("kmsg global report found", kmsg_take(&p, 4242, 4242, &r));
	CHECK("kmsg global complete", r.complete);
	CHECK("kmsg global gfp/order", r.gfp_mask == 0x140dca && r.order == 0);
	CHECK_STR("kmsg global gfp text", "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO", r.gfp_text);
	CHECK("kmsg global old CPU line pid", r.trigger_pid == 4242);
	CHECK("kmsg global stack skips '?'", r.nstack == 10);
	CHECK_STR("kmsg global stack keeps .constprop", "__alloc_pages_slowpath.constprop.0+0xc94",
		  r.stack[4]);
	CHECK_STR("kmsg global constraint", "CONSTRAINT_NONE", r.constraint);
	CHECK("kmsg global global_oom", r.global_oom && r.oom_memcg[0] == '\0');
	CHECK_STR("kmsg global task_memcg", "/user.slice/user-1000.slice/session-3.scope",
		  r.task_memcg);
	CHECK("kmsg global meminfo", r.has_meminfo && r.ram_pages == 2097022 && r.swap_total_kb == 0);
	CHECK("kmsg global no memcg usage", !r.has_memcg_usage);
	CHECK("kmsg global four tasks", r.ntasks == 4);
	t = find_task(&r, 312);
	CHECK("kmsg global adj -1000 row", t && t->oom_score_adj == -1000);
	t = find_task(&r, 4300);
	CHECK_STR("kmsg global name with space", "my worker", t ? t->name : NULL);
	CHECK("kmsg global uid", t && t->uid == 1000 && t->oom_score_adj == 300);
	CHECK("kmsg global victim uid", r.victim_uid == 1000 && r.kill_uid == 1000);
	CHECK_STR("kmsg global kill message", "Out of memory", r.kill_message);
	kmsg_report_free(&r);
	kmsg_parser_free(&p);
}

UNIT_SUITE(oom_kmsg_cpuset)
{
	struct kmsg_parser p;
	struct kmsg_report r;

	kmsg_parser_init(&p);
	CHECK("kmsg cpuset fixture readable", feed_file(&p, "cpuset.kmsg") > 0);
	CHECK("kmsg cpuset report found", kmsg_take(&p, 777, 777, &r));
	CHECK_STR("kmsg cpuset constraint", "CONSTRAINT_CPUSET", r.constraint);
	CHECK_STR("kmsg cpuset name despite commas in nodemask", "pinned", r.cpuset);
	CHECK("kmsg cpuset order 2", r.order == 2);
	CHECK("kmsg cpuset victim pid", r.victim_pid == 777 && r.global_oom);
	CHECK("kmsg cpuset swapents", r.ntasks == 1 && r.tasks[0].swapents == 10);
	kmsg_report_free(&r);
	kmsg_parser_free(&p);
}

UNIT_SUITE(oom_kmsg_interleaved)
{
	struct kmsg_parser p;
	struct kmsg_report r;
	const struct kmsg_task *t;

	kmsg_parser_init(&p);
	CHECK("kmsg interleaved fixture readable", feed_file(&p, "interleaved.kmsg") > 0);
	CHECK("kmsg interleaved report found", kmsg_take(&p, 2001, 2001, &r));
	CHECK("kmsg interleaved complete", r.complete);
	CHECK("kmsg interleaved stack", r.nstack == 3);
	CHECK_STR("kmsg interleaved stack frame", "mem_cgroup_out_of_memory+0xc0", r.stack[1]);
	CHECK("kmsg interleaved usage (v2)", r.memcg_usage_kb == 524288 && r.memcg_limit_kb == 524288);
	CHECK("kmsg interleaved rows, foreign '[' lines skipped", r.ntasks == 2);
	t = find_task(&r, 2001);
	CHECK("kmsg interleaved old table layout", t && t->rss == 120000 && !t->has_rss_split &&
							t->pgtables_bytes == 1200000 && t->oom_score_adj == 200);
	t = find_task(&r, 2002);
	CHECK_STR("kmsg interleaved escaped comm sanitized", "side?car", t ? t->name : NULL);
	CHECK_STR("kmsg interleaved oom_memcg", "/system.slice/app.service", r.oom_memcg);
	kmsg_report_free(&r);
	kmsg_parser_free(&p);
}

UNIT_SUITE(oom_kmsg_truncated)
{
	struct kmsg_parser p;
	struct kmsg_report r;

	kmsg_parser_init(&p);
	CHECK("kmsg truncated fixture readable", feed_file(&p, "truncated.kmsg") > 0);
	CHECK("kmsg truncated lost records counted", p.lost == 3 + 89);
	CHECK("kmsg truncated gap report found", kmsg_take(&p, 3001, 3001, &r));
	CHECK("kmsg truncated gap: not complete", r.gap && !r.complete);
	CHECK("kmsg truncated gap: table not trusted", !r.tasks_done && r.ntasks == 1);
	CHECK("kmsg truncated gap: kill line still parsed", r.has_kill && r.kill_adj == 500);
	kmsg_report_free(&r);
	CHECK("kmsg cut-off report still open", p.active);
	kmsg_flush(&p);
	CHECK("kmsg cut-off report matched by trigger pid", kmsg_take(&p, 4001, 4001, &r));
	CHECK("kmsg cut-off: no kill, no constraint", !r.has_kill && !r.has_constraint && !r.complete);
	CHECK("kmsg cut-off: partial row dropped", r.ntasks == 0 && !r.tasks_done);
	kmsg_report_free(&r);
	kmsg_parser_free(&p);
}

UNIT_SUITE(oom_kmsg_overrun)
{
	struct kmsg_parser p;
	struct kmsg_report r;
	static const char *const recs[] = {
		"4,10,100,-;a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
		"6,11,101,-;Tasks state (memory values in pages):",
		"6,12,102,-;[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
		"6,13,103,-;[     50]     0    50      100       10     4096        0             0 a",
		"garbage without prefix",
		"6,14,,-;missing timestamp",
	};
	size_t i;

	kmsg_parser_init(&p);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		kmsg_feed_record(&p, recs[i], strlen(recs[i]));
	CHECK("kmsg malformed records ignored", p.records == 4);
	kmsg_overrun(&p);
	kmsg_feed_record(&p, "6,40,200,-;oom-kill:constraint=CONSTRAINT_NONE,global_oom,task=a,pid=50,uid=0",
			 strlen("6,40,200,-;oom-kill:constraint=CONSTRAINT_NONE,global_oom,task=a,pid=50,uid=0"));
	kmsg_feed_record(&p, "3,41,201,-;Out of memory: Killed process 50 (a) total-vm:400kB, anon-rss:40kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
			 strlen("3,41,201,-;Out of memory: Killed process 50 (a) total-vm:400kB, anon-rss:40kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0"));
	CHECK("kmsg overrun: lost count from seq", p.lost == 26);
	CHECK("kmsg overrun report found", kmsg_take(&p, 50, 50, &r));
	CHECK("kmsg overrun marks gap", r.gap && !r.complete && !r.tasks_done);
	kmsg_report_free(&r);
	/* A kill line without a header (dump_header rate-limited) */
	kmsg_feed_record(&p, "3,42,300,-;Out of memory: Killed process 60 (b) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:7",
			 strlen("3,42,300,-;Out of memory: Killed process 60 (b) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:7"));
	CHECK("kmsg kill-only report", kmsg_take(&p, 60, 0, &r) && r.has_kill && !r.has_header &&
					       r.kill_adj == 7 && !r.complete);
	kmsg_report_free(&r);
	for (i = 0; i < 40; i++)
		kmsg_feed_record(&p, "3,50,300,-;Out of memory: Killed process 61 (c) total-vm:4kB",
				 strlen("3,50,300,-;Out of memory: Killed process 61 (c) total-vm:4kB"));
	kmsg_trim(&p, 8);
	CHECK("kmsg trim keeps newest", p.ndone == 8);
	kmsg_parser_free(&p);
}

/* Every fixture record cut at every length, unterminated: no crash and no
 * read past the given length (the ASan run checks). */
UNIT_SUITE(oom_kmsg_cut_records)
{
	static const char *const files[] = { "memcg-v1.kmsg", "global.kmsg", "cpuset.kmsg",
					     "interleaved.kmsg", "truncated.kmsg" };
	char path[256], line[2048];
	struct kmsg_parser p;
	size_t i, n, fed = 0;
	FILE *f;

	kmsg_parser_init(&p);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "tests/fixtures/oom/%s", files[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			size_t len = strlen(line);

			for (n = 0; n <= len; n++) {
				char *copy = malloc(n ? n : 1);

				memcpy(copy, line, n);
				kmsg_feed_record(&p, copy, n);
				free(copy);
				fed++;
			}
		}
		fclose(f);
	}
	kmsg_flush(&p);
	CHECK("kmsg cut records: survived", fed > 1000);
	kmsg_parser_free(&p);
}
