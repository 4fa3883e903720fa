/* Unit tests: oom_badness() arithmetic, candidates from a kmsg table, the
 * report's JSON twin, memcg mount discovery and --rank on a fixture tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oom/oom_candidates.h"
#include "oom/oom_kmsg.h"
#include "oom/oom_memcg.h"
#include "oom/oom_rankview.h"
#include "oom/oom_report.h"
#include "unit.h"

static char *slurp(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n)
		buf[0] = '\0';
	return buf;
}

UNIT_SUITE(oom_points)
{
	bool ok;

	/* 64 MiB memcg: totalpages 16384, adj 500 adds 500 * 16 */
	CHECK("points: rss + swap + pgtables/4096 + adj*tp/1000",
	      oom_points(14668, 0, 163840, 500, 16384, &ok) == 14668 + 40 + 8000 && ok);
	CHECK("points: adj rounds with totalpages / 1000",
	      oom_points(100, 0, 0, 100, 1999, &ok) == 200 && ok);
	CHECK("points: negative adj", oom_points(1000, 10, 4096, -500, 10000, &ok) == 1011 - 5000);
	oom_points(1000, 0, 0, -1000, 10000, &ok);
	CHECK("points: adj -1000 is ineligible", !ok);
}

UNIT_SUITE(oom_cands_kmsg)
{
	struct kmsg_task t[3] = {
		{ .pid = 10, .tgid = 10, .rss = 100, .pgtables_bytes = 8192, .oom_score_adj = 0, .name = "a" },
		{ .pid = 21, .tgid = 20, .rss = 50, .swapents = 5, .oom_score_adj = 100, .name = "b" },
		{ .pid = 30, .tgid = 30, .rss = 900, .oom_score_adj = -1000, .name = "c" },
	};
	struct kmsg_report k = { .tasks = t, .ntasks = 3, .tasks_done = true };
	struct oom_report r = { .totalpages = 2000, .v_pid = 20 };

	CHECK("cands from kmsg", oom_cands_from_kmsg(&r, &k) == 0 && r.ncand == 3);
	oom_report_rank(&r);
	CHECK("cands rank: adj 100 * 2 wins", r.cand[0].pid == 20 && r.cand[0].points == 255);
	CHECK("cands victim matched by tgid", r.cand[0].victim && !r.cand[1].victim);
	CHECK("cands: -1000 ranked last, ineligible", r.cand[2].pid == 30 && !r.cand[2].eligible);
	CHECK("cands: kB conversions", r.cand[0].rss_kb == 200 && r.cand[0].swap_kb == 20 &&
					       r.cand[1].pgtables_kb == 8);
	oom_report_free(&r);
}

UNIT_SUITE(oom_report_json)
{
	struct oom_report r = { .v_pid = 7, .src_victim = SRC_BPF };
	FILE *f = tmpfile();
	char *s;

	snprintf(r.v_comm, sizeof(r.v_comm), "we\"ird\n");
	oom_cands_ensure_victim(&r); /* no memory known: nothing invented */
	CHECK("json: no victim row without data", r.ncand == 0);
	oom_report_print_json(f, &r);
	s = slurp(f);
	CHECK("json: mode", s && strstr(s, "\"mode\":\"oom\""));
	CHECK("json: unknown numbers are null", s && strstr(s, "\"anon_rss_kb\":null") &&
						 strstr(s, "\"points\":null") &&
						 strstr(s, "\"gfp_mask\":null") &&
						 strstr(s, "\"stack\":null") &&
						 strstr(s, "\"constraint\":null") &&
						 strstr(s, "\"memcg\":null"));
	CHECK("json: comm escaped losslessly", s && strstr(s, "\"comm\":\"we\\\"ird\\n\""));
	CHECK("json: candidates present as []", s && strstr(s, "\"candidates\":[]"));
	CHECK("json: one line", s && strchr(s, '\n') == s + strlen(s) - 1);
	free(s);
	fclose(f);
}

UNIT_SUITE(oom_memcg)
{
	struct memcg_mounts m;

	CHECK("memcg mounts parse", memcg_find_mounts(&m, "tests/fixtures/oom/mountinfo") == 0);
	CHECK_STR("memcg v1 mount (root mount only)", "/sys/fs/cgroup/memory", m.v1);
	CHECK_STR("memcg v2 mount", "/sys/fs/cgroup/unified", m.v2);
	CHECK("memcg within itself", memcg_within("/a/b", "/a/b"));
	CHECK("memcg within child", memcg_within("/a/b/c", "/a/b"));
	CHECK("memcg not within prefix sibling", !memcg_within("/a/bc", "/a/b"));
	CHECK("memcg root holds all", memcg_within("/x", "/"));
	CHECK("memcg id 0 unresolved", !memcg_path_by_id(&m, 0, (char[8]){ 0 }, 8));
}

/* id -> path by inode on a directory tree standing in for a hierarchy */
UNIT_SUITE(oom_memcg_walk)
{
	char root[] = "/tmp/memcg-walk.XXXXXX", p[300], out[3][MEMCG_PATH_MAX];
	struct memcg_mounts m = {};
	unsigned long long ids[3];
	struct stat st;

	CHECK("memcg walk: tmpdir", mkdtemp(root) != NULL);
	snprintf(p, sizeof(p), "%s/a", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a/b", root);
	mkdir(p, 0700);
	snprintf(m.v2, sizeof(m.v2), "%s", root);
	stat(p, &st);
	ids[0] = st.st_ino;
	stat(root, &st);
	ids[1] = st.st_ino;
	ids[2] = 0;
	CHECK("memcg walk: two of three found", memcg_paths_by_ids(&m, ids, 3, out) == 2);
	CHECK_STR("memcg walk: nested path", "/a/b", out[0]);
	CHECK_STR("memcg walk: root is /", "/", out[1]);
	CHECK_STR("memcg walk: id 0 empty", "", out[2]);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/a", root);
	rmdir(p);
	rmdir(root);
}

UNIT_SUITE(oom_rankview)
{
	FILE *f = tmpfile();
	char *s;

	CHECK("rank fixture json exit 0",
	      oom_rank_report_at(f, "tests/fixtures/why/proc", "tests/fixtures/oom/mountinfo-none",
				 true, false) == 0);
	s = slurp(f);
	CHECK("rank json: machine domain only", s && strstr(s, "\"domains\":[{\"memcg\":null"));
	CHECK("rank json: adj 500 outranks the biggest", s && strstr(s, "\"rank\":1,\"pid\":103,") && strstr(s, "\"rank\":2,\"pid\":100,"));
	CHECK("rank json: init never ranked", s && strstr(s, "{\"rank\":null,\"pid\":1,"));
	CHECK("rank json: -1000 never ranked", s && strstr(s, "{\"rank\":null,\"pid\":104,"));
	CHECK("rank json: warning about the -1000 holder",
	      s && strstr(s, "\"warnings\":[{\"pid\":104,\"comm\":\"protected\""));
	free(s);
	fclose(f);
	f = tmpfile();
	CHECK("rank fixture text exit 0",
	      oom_rank_report_at(f, "tests/fixtures/why/proc", "tests/fixtures/oom/mountinfo-none",
				 false, false) == 0);
	s = slurp(f);
	CHECK("rank text: warning line", s && strstr(s, "warning: pid 104 (protected) has oom_score_adj -1000"));
	fflush(stdout); /* its one stderr line must not split a result line */
	CHECK("rank text: missing proc is an error",
	      oom_rank_report_at(f, "/nonexistent", NULL, false, false) != 0);
	free(s);
	fclose(f);
}
