/* Symbolization of module-relative addresses with elfutils (libdwfl):
 * function (C++ demangled), source file:line, and inlined frames. */
#ifndef MEMLEAKBPF_SYMBOLIZE_H
#define MEMLEAKBPF_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>

#define SYM_MAX_INLINE 8

struct sym_frame {
	const char *function; /* NULL if unknown */
	const char *file;     /* NULL if no line info */
	int line;             /* 0 if unknown */
	bool inlined;         /* inlined into the next frame of the same address */
};

struct sym_module;

/* Opens the ELF at path (separate debug info is found by build-id under
 * /usr/lib/debug).  NULL if the file cannot be read as ELF. */
struct sym_module *sym_module_open(const char *path);
/* Same from an open descriptor (duplicated, not closed): the file a
 * process mapped, whatever path it has (or had) in whichever namespace.
 * `name` is the file's path as the process knew it, for .gnu_debuglink. */
struct sym_module *sym_module_open_fd(int fd, const char *name);
/* True when DWARF was found (in the file, or separate by build-id or
 * .gnu_debuglink); without it only symbol-table names are available. */
bool sym_module_has_debuginfo(struct sym_module *m);
/* The GNU build-id in hex into buf, or NULL when the file has none. */
const char *sym_module_build_id(struct sym_module *m, char *buf, size_t len);
void sym_module_close(struct sym_module *m);
/* ELF virtual address of a file offset, or 0 if outside every segment. */
unsigned long long sym_module_vaddr(struct sym_module *m, unsigned long long file_off);
/* Frames for the code at `vaddr` (a return address: looked up at vaddr-1
 * when `is_return`), innermost inlined function first.  Strings live as
 * long as the module.  Returns the number of frames written (>= 1 when
 * anything is known, 0 otherwise). */
int sym_module_lookup(struct sym_module *m, unsigned long long vaddr, bool is_return,
		      struct sym_frame *out, int max);

/* Demangled copy of a C++ symbol, or NULL if not mangled (free it). */
char *sym_demangle(const char *name);

#endif
