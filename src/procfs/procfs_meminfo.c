/* /proc/meminfo: every "Name: value [kB]" counter, in file order. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A hostile or corrupt file must not grow the table without bound; real
 * kernels print about 60 counters. */
#define MEMINFO_MAX_FIELDS 512

int procfs_parse_meminfo(const char *buf, size_t len, struct meminfo *mi)
{
	struct pf_cursor c = { buf, buf + len };
	const char *line, *colon, *p;
	struct meminfo_field *nf;
	unsigned long long v;
	size_t n, cap = 0, i;
	bool dup, kb;

	memset(mi, 0, sizeof(*mi));
	while (pf_next_line(&c, &line, &n)) {
		colon = memchr(line, ':', n);
		if (!colon || colon == line || (size_t)(colon - line) >= sizeof(nf->name)) {
			mi->bad_lines++;
			continue;
		}
		p = colon + 1;
		pf_skip_blank(&p, line + n);
		if (!pf_u64(&p, line + n, &v)) {
			mi->bad_lines++;
			continue;
		}
		pf_skip_blank(&p, line + n);
		/* "N kB" or "N": another unit would be read as a wrong number. */
		kb = line + n - p >= 2 && p[0] == 'k' && p[1] == 'B';
		if (kb)
			p += 2;
		pf_skip_blank(&p, line + n);
		if (p != line + n) {
			mi->bad_lines++;
			continue;
		}
		dup = false;
		for (i = 0; i < mi->n && !dup; i++)
			dup = strlen(mi->f[i].name) == (size_t)(colon - line) &&
			      memcmp(mi->f[i].name, line, colon - line) == 0;
		if (dup || mi->n >= MEMINFO_MAX_FIELDS) {
			mi->bad_lines++;
			continue;
		}
		if (mi->n == cap) {
			cap = cap ? cap * 2 : 64;
			nf = realloc(mi->f, cap * sizeof(*nf));
			if (!nf) {
				meminfo_free(mi);
				return -ENOMEM;
			}
			mi->f = nf;
		}
		nf = &mi->f[mi->n++];
		pf_copy(nf->name, sizeof(nf->name), line, colon - line);
		nf->kb = kb;
		if (nf->kb && v > ~0ULL / 1024) {
			mi->n--;
			mi->bad_lines++;
			continue;
		}
		nf->value = nf->kb ? v * 1024 : v;
	}
	if (!mi->n) {
		meminfo_free(mi); /* an overflowing counter may have grown the table */
		return -EINVAL;
	}
	return 0;
}

bool meminfo_get(const struct meminfo *mi, const char *name, unsigned long long *out)
{
	size_t i;

	for (i = 0; i < mi->n; i++)
		if (strcmp(mi->f[i].name, name) == 0) {
			*out = mi->f[i].value;
			return true;
		}
	return false;
}

unsigned long long meminfo_val(const struct meminfo *mi, const char *name)
{
	unsigned long long v;

	return meminfo_get(mi, name, &v) ? v : 0;
}

void meminfo_free(struct meminfo *mi)
{
	free(mi->f);
	mi->f = NULL;
	mi->n = 0;
}
