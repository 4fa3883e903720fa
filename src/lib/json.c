/* Minimal streaming JSON writer (see json.h). */
#include "lib/json.h"

#include "lib/common.h"

#include <math.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Separator before a value or key at the current level. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
}

static void open(struct json *j, char c)
{
	sep(j);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void write_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', out);
	for (; *p; p++) {
		if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			fwrite(p, 1, n, out);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			/* Control bytes and bytes of invalid UTF-8 are escaped
			 * so the output is always valid JSON. */
			if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	write_escaped(j->out, key);
	fputc(':', j->out);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	if (s)
		write_escaped(j->out, s);
	else
		fputs("null", j->out);
}

void json_u64(struct json *j, unsigned long long v) { sep(j); fprintf(j->out, "%llu", v); }
void json_i64(struct json *j, long long v) { sep(j); fprintf(j->out, "%lld", v); }
void json_bool(struct json *j, bool v) { sep(j); fputs(v ? "true" : "false", j->out); }
void json_null(struct json *j) { sep(j); fputs("null", j->out); }

void json_double(struct json *j, double v)
{
	sep(j);
	if (isfinite(v))
		fprintf(j->out, "%.6g", v);
	else
		fputs("null", j->out);
}

void json_end_line(struct json *j)
{
	fputc('\n', j->out);
	report_flush(j->out);
	json_init(j, j->out);
}

void json_kstr(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_ku64(struct json *j, const char *key, unsigned long long v) { json_key(j, key); json_u64(j, v); }
void json_ki64(struct json *j, const char *key, long long v) { json_key(j, key); json_i64(j, v); }
void json_knull(struct json *j, const char *key) { json_key(j, key); json_null(j); }

void json_kopt_u64(struct json *j, const char *key, bool ok, unsigned long long v)
{
	if (ok)
		json_ku64(j, key, v);
	else
		json_knull(j, key);
}

void json_kopt_i64(struct json *j, const char *key, bool ok, long long v)
{
	if (ok)
		json_ki64(j, key, v);
	else
		json_knull(j, key);
}

void json_report_begin(struct json *j, FILE *out, const char *mode, long long timestamp,
		       bool final)
{
	json_init(j, out);
	json_obj_begin(j);
	json_kstr(j, "mode", mode);
	json_ki64(j, "timestamp", timestamp);
	json_key(j, "final");
	json_bool(j, final);
}
