/* Metric families for `memleakbpf serve`: a mode's renderer fills a
 * struct metrics from its report model; metrics_render() writes it as
 * OpenMetrics 1.0 text or Prometheus text 0.0.4 (the textfile collector's).
 *
 *	metrics_family(m, "memleakbpf_kernel_outstanding_bytes", METRIC_GAUGE,
 *		       "bytes", "kernel bytes allocated and not freed");
 *	metrics_add(m, 4096, "kind", "kmalloc", NULL);
 *
 * A counter's name is given without `_total`: the writer adds it to the
 * samples (OpenMetrics) or to the family (0.0.4).  A family with a unit
 * ends with `_UNIT`.  Label values are sanitized (sanitize_text) and
 * escaped; metrics_add_top() bounds a family to its N largest label sets,
 * the rest summed under the value "other". */
#ifndef MEMLEAKBPF_METRICS_H
#define MEMLEAKBPF_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_MAX_LABELS 4

enum metrics_type { METRIC_GAUGE, METRIC_COUNTER };
enum metrics_format { METRICS_OPENMETRICS, METRICS_PROMETHEUS };

struct metrics_sample {
	char *labels;		/* rendered: a="x",b="y"; "" for none */
	double value;
};

struct metrics_family {
	char *name;
	enum metrics_type type;
	const char *unit;	/* NULL or a static string ("bytes") */
	const char *help;	/* static */
	struct metrics_sample *s;
	size_t n;
};

struct metrics {
	struct metrics_family *f;
	size_t n;
	bool nomem;		/* an allocation failed: samples are missing */
};

/* One label set of a bounded family: values in the order of its names. */
struct metrics_row {
	const char *v[METRICS_MAX_LABELS];
	double value;
};

void metrics_family(struct metrics *m, const char *name, enum metrics_type type,
		    const char *unit, const char *help);
/* A sample of the last family: label name, value, ..., NULL. */
void metrics_add(struct metrics *m, double value, ...) __attribute__((sentinel));
/* Samples of the last family from `rows` (reordered): equal label sets
 * merged, the `top` largest kept (0: all), the rest summed into one sample
 * whose every label is "other". */
void metrics_add_top(struct metrics *m, const char *const *names, size_t nlabels,
		     struct metrics_row *rows, size_t n, size_t top);
/* Moves src's families to the end of dst (src is left empty). */
void metrics_move(struct metrics *dst, struct metrics *src);
/* The text, "# EOF" ended for OpenMetrics, into a malloc'ed *buf.  With
 * `eof` false the terminator is left out (parts to be concatenated).  0 or
 * -ENOMEM. */
int metrics_render(const struct metrics *m, enum metrics_format f, bool eof, char **buf,
		   size_t *len);
void metrics_free(struct metrics *m);

#endif
