/* OpenMetrics / Prometheus text writer (see metrics.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "lib/metrics.h"

void metrics_family(struct metrics *m, const char *name, enum metrics_type type,
		    const char *unit, const char *help)
{
	struct metrics_family *f = realloc(m->f, (m->n + 1) * sizeof(*f));

	if (!f) {
		m->nomem = true;
		return;
	}
	m->f = f;
	f = &m->f[m->n];
	*f = (struct metrics_family){ strdup(name), type, unit, help, NULL, 0 };
	if (!f->name) {
		m->nomem = true;
		return;
	}
	m->n++;
}

/* `name="value"` with the value sanitized (valid UTF-8, no control bytes)
 * and escaped as the exposition formats want: \\ \" \n. */
static void put_label(FILE *f, bool first, const char *name, const char *value)
{
	char safe[1024];
	const char *p;

	sanitize_text(safe, sizeof(safe), value ? value : "");
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (p = safe; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p == '\n' ? 'n' : *p, f);
	}
	fputc('"', f);
}

static void add_sample(struct metrics *m, double value, const char *const *names,
		       const char *const *values, size_t n)
{
	struct metrics_family *fam;
	struct metrics_sample *s;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!m->n) {
		m->nomem = true;
		return;
	}
	fam = &m->f[m->n - 1];
	s = realloc(fam->s, (fam->n + 1) * sizeof(*s));
	f = open_memstream(&buf, &len);
	if (!s || !f) {
		if (s)
			fam->s = s;
		m->nomem = true;
		return;
	}
	fam->s = s;
	for (i = 0; i < n; i++)
		put_label(f, i == 0, names[i], values[i]);
	if (fclose(f) || !buf) {
		free(buf);
		m->nomem = true;
		return;
	}
	fam->s[fam->n++] = (struct metrics_sample){ buf, value };
}

void metrics_add(struct metrics *m, double value, ...)
{
	const char *names[METRICS_MAX_LABELS], *values[METRICS_MAX_LABELS];
	const char *name;
	size_t n = 0;
	va_list ap;

	va_start(ap, value);
	while (n < METRICS_MAX_LABELS && (name = va_arg(ap, const char *))) {
		names[n] = name;
		values[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	add_sample(m, value, names, values, n);
}

static int cmp_labels(const void *a, const void *b, void *nlabels)
{
	const struct metrics_row *x = a, *y = b;
	size_t i;
	int c;

	for (i = 0; i < *(size_t *)nlabels; i++)
		if ((c = strcmp(x->v[i] ? x->v[i] : "", y->v[i] ? y->v[i] : "")))
			return c;
	return 0;
}

static int cmp_value(const void *a, const void *b, void *nlabels)
{
	const struct metrics_row *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return cmp_labels(a, b, nlabels);
}

static bool all_other(const struct metrics_row *r, size_t nlabels)
{
	size_t i;

	for (i = 0; i < nlabels; i++)
		if (!r->v[i] || strcmp(r->v[i], "other"))
			return false;
	return true;
}

void metrics_add_top(struct metrics *m, const char *const *names, size_t nlabels,
		     struct metrics_row *rows, size_t n, size_t top)
{
	const char *other[METRICS_MAX_LABELS];
	double rest = 0;
	bool have_rest = false;
	size_t i, k;

	if (nlabels > METRICS_MAX_LABELS)
		nlabels = METRICS_MAX_LABELS;
	/* Equal label sets are one series: two writers of the same comm and
	 * cgroup (their pids are not labels) add up. */
	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_labels, &nlabels);
	for (i = 0, k = 0; i < n; i++) {
		if (k && cmp_labels(&rows[k - 1], &rows[i], &nlabels) == 0)
			rows[k - 1].value += rows[i].value;
		else
			rows[k++] = rows[i];
	}
	n = k;
	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_value, &nlabels);
	for (i = 0; i < nlabels; i++)
		other[i] = "other";
	for (i = 0; i < n; i++) {
		if ((top && i >= top) || all_other(&rows[i], nlabels)) {
			rest += rows[i].value;
			have_rest = true;
			continue;
		}
		add_sample(m, rows[i].value, names, rows[i].v, nlabels);
	}
	if (have_rest)
		add_sample(m, rest, names, other, nlabels);
}

void metrics_move(struct metrics *dst, struct metrics *src)
{
	struct metrics_family *f;

	dst->nomem = dst->nomem || src->nomem;
	if (!src->n)
		return;
	f = realloc(dst->f, (dst->n + src->n) * sizeof(*f));
	if (!f) {
		dst->nomem = true;
		metrics_free(src);
		return;
	}
	dst->f = f;
	memcpy(dst->f + dst->n, src->f, src->n * sizeof(*f));
	dst->n += src->n;
	free(src->f);
	*src = (struct metrics){};
}

static void put_value(FILE *f, double v)
{
	/* Integers print whole (bytes up to 2^53 exactly); %.17g round-trips. */
	fprintf(f, "%.17g\n", v);
}

int metrics_render(const struct metrics *m, enum metrics_format fmt, bool eof, char **buf,
		   size_t *len)
{
	bool om = fmt == METRICS_OPENMETRICS;
	FILE *f = open_memstream(buf, len);
	size_t i, j;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < m->n; i++) {
		const struct metrics_family *fam = &m->f[i];
		bool counter = fam->type == METRIC_COUNTER;
		/* 0.0.4 names a counter's family by its samples' name. */
		const char *suffix = counter && !om ? "_total" : "";

		fprintf(f, "# HELP %s%s %s\n", fam->name, suffix, fam->help);
		fprintf(f, "# TYPE %s%s %s\n", fam->name, suffix, counter ? "counter" : "gauge");
		if (om && fam->unit)
			fprintf(f, "# UNIT %s %s\n", fam->name, fam->unit);
		for (j = 0; j < fam->n; j++) {
			const struct metrics_sample *s = &fam->s[j];

			fprintf(f, "%s%s%s%s%s ", fam->name, counter ? "_total" : "",
				s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "");
			put_value(f, s->value);
		}
	}
	if (om && eof)
		fputs("# EOF\n", f);
	if (fclose(f) || !*buf)
		return -ENOMEM;
	return 0;
}

void metrics_free(struct metrics *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->f[i].n; j++)
			free(m->f[i].s[j].labels);
		free(m->f[i].s);
		free(m->f[i].name);
	}
	free(m->f);
	*m = (struct metrics){};
}
