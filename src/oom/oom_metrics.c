/* memleakbpf oom: the kills seen so far as metrics (`memleakbpf serve`).
 * A report is one kill; the tally adds them up, and its renderer reads
 * only the tally. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"
#include "oom/oom_report.h"

int oom_tally_add(struct oom_tally *t, const struct oom_report *r)
{
	struct oom_tally_kill *k;
	size_t i;

	t->last = *r;
	t->last.cand = NULL;	/* the tally keeps no pointer into r */
	t->last.ncand = 0;
	t->has_last = true;
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].victim, r->v_comm) && !strcmp(t->v[i].memcg, r->v_memcg)) {
			t->v[i].kills++;
			return 0;
		}
	k = realloc(t->v, (t->n + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	t->v = k;
	k = &t->v[t->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->victim, sizeof(k->victim), "%s", r->v_comm);
	snprintf(k->memcg, sizeof(k->memcg), "%s", r->v_memcg);
	k->kills = 1;
	return 0;
}

void oom_tally_free(struct oom_tally *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void oom_metrics(const struct oom_tally *t, unsigned int top, struct metrics *m)
{
	static const char *const labels[] = { "victim", "memcg" };
	struct metrics_row *rows = calloc(t->n + 1, sizeof(*rows));
	size_t i;

	if (!rows) {
		m->nomem = true;
		return;
	}
	metrics_family(m, "memleakbpf_oom_kills", METRIC_COUNTER, NULL,
		       "OOM kills seen since tracing began, per victim comm and its memcg");
	for (i = 0; i < t->n; i++)
		rows[i] = (struct metrics_row){ { t->v[i].victim, t->v[i].memcg },
						(double)t->v[i].kills };
	metrics_add_top(m, labels, 2, rows, t->n, top);
	free(rows);

	/* The last kill: one sample, labelled like its counter. */
	metrics_family(m, "memleakbpf_oom_last_kill_points", METRIC_GAUGE, NULL,
		       "oom_badness() points of the last victim (pages), when known");
	if (t->has_last && t->last.has_points)
		metrics_add(m, t->last.v_points, "victim", t->last.v_comm, "memcg",
			    t->last.v_memcg, NULL);
	metrics_family(m, "memleakbpf_oom_last_kill_timestamp_seconds", METRIC_GAUGE, "seconds",
		       "when the last OOM kill was seen (epoch seconds)");
	if (t->has_last)
		metrics_add(m, t->last.timestamp, "victim", t->last.v_comm, "memcg",
			    t->last.v_memcg, NULL);
}
