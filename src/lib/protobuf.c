/* A minimal protocol-buffers writer (see protobuf.h). */
#include "lib/protobuf.h"

#include <stdlib.h>
#include <string.h>

static bool reserve(struct pb_buf *b, size_t more)
{
	size_t cap;
	unsigned char *p;

	if (b->oom)
		return false;
	if (b->len + more <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void pb_free(struct pb_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	if (!reserve(b, 10))
		return;
	while (v >= 0x80) {
		b->data[b->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (unsigned char)v;
}

void pb_key(struct pb_buf *b, unsigned int field, enum pb_wire wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, unsigned int field, uint64_t v)
{
	pb_key(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_int(struct pb_buf *b, unsigned int field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

void pb_uint_opt(struct pb_buf *b, unsigned int field, uint64_t v)
{
	if (v)
		pb_uint(b, field, v);
}

void pb_bytes(struct pb_buf *b, unsigned int field, const void *data, size_t len)
{
	pb_key(b, field, PB_LEN);
	pb_varint(b, len);
	if (!reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb_string(struct pb_buf *b, unsigned int field, const char *s)
{
	pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void pb_message(struct pb_buf *b, unsigned int field, const struct pb_buf *msg)
{
	if (msg->oom)
		b->oom = true;
	pb_bytes(b, field, msg->data, msg->len);
}

void pb_packed(struct pb_buf *b, unsigned int field, const uint64_t *v, size_t n)
{
	struct pb_buf body = {};
	size_t i;

	/* The length comes first: encode the values aside. */
	for (i = 0; i < n; i++)
		pb_varint(&body, v[i]);
	pb_message(b, field, &body);
	pb_free(&body);
}

/* ---- string table --------------------------------------------------------- */

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static bool rehash(struct pb_strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 256, i, h;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (i = 0; i < t->n; i++) {
		for (h = hash(t->s[i]) & (n - 1); slots[h]; h = (h + 1) & (n - 1))
			;
		slots[h] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return true;
}

int64_t pb_strtab_index(struct pb_strtab *t, const char *s)
{
	size_t h;
	char *copy;

	if (t->oom)
		return 0;
	if (!s)
		s = "";
	if (!t->n && *s) /* "" takes index 0 before anything else */
		pb_strtab_index(t, "");
	if ((t->n + 1) * 2 > t->nslots && !rehash(t))
		goto oom;
	for (h = hash(s) & (t->nslots - 1); t->slots[h]; h = (h + 1) & (t->nslots - 1))
		if (strcmp(t->s[t->slots[h] - 1], s) == 0)
			return (int64_t)(t->slots[h] - 1);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **v = realloc(t->s, cap * sizeof(*v));

		if (!v)
			goto oom;
		t->s = v;
		t->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		goto oom;
	t->s[t->n] = copy;
	t->slots[h] = ++t->n;
	return (int64_t)(t->n - 1);
oom:
	t->oom = true;
	return 0;
}

void pb_strtab_free(struct pb_strtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
