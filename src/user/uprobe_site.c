/* Cheap uprobe placement on x86_64 (see uprobe_site.h). */
#include "user/uprobe_site.h"

#include <stdbool.h>

/* Instructions the x86 uprobe code emulates instead of single-stepping. */
static bool emulated(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return false;
	if (p[0] == 0x41 && len > 1) /* REX.B push %r8..%r15 */
		i = 1;
	if (p[i] >= 0x50 && p[i] <= 0x57) /* push reg */
		return true;
	if (i)
		return false;
	if (p[0] == 0x90 || p[0] == 0xe8 || p[0] == 0xe9 || p[0] == 0xeb) /* nop call jmp */
		return true;
	if (p[0] >= 0x70 && p[0] <= 0x7f) /* jcc rel8 */
		return true;
	if (p[0] == 0x0f && len > 1 && p[1] >= 0x80 && p[1] <= 0x8f) /* jcc rel32 */
		return true;
	return false;
}

/* Length of a ModRM operand (ModRM byte + SIB + displacement), 0 if unknown. */
static size_t modrm_len(const unsigned char *p, size_t len)
{
	unsigned char mod, rm;
	size_t n = 1;

	if (len < 1)
		return 0;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) { /* SIB */
		if (len < 2)
			return 0;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4; /* rip-relative */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n <= len ? n : 0;
}

/* Length of an instruction that only writes flags, 0 if not one. */
static size_t flags_only_len(const unsigned char *p, size_t len)
{
	size_t i = 0, m;
	unsigned char op;

	if (len >= 4 && p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa)
		return 4; /* endbr64 */
	if (len && p[0] >= 0x40 && p[0] <= 0x4f) /* REX */
		i = 1;
	if (i >= len)
		return 0;
	op = p[i++];
	switch (op) {
	case 0x84: case 0x85: /* test r/m, r */
	case 0x38: case 0x39: case 0x3a: case 0x3b: /* cmp */
		m = modrm_len(p + i, len - i);
		return m ? i + m : 0;
	case 0x80: case 0x83: /* cmp r/m, imm8 */
	case 0x81:            /* cmp r/m, imm32 */
		if (i >= len || ((p[i] >> 3) & 7) != 7)
			return 0;
		m = modrm_len(p + i, len - i);
		if (!m)
			return 0;
		m += i + (op == 0x81 ? 4 : 1);
		return m <= len ? m : 0;
	}
	return 0;
}

size_t uprobe_fast_skip(const unsigned char *code, size_t len)
{
	size_t off = 0, n;
	int steps;

	for (steps = 0; steps < 3; steps++) {
		if (emulated(code + off, len - off))
			return off;
		n = flags_only_len(code + off, len - off);
		if (!n)
			return 0;
		off += n;
	}
	return 0;
}
