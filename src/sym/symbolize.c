/* Symbolization with libdwfl (see symbolize.h).  One Dwfl per module,
 * reported at its ELF addresses, so results do not depend on where (or
 * whether) a process has the module mapped. */
#include "sym/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf_util.h"

/* From libstdc++: C has no header for it. */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* Strings handed out by lookups are interned per module. */
struct strpool {
	char **v;
	size_t n, cap;
};

struct sym_module {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct elf_file ef;
	struct strpool pool;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static const char *intern(struct strpool *p, char *owned)
{
	char **n;

	if (!owned)
		return NULL;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		n = realloc(p->v, p->cap * sizeof(*n));
		if (!n) {
			free(owned);
			return NULL;
		}
		p->v = n;
	}
	p->v[p->n++] = owned;
	return owned;
}

char *sym_demangle(const char *name)
{
	int status = 0;
	char *d;

	if (!name || name[0] != '_' || name[1] != 'Z')
		return NULL;
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* Demangled (when C++) copy of name, interned. */
static const char *func_name(struct sym_module *m, const char *name)
{
	char *d = sym_demangle(name);

	if (!name)
		return NULL;
	return intern(&m->pool, d ? d : strdup(name));
}

struct sym_module *sym_module_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sym_module *m;

	if (fd < 0)
		return NULL;
	m = sym_module_open_fd(fd, path);
	close(fd);
	return m;
}

struct sym_module *sym_module_open_fd(int fd, const char *name)
{
	struct sym_module *m = calloc(1, sizeof(*m));
	int dwfl_fd = -1;

	if (!m)
		return NULL;
	m->ef.fd = -1;
	if (!elf_file_open_fd(&m->ef, fd))
		goto err;
	m->dwfl = dwfl_begin(&callbacks);
	if (!m->dwfl)
		goto err;
	/* libdwfl consumes the descriptor it is given on success; `name`
	 * only guides the .gnu_debuglink search (build-id comes first). */
	dwfl_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dwfl_fd < 0)
		goto err;
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, name, name, dwfl_fd, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		close(dwfl_fd);
		goto err;
	}
	return m;
err:
	sym_module_close(m);
	return NULL;
}

bool sym_module_has_debuginfo(struct sym_module *m)
{
	Dwarf_Addr bias;

	return m && dwfl_module_getdwarf(m->mod, &bias) != NULL;
}

const char *sym_module_build_id(struct sym_module *m, char *buf, size_t len)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n, i;

	if (!m || len < 3 || (n = dwfl_module_build_id(m->mod, &bits, &vaddr)) <= 0)
		return NULL;
	for (i = 0; i < n && (size_t)(i * 2 + 2) < len; i++)
		snprintf(buf + i * 2, 3, "%02x", bits[i]);
	return buf;
}

void sym_module_close(struct sym_module *m)
{
	size_t i;

	if (!m)
		return;
	if (m->dwfl)
		dwfl_end(m->dwfl);
	elf_file_close(&m->ef);
	for (i = 0; i < m->pool.n; i++)
		free(m->pool.v[i]);
	free(m->pool.v);
	free(m);
}

unsigned long long sym_module_vaddr(struct sym_module *m, unsigned long long file_off)
{
	long long v = elf_offset_to_vaddr(&m->ef, file_off);

	return v < 0 ? 0 : (unsigned long long)v;
}

/* Name of a subprogram or inlined instance, preferring the linkage name
 * (so C++ shows its qualified, demangled signature). */
static const char *die_name(struct sym_module *m, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *s = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		s = dwarf_formstring(&attr);
	if (!s && dwarf_attr_integrate(die, DW_AT_name, &attr))
		s = dwarf_formstring(&attr);
	return s ? func_name(m, s) : NULL;
}

static const char *call_file(struct sym_module *m, Dwarf_Die *cudie, Dwarf_Die *inl)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word idx;
	size_t nfiles;
	const char *f;

	if (!dwarf_attr(inl, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) ||
	    dwarf_getsrcfiles(cudie, &files, &nfiles) || idx >= nfiles)
		return NULL;
	f = dwarf_filesrc(files, idx, NULL, NULL);
	return f ? intern(&m->pool, strdup(f)) : NULL;
}

int sym_module_lookup(struct sym_module *m, unsigned long long vaddr, bool is_return,
		      struct sym_frame *out, int max)
{
	Dwarf_Addr pc = is_return && vaddr ? vaddr - 1 : vaddr, bias = 0;
	Dwarf_Die *cudie, *scopes = NULL;
	Dwfl_Line *line;
	const char *file = NULL, *sym;
	Dwarf_Attribute attr;
	Dwarf_Word w;
	int lineno = 0, n = 0, nscopes, i;

	if (!m || max <= 0)
		return 0;
	line = dwfl_module_getsrc(m->mod, pc);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file)
			file = intern(&m->pool, strdup(file));
	}
	cudie = dwfl_module_addrdie(m->mod, pc, &bias);
	nscopes = cudie ? dwarf_getscopes(cudie, pc - bias, &scopes) : 0;
	for (i = 0; i < nscopes && n < max; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine) {
			out[n++] = (struct sym_frame){ die_name(m, &scopes[i]), file, lineno, true };
			/* The caller's line is the inlined call site. */
			file = call_file(m, cudie, &scopes[i]);
			lineno = 0;
			if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) && !dwarf_formudata(&attr, &w))
				lineno = (int)w;
		} else if (tag == DW_TAG_subprogram) {
			out[n++] = (struct sym_frame){ die_name(m, &scopes[i]), file, lineno, false };
			break;
		}
	}
	free(scopes);
	if (n == 0) {
		/* No DWARF scope: the symbol table still names the function. */
		sym = dwfl_module_addrname(m->mod, pc);
		if (!sym && !file)
			return 0;
		out[n++] = (struct sym_frame){ func_name(m, sym), file, lineno, false };
	} else if (out[n - 1].inlined && n < max) {
		/* Inlined scopes without their enclosing subprogram DIE: the
		 * symbol table names the function they were inlined into. */
		out[n++] = (struct sym_frame){ func_name(m, dwfl_module_addrname(m->mod, pc)), file,
					       lineno, false };
	} else if (!out[n - 1].function) {
		out[n - 1].function = func_name(m, dwfl_module_addrname(m->mod, pc));
	}
	return n;
}
