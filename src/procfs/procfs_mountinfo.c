/* /proc/self/mountinfo: "id parent major:minor root mountpoint opts
 * [optional fields...] - fstype source superopts".  Paths arrive with
 * space, tab, newline and backslash octal-escaped. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MOUNTINFO_MAX (1 << 20)
/* A host with thousands of containers has ~100k mounts of ~150 bytes. */
#define MOUNTINFO_MAX_BYTES (16 << 20)

static int oct(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

char *procfs_unescape_octal(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		/* The kernel writes \ooo with a first digit of 0..3. */
		if (s[i] == '\\' && i + 3 < len && oct(s[i + 1]) >= 0 && oct(s[i + 1]) <= 3 &&
		    oct(s[i + 2]) >= 0 && oct(s[i + 3]) >= 0) {
			*o++ = (char)(oct(s[i + 1]) << 6 | oct(s[i + 2]) << 3 | oct(s[i + 3]));
			i += 3;
			continue;
		}
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static void entry_free(struct mount_entry *m)
{
	free(m->root);
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
	free(m->super_opts);
}

static bool parse_int(const char *tok, size_t tl, int *out)
{
	const char *p = tok;
	long long v;

	if (!pf_i64(&p, tok + tl, &v) || p != tok + tl || v < -2147483648LL || v > 2147483647LL)
		return false;
	*out = (int)v;
	return true;
}

static bool parse_line(const char *line, size_t n, struct mount_entry *m)
{
	const char *p = line, *end = line + n, *tok, *q;
	unsigned long long maj, min;
	size_t tl;

	memset(m, 0, sizeof(*m));
	if (!pf_token(&p, end, &tok, &tl) || !parse_int(tok, tl, &m->mount_id))
		return false;
	if (!pf_token(&p, end, &tok, &tl) || !parse_int(tok, tl, &m->parent_id))
		return false;
	if (!pf_token(&p, end, &tok, &tl))
		return false;
	q = tok;
	if (!pf_u64(&q, tok + tl, &maj) || q >= tok + tl || *q++ != ':' ||
	    !pf_u64(&q, tok + tl, &min) || q != tok + tl || maj > 0xffffffffULL || min > 0xffffffffULL)
		return false;
	m->major = (unsigned)maj;
	m->minor = (unsigned)min;
	if (!pf_token(&p, end, &tok, &tl) || !(m->root = procfs_unescape_octal(tok, tl)))
		return false;
	if (!pf_token(&p, end, &tok, &tl) || !(m->mountpoint = procfs_unescape_octal(tok, tl)))
		return false;
	if (!pf_token(&p, end, &tok, &tl)) /* mount options */
		return false;
	/* Optional fields end at a lone "-". */
	for (;;) {
		if (!pf_token(&p, end, &tok, &tl))
			return false;
		if (tl == 1 && tok[0] == '-')
			break;
	}
	if (!pf_token(&p, end, &tok, &tl) || !(m->fstype = procfs_unescape_octal(tok, tl)))
		return false;
	if (!pf_token(&p, end, &tok, &tl) || !(m->source = procfs_unescape_octal(tok, tl)))
		return false;
	if (!pf_token(&p, end, &tok, &tl))
		tl = 0;
	return (m->super_opts = procfs_unescape_octal(tok, tl)) != NULL;
}

int procfs_parse_mountinfo(const char *buf, size_t len, struct mountinfo *mi)
{
	struct pf_cursor c = { buf, buf + len };
	struct mount_entry *nm;
	const char *line;
	size_t n, cap = 0;

	memset(mi, 0, sizeof(*mi));
	while (pf_next_line(&c, &line, &n)) {
		if (!n)
			continue;
		if (mi->n == cap) {
			if (cap >= MOUNTINFO_MAX) {
				mi->bad_lines++;
				continue;
			}
			cap = cap ? cap * 2 : 64;
			nm = realloc(mi->m, cap * sizeof(*nm));
			if (!nm) {
				mountinfo_free(mi);
				return -ENOMEM;
			}
			mi->m = nm;
		}
		if (!parse_line(line, n, &mi->m[mi->n])) {
			entry_free(&mi->m[mi->n]);
			mi->bad_lines++;
			continue;
		}
		mi->n++;
	}
	if (!mi->n) {
		mountinfo_free(mi); /* lines that failed may have grown the table */
		return -EINVAL;
	}
	return 0;
}

int procfs_read_mountinfo(const char *path, struct mountinfo *mi)
{
	size_t len;
	char *buf;
	int err;

	memset(mi, 0, sizeof(*mi));
	err = procfs_read_file(path, MOUNTINFO_MAX_BYTES, &buf, &len, NULL);
	if (err)
		return err;
	err = procfs_parse_mountinfo(buf, len, mi);
	free(buf);
	return err;
}

void mountinfo_free(struct mountinfo *mi)
{
	size_t i;

	for (i = 0; i < mi->n; i++)
		entry_free(&mi->m[i]);
	free(mi->m);
	mi->m = NULL;
	mi->n = 0;
}
