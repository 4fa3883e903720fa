/* Unwind rows for the in-kernel unwinder, from a module's .eh_frame.
 * elfutils evaluates the CFI; we keep the x86_64 rules the BPF side can
 * apply (CFA = rsp/rbp + offset, rbp saved at CFA + offset, .plt). */
#ifndef MEMLEAKBPF_UNWIND_TABLE_H
#define MEMLEAKBPF_UNWIND_TABLE_H

#include <stddef.h>
#include <linux/types.h>

#include "memleak.h"

struct unwind_table {
	struct ml_unwind_row *rows; /* sorted by pc (file offset) */
	size_t n;
	size_t fdes;
	size_t unsupported; /* rows we could only mark "use frame pointers" */
};

/* 0 on success; -errno-style negative when the file has no usable
 * .eh_frame_hdr (the module is then unwound with frame pointers). */
int unwind_table_build(const char *path, struct unwind_table *t);
/* Same from an open descriptor (not closed). */
int unwind_table_build_fd(int fd, struct unwind_table *t);
void unwind_table_free(struct unwind_table *t);
/* Last row at or below pc, or NULL (what the BPF side does). */
const struct ml_unwind_row *unwind_table_find(const struct unwind_table *t, __u32 pc);

#endif
