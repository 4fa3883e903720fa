/* Bounded scanning helpers for the /proc parsers (see procfs_util.h), and
 * procfs_read_file. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool pf_next_line(struct pf_cursor *c, const char **line, size_t *len)
{
	const char *nl;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', c->end - c->p);
	*line = c->p;
	*len = (nl ? nl : c->end) - c->p;
	c->p = nl ? nl + 1 : c->end;
	return true;
}

void pf_skip_blank(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

bool pf_u64(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = *s - '0';

		if (v > (~0ULL - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool pf_x64(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;
	int d;

	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		if (v >> 60)
			return false;
		v = v << 4 | (unsigned)d;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool pf_i64(const char **p, const char *end, long long *out)
{
	const char *s = *p;
	unsigned long long v;
	bool neg = false;

	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (!pf_u64(&s, end, &v) || v > 9223372036854775807ULL + neg)
		return false;
	*out = neg ? (long long)(0 - v) : (long long)v;
	*p = s;
	return true;
}

bool pf_token(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s;

	pf_skip_blank(p, end);
	s = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*tok = s;
	*len = *p - s;
	return *len > 0;
}

void pf_copy(char *out, size_t outlen, const char *s, size_t len)
{
	if (!outlen)
		return;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

bool pf_key(const char *line, size_t len, const char *key, const char **val)
{
	size_t k = strlen(key);

	if (len <= k || memcmp(line, key, k) != 0 || line[k] != ':')
		return false;
	*val = line + k + 1;
	return true;
}

bool pf_kb_value(const char *p, const char *end, unsigned long long *bytes)
{
	unsigned long long v;

	pf_skip_blank(&p, end);
	if (!pf_u64(&p, end, &v))
		return false;
	pf_skip_blank(&p, end);
	if (end - p >= 2 && p[0] == 'k' && p[1] == 'B') {
		if (v > ~0ULL / 1024)
			return false;
		v *= 1024;
	}
	*bytes = v;
	return true;
}

int procfs_read_file(const char *path, size_t max, char **bufp, size_t *lenp, bool *truncated)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, err = 0;

	*bufp = NULL;
	*lenp = 0;
	if (truncated)
		*truncated = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				if (truncated)
					*truncated = true;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

bool procfs_read_comm(pid_t pid, char *buf, size_t len)
{
	char path[32];
	bool ok;
	FILE *f;

	if (!len)
		return false;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}
