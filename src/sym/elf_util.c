/* Small ELF queries over libelf (see elf_util.h). */
#include "sym/elf_util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/common.h"

bool elf_file_open(struct elf_file *ef, const char *path)
{
	/* O_NONBLOCK: a FIFO (a bad --lib) must not hang the open; only
	 * regular files are read, where the flag changes nothing. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	bool ok;

	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		memset(ef, 0, sizeof(*ef));
		ef->fd = -1;
		return false;
	}
	ok = elf_file_open_fd(ef, fd);
	close(fd);
	return ok;
}

bool elf_file_open_fd(struct elf_file *ef, int fd)
{
	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	/* Our own descriptor: the caller's (a module's kept reference to
	 * the mapped file) outlives or predeceases this one independently. */
	ef->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (ef->fd < 0)
		return false;
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &ef->ehdr)) {
		elf_file_close(ef);
		return false;
	}
	return true;
}

void elf_file_close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	ef->elf = NULL;
	ef->fd = -1;
}

static unsigned long long find_in(struct elf_file *ef, Elf64_Word type, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *data;
	size_t i, n;
	const char *s;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
			    GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
			if (!s)
				continue;
			/* "malloc" also matches versioned "malloc@@GLIBC_2.2.5" */
			if (strncmp(s, name, strlen(name)) == 0 &&
			    (s[strlen(name)] == '\0' || s[strlen(name)] == '@'))
				return sym.st_value;
		}
	}
	return 0;
}

unsigned long long elf_func_addr(struct elf_file *ef, const char *name, bool dynsym_only)
{
	unsigned long long a = find_in(ef, SHT_DYNSYM, name);

	if (!a && !dynsym_only)
		a = find_in(ef, SHT_SYMTAB, name);
	return a;
}

/* Maps an address between the vaddr and file-offset spaces through the
 * PT_LOAD that holds it; -1 if none does. */
static long long load_translate(struct elf_file *ef, unsigned long long a, bool from_vaddr)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(ef->elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned long long base;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		base = from_vaddr ? ph.p_vaddr : ph.p_offset;
		if (a >= base && a < base + ph.p_filesz)
			return a - base + (from_vaddr ? ph.p_offset : ph.p_vaddr);
	}
	return -1;
}

long long elf_vaddr_to_offset(struct elf_file *ef, unsigned long long vaddr)
{
	return load_translate(ef, vaddr, true);
}

long long elf_offset_to_vaddr(struct elf_file *ef, unsigned long long off)
{
	return load_translate(ef, off, false);
}

bool elf_interp(struct elf_file *ef, char *buf, size_t len)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(ef->elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (!ph.p_filesz || ph.p_filesz > len)
			return false;
		if (!elf_read_at(ef, ph.p_offset, buf, ph.p_filesz))
			return false;
		buf[ph.p_filesz - 1] = '\0';
		return true;
	}
	return false;
}

void elf_needed(struct elf_file *ef, void (*cb)(const char *name, void *arg),
		char *runpath, size_t runpath_len, void *arg)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Dyn dyn;
	Elf_Data *data;
	size_t i, n;
	const char *s;

	if (runpath_len)
		runpath[0] = '\0';
	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			if (!gelf_getdyn(data, i, &dyn))
				continue;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED)
				cb(s, arg);
			else if (runpath_len)
				snprintf(runpath, runpath_len, "%s", s);
		}
	}
}

bool elf_read_at(struct elf_file *ef, unsigned long long off, void *buf, size_t len)
{
	return pread(ef->fd, buf, len, off) == (ssize_t)len;
}
