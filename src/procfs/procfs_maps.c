/* /proc/PID/maps: one mapping a line (procfs.h has the line's shape). */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* vm.max_map_count is 65530 by default; a line with a long path is ~4 KiB. */
#define MAPS_MAX_BYTES (256 << 20)
#define MAPS_MAX_ENTRIES (1 << 22)

static const char deleted_suffix[] = " (deleted)";
#define DELETED_LEN (sizeof(deleted_suffix) - 1)

/* One field that must be a whole number: the parse ends at the token's end. */
static bool hex_token(const char **p, const char *end, char sep, unsigned long long *a,
		      unsigned long long *b)
{
	const char *tok, *q;
	size_t tl;

	if (!pf_token(p, end, &tok, &tl))
		return false;
	q = tok;
	if (!pf_x64(&q, tok + tl, a))
		return false;
	if (sep) {
		if (q >= tok + tl || *q++ != sep || !pf_x64(&q, tok + tl, b))
			return false;
	}
	return q == tok + tl;
}

/* Fields of one line; the path's offset in the line on success, -1 else. */
static long parse_line(const char *line, size_t n, struct maps_entry *e)
{
	const char *p = line, *end = line + n, *tok;
	unsigned long long maj, min;
	size_t tl;

	memset(e, 0, sizeof(*e));
	if (!hex_token(&p, end, '-', &e->start, &e->end) || e->end < e->start)
		return -1;
	/* "rwxp" with '-' for a missing right: callers test perms[2] == 'x'. */
	if (!pf_token(&p, end, &tok, &tl) || tl != 4 || (tok[0] != 'r' && tok[0] != '-') ||
	    (tok[1] != 'w' && tok[1] != '-') || (tok[2] != 'x' && tok[2] != '-') ||
	    (tok[3] != 'p' && tok[3] != 's'))
		return -1;
	memcpy(e->perms, tok, 4);
	if (!hex_token(&p, end, 0, &e->offset, NULL))
		return -1;
	if (!hex_token(&p, end, ':', &maj, &min) || maj > 0xffffffffULL || min > 0xffffffffULL)
		return -1;
	e->major = (unsigned)maj;
	e->minor = (unsigned)min;
	if (!pf_token(&p, end, &tok, &tl))
		return -1;
	if (!pf_u64(&tok, tok + tl, &e->inode) || tok != p)
		return -1;
	/* The kernel pads to the path with blanks; the path itself may hold
	 * any (escaped newline aside), trailing ones included. */
	pf_skip_blank(&p, end);
	return p - line;
}

int procfs_parse_maps(const char *buf, size_t len, struct maps *m)
{
	struct pf_cursor c = { buf, buf + len };
	struct maps_entry *ne, *e;
	size_t n, cap = 0, pl;
	const char *line;
	long off;
	char *path;

	memset(m, 0, sizeof(*m));
	/* The paths are cut out of one copy of the text: no allocation per
	 * line, and each ends where its line did. */
	m->text = malloc(len + 1);
	if (!m->text)
		return -ENOMEM;
	while (pf_next_line(&c, &line, &n)) {
		if (!n)
			continue;
		if (m->n == cap) {
			if (cap >= MAPS_MAX_ENTRIES) {
				m->bad_lines++;
				continue;
			}
			cap = cap ? cap * 2 : 64;
			ne = realloc(m->e, cap * sizeof(*ne));
			if (!ne) {
				maps_free(m);
				return -ENOMEM;
			}
			m->e = ne;
		}
		e = &m->e[m->n];
		off = parse_line(line, n, e);
		if (off < 0) {
			m->bad_lines++;
			continue;
		}
		path = m->text + (line - buf) + off;
		pl = strnlen(line + off, n - off); /* a NUL byte ends it, as for a C string */
		memcpy(path, line + off, pl);
		path[pl] = '\0';
		e->path = path;
		e->name_len = pl;
		if (pl > DELETED_LEN && !memcmp(path + pl - DELETED_LEN, deleted_suffix, DELETED_LEN)) {
			e->deleted = true;
			e->name_len = pl - DELETED_LEN;
		}
		m->n++;
	}
	if (!m->n && len) {
		maps_free(m);
		return -EINVAL;
	}
	return 0;
}

int procfs_read_maps(const char *path, struct maps *m)
{
	size_t len;
	char *buf;
	int err;

	memset(m, 0, sizeof(*m));
	err = procfs_read_file(path, MAPS_MAX_BYTES, &buf, &len, NULL);
	if (err)
		return err;
	err = procfs_parse_maps(buf, len, m);
	free(buf);
	return err;
}

void maps_free(struct maps *m)
{
	free(m->e);
	free(m->text);
	m->e = NULL;
	m->text = NULL;
	m->n = 0;
}
