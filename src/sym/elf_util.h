/* Small ELF queries over libelf: symbols, load segments, dependencies. */
#ifndef MEMLEAKBPF_ELF_UTIL_H
#define MEMLEAKBPF_ELF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <gelf.h>

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
};

/* Opens path read-only; false (errno-style message via err_msg at -v) on failure. */
bool elf_file_open(struct elf_file *ef, const char *path);
/* Same from an open descriptor (duplicated: the caller keeps its own), e.g.
 * /proc/PID/map_files/START-END, which reaches deleted, chrooted and
 * overlay-layered files that no path in our mount namespace names. */
bool elf_file_open_fd(struct elf_file *ef, int fd);
void elf_file_close(struct elf_file *ef);

/* Address (st_value) of a defined function symbol, from .dynsym, then
 * .symtab; 0 when absent. */
unsigned long long elf_func_addr(struct elf_file *ef, const char *name, bool dynsym_only);
/* Virtual address -> file offset through the PT_LOAD that holds it; -1 if none. */
long long elf_vaddr_to_offset(struct elf_file *ef, unsigned long long vaddr);
/* File offset -> virtual address (inverse of the above); -1 if none. */
long long elf_offset_to_vaddr(struct elf_file *ef, unsigned long long off);
/* PT_INTERP path into buf; false when the file has none (static). */
bool elf_interp(struct elf_file *ef, char *buf, size_t len);
/* Calls cb for each DT_NEEDED name; also reports DT_RUNPATH/DT_RPATH. */
void elf_needed(struct elf_file *ef, void (*cb)(const char *name, void *arg),
		char *runpath, size_t runpath_len, void *arg);
/* Reads `len` bytes at file offset `off`; false if out of range. */
bool elf_read_at(struct elf_file *ef, unsigned long long off, void *buf, size_t len);

#endif
