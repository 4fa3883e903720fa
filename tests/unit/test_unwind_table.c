/* Unit tests: .eh_frame rows of glibc's malloc match its prologue
 * (push %r12; push %rbp; push %rbx; ... sub $0x10,%rsp). */
#include <stdlib.h>

#include "sym/elf_util.h"
#include "sym/unwind_table.h"
#include "unit.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

UNIT_SUITE(unwind_table)
{
	struct unwind_table t;
	struct elf_file ef;
	const struct ml_unwind_row *r;
	long long off = -1;
	int err;

	if (elf_file_open(&ef, LIBC)) {
		off = elf_vaddr_to_offset(&ef, elf_func_addr(&ef, "malloc", true));
		elf_file_close(&ef);
	}
	CHECK("libc malloc found", off > 0);
	err = unwind_table_build(LIBC, &t);
	CHECK("libc rows built", err == 0 && t.n > 1000);
	if (err || off <= 0)
		return;
	r = unwind_table_find(&t, off);
	CHECK("malloc+0: cfa = rsp+8", r && r->cfa_type == ML_CFA_RSP && r->cfa_off == 8);
	r = unwind_table_find(&t, off + 2);
	CHECK("malloc+2 (after push): cfa = rsp+16", r && r->cfa_type == ML_CFA_RSP && r->cfa_off == 16);
	r = unwind_table_find(&t, off + 4);
	CHECK("malloc+4 (after push rbx): cfa = rsp+32, rbp saved at cfa-24",
	      r && r->cfa_type == ML_CFA_RSP && r->cfa_off == 32 && r->rbp_off == -3);
	CHECK("rows sorted", ({
		      size_t i;
		      bool ok = true;
		      for (i = 1; i < t.n; i++)
			      ok = ok && t.rows[i - 1].pc < t.rows[i].pc;
		      ok;
	      }));
	printf("info: libc: %zu FDEs, %zu rows, %zu unsupported\n", t.fdes, t.n, t.unsupported);
	unwind_table_free(&t);
	CHECK("missing file fails cleanly", unwind_table_build("/nonexistent", &t) < 0);
}
