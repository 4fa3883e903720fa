/* Unit tests: lib/metrics, the OpenMetrics / Prometheus text writer. */
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"
#include "unit.h"

static char *text(const struct metrics *m, enum metrics_format f)
{
	char *buf = NULL;
	size_t len;

	if (metrics_render(m, f, true, &buf, &len))
		return NULL;
	return buf;
}

UNIT_SUITE(metrics)
{
	struct metrics m = {};
	struct metrics_row rows[] = {
		{ { "a", "/x" }, 10 }, { { "b", "/x" }, 30 }, { { "a", "/x" }, 5 },
		{ { "c", "/y" }, 1 }, { { "d", "/y" }, 2 }, { { "other", "other" }, 4 },
	};
	static const char *const names[] = { "comm", "cgroup" };
	char *t;

	metrics_family(&m, "memleakbpf_x_bytes", METRIC_GAUGE, "bytes", "bytes of x");
	metrics_add(&m, 4096, "kind", "k\"q\\\nz", NULL);
	metrics_family(&m, "memleakbpf_kills", METRIC_COUNTER, NULL, "kills");
	metrics_add(&m, 3, NULL);
	t = text(&m, METRICS_OPENMETRICS);
	CHECK_STR("metrics: OpenMetrics family, unit, label sanitized then escaped, counter _total, EOF",
		  "# HELP memleakbpf_x_bytes bytes of x\n"
		  "# TYPE memleakbpf_x_bytes gauge\n"
		  "# UNIT memleakbpf_x_bytes bytes\n"
		  "memleakbpf_x_bytes{kind=\"k\\\"q\\\\\\\\\\\\nz\"} 4096\n"
		  "# HELP memleakbpf_kills kills\n"
		  "# TYPE memleakbpf_kills counter\n"
		  "memleakbpf_kills_total 3\n"
		  "# EOF\n", t);
	free(t);
	t = text(&m, METRICS_PROMETHEUS);
	CHECK("metrics: 0.0.4 names the counter family with _total, no UNIT, no EOF",
	      t && strstr(t, "# TYPE memleakbpf_kills_total counter\nmemleakbpf_kills_total 3\n") &&
	      !strstr(t, "# UNIT") && !strstr(t, "# EOF"));
	free(t);
	metrics_free(&m);

	metrics_family(&m, "memleakbpf_w_bytes", METRIC_GAUGE, "bytes", "w");
	metrics_add_top(&m, names, 2, rows, sizeof(rows) / sizeof(rows[0]), 2);
	t = text(&m, METRICS_OPENMETRICS);
	CHECK_STR("metrics: top 2 after merging equal label sets, the rest (and 'other') summed",
		  "# HELP memleakbpf_w_bytes w\n"
		  "# TYPE memleakbpf_w_bytes gauge\n"
		  "# UNIT memleakbpf_w_bytes bytes\n"
		  "memleakbpf_w_bytes{comm=\"b\",cgroup=\"/x\"} 30\n"
		  "memleakbpf_w_bytes{comm=\"a\",cgroup=\"/x\"} 15\n"
		  "memleakbpf_w_bytes{comm=\"other\",cgroup=\"other\"} 7\n"
		  "# EOF\n", t);
	free(t);
	metrics_free(&m);
	CHECK("metrics: freed", m.n == 0 && m.f == NULL);
}
