/* Bounded scanning helpers shared by the procfs_*.c parsers: every read is
 * checked against `end`, since the buffers are not NUL-terminated. */
#ifndef MEMLEAKBPF_PROCFS_UTIL_H
#define MEMLEAKBPF_PROCFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct pf_cursor {
	const char *p, *end;
};

/* Next line (without '\n') into [*line, *line + *len); false at the end. */
bool pf_next_line(struct pf_cursor *c, const char **line, size_t *len);
/* Skips spaces and tabs. */
void pf_skip_blank(const char **p, const char *end);
/* Unsigned decimal; false on no digits or overflow. */
bool pf_u64(const char **p, const char *end, unsigned long long *out);
/* Unsigned hexadecimal without "0x"; false on no digits or overflow. */
bool pf_x64(const char **p, const char *end, unsigned long long *out);
/* Signed decimal. */
bool pf_i64(const char **p, const char *end, long long *out);
/* Next blank-separated token. */
bool pf_token(const char **p, const char *end, const char **tok, size_t *len);
/* Copies at most outlen-1 bytes, NUL-terminates. */
void pf_copy(char *out, size_t outlen, const char *s, size_t len);
/* "Key:" at the start of a line: the value starts at *val. */
bool pf_key(const char *line, size_t len, const char *key, const char **val);
/* "N kB" or "N" after a key: bytes when " kB" follows. */
bool pf_kb_value(const char *p, const char *end, unsigned long long *bytes);

/* a + b, pinned at the maximum instead of wrapping: hostile numbers must
 * not turn a sum small. */
static inline unsigned long long pf_sat_add(unsigned long long a, unsigned long long b)
{
	return a + b < a ? ~0ULL : a + b;
}

#endif
