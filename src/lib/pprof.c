/* A pprof profile of outstanding memory (see pprof.h).  Field numbers are
 * profile.proto's (github.com/google/pprof, proto/profile.proto). */
#include "lib/pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/common.h"
#include "lib/protobuf.h"

enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,

	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,

	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,

	LABEL_KEY = 1,
	LABEL_STR = 2,

	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,

	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,

	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,

	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

/* (a, b) -> id, open addressing: locations by (mapping, address),
 * functions by (name, file) string indexes, mappings by file index. */
struct idmap {
	struct idslot { uint64_t a, b, id; } *v;
	size_t n, cap;
};

struct pprof {
	struct pb_buf out;	/* every message but the trailing header fields */
	struct pb_strtab strs;
	struct idmap locs, funcs, maps;
	uint64_t nlocs, nfuncs, nmaps;
	long long time_nanos;
	unsigned long long period;
	bool oom;
};

static size_t idhash(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;

	return (size_t)(h ^ h >> 29);
}

static struct idslot *idmap_slot(struct idmap *m, uint64_t a, uint64_t b)
{
	size_t i;

	for (i = idhash(a, b) & (m->cap - 1); m->v[i].id; i = (i + 1) & (m->cap - 1))
		if (m->v[i].a == a && m->v[i].b == b)
			break;
	return &m->v[i];
}

/* The id of (a, b), or 0 after storing `id` for it (0 and oom: no room). */
static uint64_t idmap_get_or_put(struct idmap *m, uint64_t a, uint64_t b, uint64_t id, bool *oom)
{
	struct idslot *s;

	if ((m->n + 1) * 2 > m->cap) {
		struct idmap grown = { .cap = m->cap ? m->cap * 2 : 256 };
		size_t i;

		grown.v = calloc(grown.cap, sizeof(*grown.v));
		if (!grown.v) {
			*oom = true;
			return 0;
		}
		for (i = 0; i < m->cap; i++)
			if (m->v[i].id)
				*idmap_slot(&grown, m->v[i].a, m->v[i].b) = m->v[i];
		grown.n = m->n;
		free(m->v);
		*m = grown;
	}
	s = idmap_slot(m, a, b);
	if (s->id)
		return s->id;
	*s = (struct idslot){ a, b, id };
	m->n++;
	return 0;
}

struct pprof *pprof_new(long long time_nanos, unsigned long long sample_every)
{
	struct pprof *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->time_nanos = time_nanos;
	p->period = sample_every ? sample_every : 1;
	pb_strtab_index(&p->strs, "");
	return p;
}

void pprof_free(struct pprof *p)
{
	if (!p)
		return;
	pb_free(&p->out);
	pb_strtab_free(&p->strs);
	free(p->locs.v);
	free(p->funcs.v);
	free(p->maps.v);
	free(p);
}

static int64_t str(struct pprof *p, const char *s)
{
	return pb_strtab_index(&p->strs, s);
}

uint64_t pprof_mapping(struct pprof *p, const char *file, const char *build_id, bool symbolized)
{
	struct pb_buf m = {};
	int64_t name = str(p, file);
	uint64_t id = idmap_get_or_put(&p->maps, (uint64_t)name, 0, p->nmaps + 1, &p->oom);

	if (id || p->oom)
		return id;
	id = ++p->nmaps;
	pb_uint(&m, MAPPING_ID, id);
	pb_uint_opt(&m, MAPPING_FILENAME, (uint64_t)name);
	pb_uint_opt(&m, MAPPING_BUILD_ID, (uint64_t)str(p, build_id));
	if (symbolized) {
		pb_uint(&m, MAPPING_HAS_FUNCTIONS, 1);
		pb_uint(&m, MAPPING_HAS_FILENAMES, 1);
		pb_uint(&m, MAPPING_HAS_LINE_NUMBERS, 1);
		pb_uint(&m, MAPPING_HAS_INLINE_FRAMES, 1);
	}
	pb_message(&p->out, PROFILE_MAPPING, &m);
	pb_free(&m);
	return id;
}

static uint64_t function(struct pprof *p, const char *name, const char *file)
{
	struct pb_buf f = {};
	int64_t n = str(p, name), fl = str(p, file);
	uint64_t id = idmap_get_or_put(&p->funcs, (uint64_t)n, (uint64_t)fl, p->nfuncs + 1, &p->oom);

	if (id || p->oom)
		return id;
	id = ++p->nfuncs;
	pb_uint(&f, FUNCTION_ID, id);
	pb_uint_opt(&f, FUNCTION_NAME, (uint64_t)n);
	pb_uint_opt(&f, FUNCTION_SYSTEM_NAME, (uint64_t)n);
	pb_uint_opt(&f, FUNCTION_FILENAME, (uint64_t)fl);
	pb_message(&p->out, PROFILE_FUNCTION, &f);
	pb_free(&f);
	return id;
}

uint64_t pprof_location(struct pprof *p, uint64_t mapping, unsigned long long address,
			const struct pprof_line *lines, int nlines)
{
	struct pb_buf l = {}, ln = {};
	uint64_t id = idmap_get_or_put(&p->locs, mapping, address, p->nlocs + 1, &p->oom);
	int i;

	if (id || p->oom)
		return id;
	id = ++p->nlocs;
	pb_uint(&l, LOCATION_ID, id);
	pb_uint_opt(&l, LOCATION_MAPPING_ID, mapping);
	pb_uint_opt(&l, LOCATION_ADDRESS, address);
	for (i = 0; i < nlines; i++) {
		/* A line without a function says nothing pprof can show:
		 * the address does. */
		if (!lines[i].function)
			continue;
		ln.len = 0;
		pb_uint(&ln, LINE_FUNCTION_ID, function(p, lines[i].function, lines[i].file));
		if (lines[i].line > 0)
			pb_int(&ln, LINE_LINE, lines[i].line);
		pb_message(&l, LOCATION_LINE, &ln);
	}
	pb_message(&p->out, PROFILE_LOCATION, &l);
	pb_free(&l);
	pb_free(&ln);
	return id;
}

static void label(struct pprof *p, struct pb_buf *sample, const char *key, const char *value)
{
	struct pb_buf l = {};

	pb_uint(&l, LABEL_KEY, (uint64_t)str(p, key));
	pb_uint(&l, LABEL_STR, (uint64_t)str(p, value));
	pb_message(sample, SAMPLE_LABEL, &l);
	pb_free(&l);
}

void pprof_sample(struct pprof *p, const uint64_t *locations, size_t n, long long objects,
		  long long bytes, const struct pprof_label *labels, int nlabels)
{
	struct pb_buf s = {};
	uint64_t values[2] = { (uint64_t)objects, (uint64_t)bytes };
	int i;

	pb_packed(&s, SAMPLE_LOCATION_ID, locations, n);
	pb_packed(&s, SAMPLE_VALUE, values, 2);
	for (i = 0; i < nlabels; i++)
		if (labels[i].value)
			label(p, &s, labels[i].key, labels[i].value);
	pb_message(&p->out, PROFILE_SAMPLE, &s);
	pb_free(&s);
}

void pprof_comment(struct pprof *p, const char *text)
{
	pb_int(&p->out, PROFILE_COMMENT, str(p, text));
}

static void value_type(struct pprof *p, struct pb_buf *b, unsigned int field, const char *type,
		       const char *unit)
{
	struct pb_buf v = {};

	pb_uint(&v, VALUE_TYPE_TYPE, (uint64_t)str(p, type));
	pb_uint(&v, VALUE_TYPE_UNIT, (uint64_t)str(p, unit));
	pb_message(b, field, &v);
	pb_free(&v);
}

int pprof_encode(struct pprof *p, unsigned char **data, size_t *len)
{
	struct pb_buf b = {};
	size_t i;

	/* Go's heap profiles name their types so; Pyroscope and Parca key a
	 * memory profile on these names. */
	value_type(p, &b, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
	value_type(p, &b, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
	pb_int(&b, PROFILE_DEFAULT_SAMPLE_TYPE, str(p, "inuse_space"));
	/* -s N records 1 allocation in N: the period is counted in
	 * allocations, not bytes as in Go's own sampling. */
	value_type(p, &b, PROFILE_PERIOD_TYPE, "allocations", "count");
	pb_int(&b, PROFILE_PERIOD, (int64_t)p->period);
	if (p->time_nanos)
		pb_int(&b, PROFILE_TIME_NANOS, p->time_nanos);
	if (!b.oom && !p->out.oom && p->out.len) {
		if (b.len + p->out.len > b.cap) {
			unsigned char *d = realloc(b.data, b.len + p->out.len);

			if (!d)
				b.oom = true;
			else
				b.data = d, b.cap = b.len + p->out.len;
		}
		if (!b.oom) {
			memcpy(b.data + b.len, p->out.data, p->out.len);
			b.len += p->out.len;
		}
	}
	/* Last: every string above is interned by now. */
	for (i = 0; i < p->strs.n; i++)
		pb_string(&b, PROFILE_STRING_TABLE, p->strs.s[i]);
	if (b.oom || p->out.oom || p->strs.oom || p->oom) {
		pb_free(&b);
		return -ENOMEM;
	}
	*data = b.data;
	*len = b.len;
	return 0;
}

/* gzip (RFC 1952) of a buffer: deflate with windowBits 15 + 16. */
static int gzip_buffer(const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z = {};
	size_t cap;
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = len;
	z.next_out = *out;
	z.avail_out = cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

int pprof_write(struct pprof *p, const char *path)
{
	unsigned char *raw = NULL, *gz = NULL;
	size_t len = 0, gzlen = 0;
	int err;

	err = pprof_encode(p, &raw, &len);
	if (!err)
		err = gzip_buffer(raw, len, &gz, &gzlen);
	if (!err)
		err = write_file_atomic(path, gz, gzlen);
	free(raw);
	free(gz);
	return err;
}
