/* /proc/PID/smaps_rollup, or /proc/PID/smaps summed over its mappings. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *key;
	size_t off;
} fields[] = {
	{ "Rss", offsetof(struct smaps_totals, rss) },
	{ "Pss", offsetof(struct smaps_totals, pss) },
	{ "Pss_Anon", offsetof(struct smaps_totals, pss_anon) },
	{ "Pss_File", offsetof(struct smaps_totals, pss_file) },
	{ "Pss_Shmem", offsetof(struct smaps_totals, pss_shmem) },
	{ "Shared_Clean", offsetof(struct smaps_totals, shared_clean) },
	{ "Shared_Dirty", offsetof(struct smaps_totals, shared_dirty) },
	{ "Private_Clean", offsetof(struct smaps_totals, private_clean) },
	{ "Private_Dirty", offsetof(struct smaps_totals, private_dirty) },
	{ "Anonymous", offsetof(struct smaps_totals, anonymous) },
	{ "Swap", offsetof(struct smaps_totals, swap) },
	{ "SwapPss", offsetof(struct smaps_totals, swap_pss) },
	{ "Locked", offsetof(struct smaps_totals, locked) },
};

/* Current mapping, from its header line. */
struct vma {
	bool shared;   /* perms[3] == 's' */
	bool file;     /* inode != 0 */
	unsigned long long rss, anon;
};

static void vma_flush(struct smaps_totals *st, struct vma *v)
{
	if (v->shared)
		st->rss_shared_map = pf_sat_add(st->rss_shared_map, v->rss);
	else if (v->file)
		st->rss_private_file = pf_sat_add(st->rss_private_file,
						  v->rss > v->anon ? v->rss - v->anon : 0);
	memset(v, 0, sizeof(*v));
}

/* "start-end perms offset dev inode [path]": the path may hold anything,
 * so only the first five fields are read. */
static bool parse_header(const char *line, size_t n, struct vma *v)
{
	const char *p = line, *end = line + n, *tok, *dash;
	unsigned long long ino;
	size_t tl;

	if (!pf_token(&p, end, &tok, &tl))
		return false;
	dash = memchr(tok, '-', tl);
	if (!dash || dash == tok)
		return false;
	if (!pf_token(&p, end, &tok, &tl) || tl != 4)
		return false;
	v->shared = tok[3] == 's';
	if (!pf_token(&p, end, &tok, &tl) || !pf_token(&p, end, &tok, &tl))
		return false;
	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &ino))
		return false;
	v->file = ino != 0;
	return true;
}

int procfs_parse_smaps(const char *buf, size_t len, struct smaps_totals *st)
{
	struct pf_cursor c = { buf, buf + len };
	struct vma cur = {};
	const char *line, *val;
	unsigned long long v, *dst;
	size_t n, i;
	bool in_vma = false, matched;

	memset(st, 0, sizeof(*st));
	while (pf_next_line(&c, &line, &n)) {
		/* Field names start upper-case; addresses are lower-case hex. */
		if (n && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) {
			if (in_vma)
				vma_flush(st, &cur);
			in_vma = parse_header(line, n, &cur);
			if (in_vma)
				st->vmas++;
			else
				st->bad_lines++;
			continue;
		}
		matched = false;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && !matched; i++) {
			if (!pf_key(line, n, fields[i].key, &val))
				continue;
			matched = true;
			if (!pf_kb_value(val, line + n, &v)) {
				st->bad_lines++;
				break;
			}
			dst = (unsigned long long *)((char *)st + fields[i].off);
			*dst = pf_sat_add(*dst, v);
			if (i == 0)
				cur.rss = pf_sat_add(cur.rss, v);
			else if (i == 9)
				cur.anon = pf_sat_add(cur.anon, v);
			else if (i >= 2 && i <= 4)
				st->has_pss_split = true;
		}
	}
	if (in_vma)
		vma_flush(st, &cur);
	return st->vmas || st->rss ? 0 : -EINVAL;
}
