/* Unit tests: number parsing, text sanitizing, JSON writer. */
#include <stdlib.h>

#include "lib/common.h"
#include "lib/json.h"
#include "unit.h"

UNIT_SUITE(common)
{
	unsigned long long v;
	double d;
	char buf[16], big[64];

	CHECK("parse_u64 decimal", parse_u64("1234", &v) && v == 1234);
	CHECK("parse_u64 hex", parse_u64("0x10", &v) && v == 16);
	CHECK("parse_u64 rejects negative", !parse_u64("-1", &v));
	CHECK("parse_u64 rejects trailing junk", !parse_u64("12ab", &v));
	CHECK("parse_u64 rejects empty", !parse_u64("", &v));
	CHECK("parse_u64 rejects overflow", !parse_u64("99999999999999999999999", &v));
	CHECK("parse_size k", parse_size("4k", &v) && v == 4096);
	CHECK("parse_size MB", parse_size("2MB", &v) && v == 2 << 20);
	CHECK("parse_size plain", parse_size("100", &v) && v == 100);
	CHECK("parse_size rejects unit junk", !parse_size("3x", &v));
	CHECK("parse_size rejects overflow", !parse_size("99999999999999G", &v));
	CHECK("parse_seconds fraction", parse_seconds("0.5", &d) && d == 0.5);
	CHECK("parse_seconds rejects negative", !parse_seconds("-1", &d));
	CHECK("parse_seconds rejects junk", !parse_seconds("1s", &d));
	sanitize_text(big, sizeof(big), "a\x1b[31mb\n");
	CHECK_STR("sanitize_text escapes control bytes visibly", "a\\x1b[31mb\\n", big);
	sanitize_text(big, sizeof(big), "a?b\\c");
	CHECK_STR("sanitize_text: a real '?' and a backslash stay distinct", "a?b\\\\c", big);
	sanitize_text(big, sizeof(big), "x\x9b" "2Jy\xc2\x9b" "z");
	CHECK_STR("sanitize_text escapes raw and UTF-8 C1 controls", "x\\x9b2Jy\\xc2\\x9bz", big);
	sanitize_text(big, sizeof(big), "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_STR("sanitize_text keeps valid UTF-8", "caf\xc3\xa9 \xe2\x82\xac", big);
	sanitize_text(big, sizeof(big), "t\tr\r\x7f");
	CHECK_STR("sanitize_text escapes tab, CR and DEL", "t\\tr\\r\\x7f", big);
	sanitize_text(buf, 4, "abcdef");
	CHECK_STR("sanitize_text truncates", "abc", buf);
	sanitize_text(buf, 5, "ab\x01" "cd");
	CHECK_STR("sanitize_text never cuts an escape", "ab", buf);
}

/* The one byte formatter every mode prints sizes with. */
UNIT_SUITE(fmt_bytes)
{
	char buf[32];

	CHECK_STR("fmt_bytes: bytes stay whole", "0 B", fmt_bytes(buf, sizeof(buf), 0));
	CHECK_STR("fmt_bytes: 1023 B", "1023 B", fmt_bytes(buf, sizeof(buf), 1023));
	CHECK_STR("fmt_bytes: 1 KiB", "1.0 KiB", fmt_bytes(buf, sizeof(buf), 1024));
	CHECK_STR("fmt_bytes: one decimal", "1.5 MiB", fmt_bytes(buf, sizeof(buf), 3ULL << 19));
	CHECK_STR("fmt_bytes: GiB", "15.2 GiB",
		  fmt_bytes(buf, sizeof(buf), 15ULL * (1ULL << 30) + (1ULL << 28)));
	CHECK_STR("fmt_bytes: past PiB stays PiB", "16384.0 PiB", fmt_bytes(buf, sizeof(buf), ~0ULL));
	CHECK_STR("fmt_bytes: truncates, never overflows", "1.5",
		  fmt_bytes(buf, 4, 3ULL << 19));
	CHECK_STR("fmt_bytes_signed: negative", "-2.0 KiB",
		  fmt_bytes_signed(buf, sizeof(buf), -2048, false));
	CHECK_STR("fmt_bytes_signed: no sign for growth without plus", "512 B",
		  fmt_bytes_signed(buf, sizeof(buf), 512, false));
	CHECK_STR("fmt_bytes_signed: plus marks growth", "+1.0 MiB",
		  fmt_bytes_signed(buf, sizeof(buf), 1 << 20, true));
	CHECK_STR("fmt_bytes_signed: plus on zero", "+0 B", fmt_bytes_signed(buf, sizeof(buf), 0, true));
	CHECK_STR("fmt_bytes_signed: the most negative value", "-8192.0 PiB",
		  fmt_bytes_signed(buf, sizeof(buf), -0x7fffffffffffffffLL - 1, true));
}

UNIT_SUITE(json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "s", "q\"\\\n\x01\xc3\xa9\xff");
	json_knull(&j, "n");
	json_key(&j, "a");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_i64(&j, -2);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_kstr(&j, "z", NULL);
	json_obj_end(&j);
	json_end_line(&j);
	fclose(f);
	CHECK_STR("json escapes and nests",
		  "{\"s\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\\u00ff\",\"n\":null,\"a\":[1,-2,{}],\"z\":null}\n",
		  text);
	free(text);
}
