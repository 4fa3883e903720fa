/* Unit tests: the protobuf writer (varint edge cases, fields, the string
 * table), a tiny hand-built pprof profile decoded back field by field, and
 * the user mode's pprof renderer on a hand-built model (inlined frames as
 * Lines of one Location). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/pprof.h"
#include "lib/protobuf.h"
#include "unit.h"
#include "user/user_report.h"

static bool bytes_are(const struct pb_buf *b, const char *hex)
{
	char got[256] = "";
	size_t i;

	for (i = 0; i < b->len && 2 * i + 2 < sizeof(got); i++)
		snprintf(got + 2 * i, 3, "%02x", b->data[i]);
	if (strcmp(got, hex) != 0)
		printf("  (got %s, want %s)\n", got, hex);
	return strcmp(got, hex) == 0;
}

static bool varint_is(uint64_t v, const char *hex)
{
	struct pb_buf b = {};
	bool ok;

	pb_varint(&b, v);
	ok = bytes_are(&b, hex);
	pb_free(&b);
	return ok;
}

/* ---- a minimal reader of what the writer wrote ----------------------------- */

struct field {
	unsigned int num, wire;
	uint64_t v;			/* varint */
	const unsigned char *p;		/* length-delimited */
	size_t len;
};

static bool rd_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 70) {
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

/* The fields of a message, in order; -1 on malformed input. */
static int fields(const unsigned char *p, size_t len, struct field *out, int max)
{
	const unsigned char *end = p + len;
	uint64_t key;
	int n = 0;

	while (p < end && n < max) {
		if (!rd_varint(&p, end, &key))
			return -1;
		out[n].num = key >> 3;
		out[n].wire = key & 7;
		if (out[n].wire == 0) {
			if (!rd_varint(&p, end, &out[n].v))
				return -1;
		} else if (out[n].wire == 2) {
			if (!rd_varint(&p, end, &out[n].v) || out[n].v > (uint64_t)(end - p))
				return -1;
			out[n].p = p;
			out[n].len = out[n].v;
			p += out[n].len;
		} else {
			return -1;
		}
		n++;
	}
	return p == end ? n : -1;
}

struct profile {
	struct field top[256];
	int ntop;
	const char *strs[64];
	char strbuf[64][64];
	int nstrs;
};

static bool decode(struct profile *pr, const unsigned char *data, size_t len)
{
	int i;

	pr->ntop = fields(data, len, pr->top, 256);
	pr->nstrs = 0;
	for (i = 0; i < pr->ntop; i++)
		if (pr->top[i].num == 6 && pr->nstrs < 64) {
			snprintf(pr->strbuf[pr->nstrs], 64, "%.*s", (int)pr->top[i].len, pr->top[i].p);
			pr->strs[pr->nstrs] = pr->strbuf[pr->nstrs];
			pr->nstrs++;
		}
	return pr->ntop > 0;
}

static int count(const struct profile *pr, unsigned int num)
{
	int i, n = 0;

	for (i = 0; i < pr->ntop; i++)
		n += pr->top[i].num == num;
	return n;
}

/* The k-th top-level field `num`'s sub-fields. */
static int sub(const struct profile *pr, unsigned int num, int k, struct field *out, int max)
{
	int i;

	for (i = 0; i < pr->ntop; i++)
		if (pr->top[i].num == num && k-- == 0)
			return fields(pr->top[i].p, pr->top[i].len, out, max);
	return -1;
}

static uint64_t get(const struct field *f, int n, unsigned int num)
{
	int i;

	for (i = 0; i < n; i++)
		if (f[i].num == num && f[i].wire == 0)
			return f[i].v;
	return 0;
}

static const char *str(const struct profile *pr, uint64_t i)
{
	return i < (uint64_t)pr->nstrs ? pr->strs[i] : "(out of range)";
}

/* Packed varints of field `num` into out; their number. */
static int packed(const struct field *f, int n, unsigned int num, uint64_t *out, int max)
{
	const unsigned char *p, *end;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (f[i].num != num || f[i].wire != 2)
			continue;
		for (p = f[i].p, end = p + f[i].len; p < end && k < max; k++)
			if (!rd_varint(&p, end, &out[k]))
				return -1;
	}
	return k;
}

static unsigned char *gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char *buf = malloc(1 << 20);
	int n;

	if (!gz || !buf) {
		free(buf);
		if (gz)
			gzclose(gz);
		return NULL;
	}
	n = gzread(gz, buf, 1 << 20);
	gzclose(gz);
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

UNIT_SUITE(protobuf)
{
	struct pb_buf b = {};
	struct pb_strtab t = {};
	uint64_t v[3] = { 1, 300, 0 };

	CHECK("varint 0 is one zero byte", varint_is(0, "00"));
	CHECK("varint 1", varint_is(1, "01"));
	CHECK("varint 127: the largest single byte", varint_is(127, "7f"));
	CHECK("varint 128: two bytes, continuation bit", varint_is(128, "8001"));
	CHECK("varint 300", varint_is(300, "ac02"));
	CHECK("varint 2^32", varint_is(1ULL << 32, "8080808010"));
	CHECK("varint 2^63: ten bytes", varint_is(1ULL << 63, "80808080808080808001"));
	CHECK("varint UINT64_MAX: ten bytes, last 01", varint_is(UINT64_MAX, "ffffffffffffffffff01"));

	pb_int(&b, 2, -1);
	CHECK("int64 -1: key 0x10 and ten bytes (two's complement, no zigzag)",
	      bytes_are(&b, "10ffffffffffffffffff01"));
	b.len = 0;
	pb_uint(&b, 16, 1);
	CHECK("field 16: a two-byte key", bytes_are(&b, "800101"));
	b.len = 0;
	pb_uint_opt(&b, 1, 0);
	CHECK("an optional 0 writes nothing", b.len == 0);
	pb_string(&b, 6, "hi");
	CHECK("string: key, length, bytes", bytes_are(&b, "32026869"));
	b.len = 0;
	pb_string(&b, 6, "");
	CHECK("empty string: key and zero length", bytes_are(&b, "3200"));
	b.len = 0;
	pb_packed(&b, 2, v, 3);
	CHECK("packed varints: one length-delimited field", bytes_are(&b, "120401ac0200"));
	pb_free(&b);

	CHECK("string table: the first string added is at 1, \"\" is 0", pb_strtab_index(&t, "a") == 1);
	CHECK("string table: \"\" is 0", pb_strtab_index(&t, "") == 0 && pb_strtab_index(&t, NULL) == 0);
	CHECK("string table: a string once", pb_strtab_index(&t, "b") == 2 && pb_strtab_index(&t, "a") == 1);
	for (int i = 0; i < 2000; i++) {
		char s[16];

		snprintf(s, sizeof(s), "s%d", i);
		pb_strtab_index(&t, s);
	}
	CHECK("string table: grows (2000 strings) and keeps indexes", pb_strtab_index(&t, "s0") == 3 &&
	      pb_strtab_index(&t, "s1999") == 2002 && t.n == 2003 && !t.oom);
	pb_strtab_free(&t);
}

UNIT_SUITE(pprof_profile)
{
	struct pprof *p = pprof_new(1700000000LL * 1000000000LL, 4);
	struct pprof_line inl[2] = { { "inner", "a.c", 10 }, { "outer", "a.c", 20 } };
	struct pprof_line mainl = { "main", "m.c", 5 };
	struct pprof_label kind = { "kind", "malloc" };
	struct field f[32], g[8];
	struct profile pr;
	unsigned char *data = NULL;
	size_t len = 0;
	uint64_t locs[2], got[8], map, l1, l2;
	int n;

	map = pprof_mapping(p, "/bin/app", "abcd", true);
	CHECK("mapping: ids from 1, one per file", map == 1 && pprof_mapping(p, "/bin/app", "abcd", true) == 1);
	l1 = pprof_location(p, map, 0x1000, inl, 2);
	l2 = pprof_location(p, map, 0x2000, &mainl, 1);
	CHECK("location: ids from 1, one per address", l1 == 1 && l2 == 2 &&
	      pprof_location(p, map, 0x1000, inl, 2) == 1);
	locs[0] = l1;
	locs[1] = l2;
	pprof_sample(p, locs, 2, 3, 3000, &kind, 1);
	CHECK("encodes", pprof_encode(p, &data, &len) == 0 && len > 0);
	CHECK("decodes as a well-formed message", decode(&pr, data, len));
	CHECK("string table starts with \"\"", pr.nstrs > 0 && pr.strs[0][0] == '\0');
	CHECK("two sample types", count(&pr, 1) == 2);
	n = sub(&pr, 1, 0, g, 8);
	CHECK_STR("sample type 0: inuse_objects", "inuse_objects", str(&pr, get(g, n, 1)));
	CHECK_STR("... count", "count", str(&pr, get(g, n, 2)));
	n = sub(&pr, 1, 1, g, 8);
	CHECK_STR("sample type 1: inuse_space", "inuse_space", str(&pr, get(g, n, 1)));
	CHECK_STR("... bytes", "bytes", str(&pr, get(g, n, 2)));
	CHECK_STR("default sample type: inuse_space", "inuse_space", str(&pr, get(pr.top, pr.ntop, 14)));
	CHECK("period 4 (-s 4)", get(pr.top, pr.ntop, 12) == 4);
	n = sub(&pr, 11, 0, g, 8);
	CHECK_STR("period type: allocations", "allocations", str(&pr, get(g, n, 1)));
	CHECK("time_nanos", get(pr.top, pr.ntop, 9) == 1700000000ULL * 1000000000ULL);

	CHECK("one sample", count(&pr, 2) == 1);
	n = sub(&pr, 2, 0, f, 32);
	CHECK("sample: two locations, innermost first", packed(f, n, 1, got, 8) == 2 && got[0] == 1 && got[1] == 2);
	CHECK("sample: values objects then bytes", packed(f, n, 2, got, 8) == 2 && got[0] == 3 && got[1] == 3000);
	for (int i = 0; i < n; i++)
		if (f[i].num == 3) {
			int k = fields(f[i].p, f[i].len, g, 8);

			CHECK_STR("sample label key: kind", "kind", str(&pr, get(g, k, 1)));
			CHECK_STR("sample label value: malloc", "malloc", str(&pr, get(g, k, 2)));
		}

	CHECK("one mapping", count(&pr, 3) == 1);
	n = sub(&pr, 3, 0, f, 32);
	CHECK("mapping id 1", get(f, n, 1) == 1);
	CHECK_STR("mapping file", "/bin/app", str(&pr, get(f, n, 5)));
	CHECK_STR("mapping build id", "abcd", str(&pr, get(f, n, 6)));
	CHECK("mapping: has functions, files, lines, inline frames",
	      get(f, n, 7) && get(f, n, 8) && get(f, n, 9) && get(f, n, 10));

	CHECK("two locations", count(&pr, 4) == 2);
	n = sub(&pr, 4, 0, f, 32);
	CHECK("location 1: mapping 1, address 0x1000", get(f, n, 1) == 1 && get(f, n, 2) == 1 &&
	      get(f, n, 3) == 0x1000);
	{
		int lines = 0, k;
		uint64_t fn[2] = {}, ln[2] = {};

		for (int i = 0; i < n; i++)
			if (f[i].num == 4 && lines < 2) {
				k = fields(f[i].p, f[i].len, g, 8);
				fn[lines] = get(g, k, 1);
				ln[lines++] = get(g, k, 2);
			}
		CHECK("location 1: two Line entries (inner inlined into outer)", lines == 2);
		CHECK("... innermost first: lines 10 then 20", ln[0] == 10 && ln[1] == 20);
		CHECK("... distinct functions", fn[0] && fn[1] && fn[0] != fn[1]);
	}
	CHECK("three functions", count(&pr, 5) == 3);
	n = sub(&pr, 5, 0, f, 32);
	CHECK_STR("function 1: name", "inner", str(&pr, get(f, n, 2)));
	CHECK_STR("function 1: file", "a.c", str(&pr, get(f, n, 4)));
	free(data);
	pprof_free(p);
}

UNIT_SUITE(user_pprof)
{
	/* malloc'd from leak (inlined into caller at one address), called
	 * from main: three frames, two locations. */
	struct report_frame fr[3] = {
		{ "leak", "/src/l.c", "app", 7, 0x1130, true },
		{ "caller", "/src/l.c", "app", 12, 0x1130, false },
		{ "main", "/src/l.c", "app", 20, 0x1180, false },
	};
	struct report_stack st = { .bytes = 4096, .count = 2, .kind = ML_KIND_CALLOC, .nframes = 3, .frames = fr };
	struct report_module mod = { .name = "app", .path = "/usr/bin/app", .build_id = "0123abcd" };
	struct user_report r = { .total_bytes = 4096, .total_count = 2, .nstacks = 1, .stacks = &st, .nshown = 1,
				 .modules = &mod, .nmodules = 1 };
	struct report_opts o = { .pid = 42, .comm = "app", .exe = "/usr/bin/app", .sample_every = 1,
				 .timestamp = 1700000000 };
	char path[] = "/tmp/unit-pprof-XXXXXX";
	struct field f[32];
	struct profile pr;
	unsigned char *data;
	size_t len = 0;
	uint64_t got[8];
	int fd = mkstemp(path), n, lines = 0;

	close(fd);
	CHECK("user_report_pprof writes", user_report_pprof(&r, &o, path) == 0);
	data = gunzip_file(path, &len);
	unlink(path);
	CHECK("the file is gzip of a well-formed profile", data && len && decode(&pr, data, len));
	n = sub(&pr, 2, 0, f, 32);
	CHECK("user: one sample of two locations (inlined frames share one)",
	      count(&pr, 2) == 1 && packed(f, n, 1, got, 8) == 2);
	CHECK("user: values count 2, bytes 4096", packed(f, n, 2, got, 8) == 2 && got[0] == 2 && got[1] == 4096);
	n = sub(&pr, 4, 0, f, 32);
	for (int i = 0; i < n; i++)
		lines += f[i].num == 4;
	CHECK("user: the first location has two lines", lines == 2);
	n = sub(&pr, 3, 0, f, 32);
	CHECK_STR("user: the mapping is the module's path", "/usr/bin/app", str(&pr, get(f, n, 5)));
	CHECK_STR("user: with its build id", "0123abcd", str(&pr, get(f, n, 6)));
	CHECK("user: one mapping for the executable and the frames", count(&pr, 3) == 1);
	free(data);
}
