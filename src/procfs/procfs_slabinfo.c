/* /proc/slabinfo, version 2.x: "name active num objsize objperslab
 * pagesperslab : tunables ... : slabdata active_slabs num_slabs shared". */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SLABINFO_MAX_CACHES 65536

static bool parse_cache(const char *line, size_t n, unsigned long page_size, struct slab_cache *sc)
{
	const char *p = line, *end = line + n, *tok, *colon;
	unsigned long long objperslab, active_slabs;
	size_t tl;

	if (!pf_token(&p, end, &tok, &tl))
		return false;
	pf_copy(sc->name, sizeof(sc->name), tok, tl);
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &sc->active_objs))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &sc->num_objs))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &sc->objsize))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &objperslab))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &sc->pages_per_slab))
		return false;
	/* The second ':' section is slabdata. */
	colon = memchr(p, ':', end - p);
	colon = colon ? memchr(colon + 1, ':', end - colon - 1) : NULL;
	if (!colon)
		return false;
	p = colon + 1;
	if (!pf_token(&p, end, &tok, &tl) || tl != 8 || memcmp(tok, "slabdata", 8))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &active_slabs))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &sc->num_slabs))
		return false;
	if (sc->pages_per_slab && sc->num_slabs > ~0ULL / sc->pages_per_slab / page_size)
		return false;
	sc->bytes = sc->num_slabs * sc->pages_per_slab * page_size;
	return true;
}

int procfs_parse_slabinfo(const char *buf, size_t len, unsigned long page_size,
			  struct slabinfo *si)
{
	struct pf_cursor c = { buf, buf + len };
	struct slab_cache *nc;
	const char *line;
	size_t n, cap = 0;

	memset(si, 0, sizeof(*si));
	if (!page_size)
		page_size = 4096;
	while (pf_next_line(&c, &line, &n)) {
		if (n >= 16 && memcmp(line, "slabinfo - vers", 15) == 0) {
			si->version_ok = n >= 22 && memcmp(line + 15, "ion: 2.", 7) == 0;
			continue;
		}
		if (!n || line[0] == '#')
			continue;
		if (si->n == cap) {
			if (cap >= SLABINFO_MAX_CACHES) {
				si->bad_lines++;
				continue;
			}
			cap = cap ? cap * 2 : 128;
			nc = realloc(si->c, cap * sizeof(*nc));
			if (!nc) {
				slabinfo_free(si);
				return -ENOMEM;
			}
			si->c = nc;
		}
		if (!parse_cache(line, n, page_size, &si->c[si->n])) {
			si->bad_lines++;
			continue;
		}
		si->total_bytes = pf_sat_add(si->total_bytes, si->c[si->n].bytes);
		si->n++;
	}
	if (!si->version_ok && !si->n) {
		slabinfo_free(si); /* lines that failed may have grown the table */
		return -EINVAL;
	}
	return 0;
}

void slabinfo_free(struct slabinfo *si)
{
	free(si->c);
	si->c = NULL;
	si->n = 0;
}
