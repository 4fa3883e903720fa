/* /proc/sysvipc/shm: columns are found by the header's names, so kernels
 * without rss/swap (or with new columns) still parse. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum col { C_KEY, C_SHMID, C_SIZE, C_CPID, C_LPID, C_NATTCH, C_UID, C_RSS, C_SWAP, C_NR };
static const char *const col_names[C_NR] = {
	"key", "shmid", "size", "cpid", "lpid", "nattch", "uid", "rss", "swap",
};

#define SYSV_MAX_COLS 64
#define SYSV_MAX_SEGS (1 << 20)

int procfs_parse_sysvipc_shm(const char *buf, size_t len, struct sysv_shm *sh)
{
	struct pf_cursor c = { buf, buf + len };
	int idx[C_NR], col, k, ncols = 0;
	const char *line, *p, *end, *tok;
	unsigned long long vals[C_NR];
	bool have[C_NR], header = false;
	struct sysv_seg *ns, *s;
	long long key = 0, iv;
	size_t n, tl, cap = 0;

	memset(sh, 0, sizeof(*sh));
	for (k = 0; k < C_NR; k++)
		idx[k] = -1;
	while (pf_next_line(&c, &line, &n)) {
		p = line;
		end = line + n;
		if (!header) {
			for (col = 0; col < SYSV_MAX_COLS && pf_token(&p, end, &tok, &tl); col++)
				for (k = 0; k < C_NR; k++)
					if (strlen(col_names[k]) == tl && !memcmp(col_names[k], tok, tl))
						idx[k] = col;
			ncols = col;
			header = true;
			if (idx[C_SHMID] < 0 || idx[C_SIZE] < 0)
				return -EINVAL;
			continue;
		}
		memset(have, 0, sizeof(have));
		for (col = 0; col < ncols && pf_token(&p, end, &tok, &tl); col++) {
			for (k = 0; k < C_NR; k++) {
				const char *q = tok;

				if (idx[k] != col)
					continue;
				if (k == C_KEY || k == C_CPID || k == C_LPID) {
					if (pf_i64(&q, tok + tl, &iv) && q == tok + tl) {
						have[k] = true;
						if (k == C_KEY)
							key = iv;
						else
							vals[k] = (unsigned long long)iv;
					}
				} else if (pf_u64(&q, tok + tl, &vals[k]) && q == tok + tl) {
					have[k] = true;
				}
			}
		}
		if (!have[C_SHMID] || !have[C_SIZE] || vals[C_SHMID] > 0x7fffffff) {
			if (n)
				sh->bad_lines++;
			continue;
		}
		if (sh->n == cap) {
			if (cap >= SYSV_MAX_SEGS) {
				sh->bad_lines++;
				continue;
			}
			cap = cap ? cap * 2 : 16;
			ns = realloc(sh->s, cap * sizeof(*ns));
			if (!ns) {
				sysv_shm_free(sh);
				return -ENOMEM;
			}
			sh->s = ns;
		}
		s = &sh->s[sh->n++];
		memset(s, 0, sizeof(*s));
		s->key = have[C_KEY] ? key : 0;
		s->shmid = (int)vals[C_SHMID];
		s->size = vals[C_SIZE];
		s->cpid = have[C_CPID] ? (int)vals[C_CPID] : -1;
		s->lpid = have[C_LPID] ? (int)vals[C_LPID] : -1;
		s->nattch = have[C_NATTCH] ? vals[C_NATTCH] : 0;
		s->has_nattch = have[C_NATTCH];
		s->uid = have[C_UID] ? (unsigned)vals[C_UID] : 0;
		s->has_rss = have[C_RSS];
		s->rss = have[C_RSS] ? vals[C_RSS] : 0;
		s->swap = have[C_SWAP] ? vals[C_SWAP] : 0;
	}
	return header ? 0 : -EINVAL;
}

void sysv_shm_free(struct sysv_shm *sh)
{
	free(sh->s);
	sh->s = NULL;
	sh->n = 0;
}
