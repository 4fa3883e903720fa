/* A minimal protocol-buffers writer (wire format only): what pprof needs. */
#ifndef MEMLEAKBPF_PROTOBUF_H
#define MEMLEAKBPF_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing output buffer.  An allocation failure sets `oom` and makes
 * every later write a no-op, so callers check once at the end. */
struct pb_buf {
	unsigned char *data;
	size_t len, cap;
	bool oom;
};

enum pb_wire { PB_VARINT = 0, PB_LEN = 2 };

void pb_free(struct pb_buf *b);
/* Raw base-128 varint (1..10 bytes). */
void pb_varint(struct pb_buf *b, uint64_t v);
/* Field key: (field << 3) | wire type. */
void pb_key(struct pb_buf *b, unsigned int field, enum pb_wire wire);
/* A varint field.  Negative int64s take 10 bytes, as proto3 encodes them
 * (two's complement, no zigzag: int64, not sint64). */
void pb_uint(struct pb_buf *b, unsigned int field, uint64_t v);
void pb_int(struct pb_buf *b, unsigned int field, int64_t v);
/* The same, skipped when 0: proto3's default needs no bytes. */
void pb_uint_opt(struct pb_buf *b, unsigned int field, uint64_t v);
/* A length-delimited field: bytes, a string, or an encoded message. */
void pb_bytes(struct pb_buf *b, unsigned int field, const void *data, size_t len);
void pb_string(struct pb_buf *b, unsigned int field, const char *s);
void pb_message(struct pb_buf *b, unsigned int field, const struct pb_buf *msg);
/* A packed repeated varint field (proto3's default for repeated scalars). */
void pb_packed(struct pb_buf *b, unsigned int field, const uint64_t *v, size_t n);

/* A string table: strings interned once, index 0 is always "" (pprof's
 * rule).  Lookups hash, so a profile of many frames stays linear. */
struct pb_strtab {
	char **s;
	size_t n, cap;
	size_t *slots;		/* open addressing: index + 1, 0 = empty */
	size_t nslots;
	bool oom;
};

/* Index of s (NULL reads as ""), interned on first use; 0 when out of
 * memory (and `oom` set). */
int64_t pb_strtab_index(struct pb_strtab *t, const char *s);
void pb_strtab_free(struct pb_strtab *t);

#endif
