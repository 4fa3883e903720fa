/* Where to put an entry uprobe.  x86 uprobes on instructions the kernel
 * emulates (push, jmp, jcc, call, nop) cost ~0.7 us; others are
 * single-stepped out of line for ~7 us (shared/KERNEL.md).  glibc's free
 * starts with `test %rdi,%rdi` (stepped) followed by `je` (emulated). */
#ifndef MEMLEAKBPF_UPROBE_SITE_H
#define MEMLEAKBPF_UPROBE_SITE_H

#include <stddef.h>

/* Bytes to skip from a function's entry so the probe lands on an emulated
 * instruction, passing over at most a few instructions that only set flags
 * (test/cmp, endbr64): every call still reaches it with the argument
 * registers and the stack pointer untouched (uretprobes need *sp to be the
 * return address).  0 when no such placement exists. */
size_t uprobe_fast_skip(const unsigned char *code, size_t len);

#endif
