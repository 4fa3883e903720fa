/* Unit tests: OOM kill order from a fixture /proc tree and from this
 * machine's /proc. */
#include <stdlib.h>
#include <unistd.h>

#include "procfs/oom_rank.h"
#include "unit.h"

#define FIXTURES "tests/fixtures/why"

UNIT_SUITE(oom_rank)
{
	static const int want[] = { 103, 100, 105, 102, 101 };
	struct oom_rank *r = NULL;
	size_t n = 0, i, killable = 0;
	bool order_ok = true, scores_ok = true, self_seen = false;

	CHECK("oom_rank fixture tree reads",
	      oom_rank_collect_at(FIXTURES "/proc", &r, &n) == 0 && n == 9);
	for (i = 0; i < n; i++)
		killable += r[i].killable;
	CHECK("oom_rank: init, kthreads, zombies and adj -1000 are never picked", killable == 5);
	for (i = 0; i < 5 && i < n; i++)
		order_ok &= r[i].proc.pid == want[i];
	CHECK("oom_rank: badness order, adj scaled by totalpages/1000, ties to the younger",
	      order_ok);
	CHECK("oom_rank: badness adds rss, swap and page tables in pages",
	      n > 1 && r[0].badness == 513000 && r[1].badness == 100100);
	CHECK_STR("oom_rank: comm with ')' kept", "tie) young", n > 3 ? r[3].proc.comm : NULL);
	CHECK_STR("oom_rank: cgroup v2 path", "/user.slice/p103", n ? r[0].cgroup : NULL);
	oom_rank_free(r);

	/* Live: /proc/PID/oom_score is a monotonic function of the same
	 * badness, so along our order it may never rise (bar processes that
	 * change between reads: allow a few). */
	r = NULL;
	CHECK("oom_rank live /proc reads", oom_rank_collect(&r, &n) == 0 && n > 0);
	{
		int rises = 0, prev = 1 << 30;

		for (i = 0; i < n && r[i].killable; i++) {
			if (r[i].oom_score > prev)
				rises++;
			if (r[i].oom_score >= 0)
				prev = r[i].oom_score;
			self_seen |= r[i].proc.pid == getpid();
		}
		scores_ok = rises <= 2;
	}
	CHECK("oom_rank live order agrees with /proc/PID/oom_score", scores_ok);
	CHECK("oom_rank live list holds this process", self_seen);
	oom_rank_free(r);
}
