/* Minimal streaming JSON writer: one object per report, one report per line.
 * Keeps a nesting stack so callers never manage commas. */
#ifndef MEMLEAKBPF_JSON_H
#define MEMLEAKBPF_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_u64(struct json *j, unsigned long long v);
void json_i64(struct json *j, long long v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Ends the top-level value with a newline and flushes. */
void json_end_line(struct json *j);

/* Shorthands for "key": value pairs. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_ku64(struct json *j, const char *key, unsigned long long v);
void json_ki64(struct json *j, const char *key, long long v);
void json_knull(struct json *j, const char *key);
/* The value when ok, else null: a missing value is null, never absent. */
void json_kopt_u64(struct json *j, const char *key, bool ok, unsigned long long v);
void json_kopt_i64(struct json *j, const char *key, bool ok, long long v);

/* The envelope every mode's report starts with, so one consumer reads all
 * five alike:  {"mode": MODE, "timestamp": epoch seconds, "final": no report
 * follows in this run, ...  The caller then writes "dropped" (an object of
 * named drop counters, {} for a mode that cannot drop) and its body. */
void json_report_begin(struct json *j, FILE *out, const char *mode, long long timestamp,
		       bool final);

#endif
