/* Unwind rows from .eh_frame via elfutils (see unwind_table.h). */
#include "sym/unwind_table.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"
#include "sym/elf_util.h"

#define DW_REG_RBP 6
#define DW_REG_RSP 7
#define DW_REG_RA 16

struct fde_list {
	unsigned long long *start;
	size_t n;
};

/* Reads one pointer-encoded value of .eh_frame_hdr (the encodings
 * toolchains emit: absolute/pcrel/datarel with udata4/sdata4/udata8). */
static bool read_encoded(const unsigned char *p, const unsigned char *end, unsigned char enc,
			 unsigned long long sec_addr, size_t pos, unsigned long long *out, size_t *len)
{
	long long v;

	switch (enc & 0x0f) {
	case DW_EH_PE_udata4: if (p + 4 > end) return false; { unsigned int u; memcpy(&u, p, 4); v = u; } *len = 4; break;
	case DW_EH_PE_sdata4: if (p + 4 > end) return false; { int s; memcpy(&s, p, 4); v = s; } *len = 4; break;
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8: if (p + 8 > end) return false; memcpy(&v, p, 8); *len = 8; break;
	default: return false;
	}
	switch (enc & 0x70) {
	case DW_EH_PE_absptr: break;
	case DW_EH_PE_pcrel: v += sec_addr + pos; break;
	case DW_EH_PE_datarel: v += sec_addr; break;
	default: return false;
	}
	*out = v;
	return true;
}

/* Every FDE's start address, sorted, from the .eh_frame_hdr search table. */
static int fde_starts(struct elf_file *ef, struct fde_list *fl)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx, pos, len, i;
	const char *name;
	Elf_Data *d;
	const unsigned char *p, *end;
	unsigned long long v, count;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(ef->elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".eh_frame_hdr") == 0)
			break;
	}
	if (!scn || !(d = elf_getdata(scn, NULL)) || d->d_size < 4)
		return -ENOENT;
	p = d->d_buf;
	end = p + d->d_size;
	if (p[0] != 1 || p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENOTSUP;
	pos = 4;
	if (!read_encoded(p + pos, end, p[1], sh.sh_addr, pos, &v, &len))
		return -ENOTSUP;
	pos += len;
	if (!read_encoded(p + pos, end, p[2], sh.sh_addr, pos, &count, &len))
		return -ENOTSUP;
	pos += len;
	if (count > (size_t)(end - p - pos) / 8)
		return -EINVAL;
	fl->start = calloc(count ? count : 1, sizeof(*fl->start));
	if (!fl->start)
		return -ENOMEM;
	for (i = 0; i < count; i++, pos += 8) {
		if (!read_encoded(p + pos, end, p[3], sh.sh_addr, pos, &fl->start[i], &len))
			break;
	}
	fl->n = i;
	return 0;
}

static bool push_row(struct unwind_table *t, size_t *cap, __u32 pc, __u8 type, __s16 cfa_off, __s8 rbp_off)
{
	struct ml_unwind_row *r;

	/* Consecutive identical rules collapse into one row. */
	if (t->n) {
		r = &t->rows[t->n - 1];
		if (r->cfa_type == type && r->cfa_off == cfa_off && r->rbp_off == rbp_off)
			return true;
		if (r->pc == pc) { /* same pc: the later rule wins */
			r->cfa_type = type;
			r->cfa_off = cfa_off;
			r->rbp_off = rbp_off;
			return true;
		}
	}
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		struct ml_unwind_row *n = realloc(t->rows, ncap * sizeof(*n));

		if (!n)
			return false;
		t->rows = n;
		*cap = ncap;
	}
	r = &t->rows[t->n++];
	r->pc = pc;
	r->cfa_type = type;
	r->cfa_off = cfa_off;
	r->rbp_off = rbp_off;
	return true;
}

/* The .plt CFA expression: rsp + 8 + ((rip & 15) >= N) << 3.  Returns N. */
static int plt_threshold(const Dwarf_Op *ops, size_t nops)
{
	size_t i;
	bool has_and = false, has_ge = false;
	int lit = -1;

	if (nops < 5 || ops[0].atom != DW_OP_breg7 || ops[0].number != 8)
		return -1;
	for (i = 1; i < nops; i++) {
		if (ops[i].atom == DW_OP_and)
			has_and = true;
		else if (ops[i].atom == DW_OP_ge)
			has_ge = true;
		else if (has_and && !has_ge && ops[i].atom >= DW_OP_lit0 && ops[i].atom <= DW_OP_lit31)
			lit = ops[i].atom - DW_OP_lit0;
	}
	return has_and && has_ge ? lit : -1;
}

/* Translates one CFI frame state into a row; false if not representable. */
static bool frame_rules(Dwarf_Frame *frame, __u8 *type, __s16 *cfa_off, __s8 *rbp_off)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;
	long long off;
	int thr;

	*rbp_off = 0;
	*cfa_off = 0;
	if (dwarf_frame_register(frame, DW_REG_RA, ops_mem, &ops, &nops) == 0 && nops == 0 &&
	    ops == ops_mem) {
		*type = ML_CFA_END; /* return address undefined: outermost */
		return true;
	}
	if (dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops == 0)
		return false;
	if (nops == 1 && ops[0].atom == DW_OP_bregx) {
		if (ops[0].number == DW_REG_RSP)
			*type = ML_CFA_RSP;
		else if (ops[0].number == DW_REG_RBP)
			*type = ML_CFA_RBP;
		else
			return false;
		off = (long long)ops[0].number2;
		if (off < -32768 || off > 32767)
			return false;
		*cfa_off = off;
	} else if ((thr = plt_threshold(ops, nops)) >= 0) {
		*type = ML_CFA_PLT;
		*rbp_off = thr;
		return true;
	} else {
		return false;
	}
	if (dwarf_frame_register(frame, DW_REG_RBP, ops_mem, &ops, &nops) != 0)
		return true;
	if (nops >= 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		off = 0;
		if (nops == 2 && ops[1].atom == DW_OP_plus_uconst)
			off = (long long)ops[1].number;
		else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
			off = (long long)ops[1].number;
		else if (nops != 1)
			return false;
		if (off % 8 || off / 8 < -128 || off / 8 > 127 || off == 0)
			return false;
		*rbp_off = off / 8;
	}
	return true;
}

int unwind_table_build(const char *path, struct unwind_table *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0) {
		memset(t, 0, sizeof(*t));
		return -ENOENT;
	}
	err = unwind_table_build_fd(fd, t);
	close(fd);
	return err;
}

int unwind_table_build_fd(int fd, struct unwind_table *t)
{
	struct fde_list fl = {};
	struct elf_file ef;
	Dwarf_CFI *cfi = NULL;
	Dwarf_Frame *frame;
	Dwarf_Addr start, end, addr, limit;
	size_t cap = 0, i;
	long long off;
	__u8 type;
	__s16 cfa_off;
	__s8 rbp_off;
	int err;

	memset(t, 0, sizeof(*t));
	if (!elf_file_open_fd(&ef, fd))
		return -ENOENT;
	err = fde_starts(&ef, &fl);
	if (err)
		goto cleanup;
	cfi = dwarf_getcfi_elf(ef.elf);
	if (!cfi) {
		err = -ENOENT;
		goto cleanup;
	}
	t->fdes = fl.n;
	for (i = 0; i < fl.n; i++) {
		limit = i + 1 < fl.n ? fl.start[i + 1] : ~0ULL;
		addr = fl.start[i];
		end = addr;
		while (addr < limit && dwarf_cfi_addrframe(cfi, addr, &frame) == 0) {
			if (dwarf_frame_info(frame, &start, &end, NULL) < 0 || end <= addr) {
				free(frame);
				break;
			}
			if (!frame_rules(frame, &type, &cfa_off, &rbp_off)) {
				type = ML_CFA_UNDEF;
				cfa_off = 0;
				rbp_off = 0;
				t->unsupported++;
			}
			free(frame);
			off = elf_vaddr_to_offset(&ef, addr);
			if (off < 0 || off > 0xffffffffLL)
				break;
			if (!push_row(t, &cap, off, type, cfa_off, rbp_off)) {
				err = -ENOMEM;
				goto cleanup;
			}
			addr = end;
		}
		/* A gap before the next FDE has no CFI. */
		if (end < limit && (off = elf_vaddr_to_offset(&ef, end)) >= 0 && off <= 0xffffffffLL &&
		    !push_row(t, &cap, off, ML_CFA_UNDEF, 0, 0)) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = t->n ? 0 : -ENOENT;
cleanup:
	if (cfi)
		dwarf_cfi_end(cfi);
	free(fl.start);
	elf_file_close(&ef);
	if (err)
		unwind_table_free(t);
	return err;
}

void unwind_table_free(struct unwind_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

const struct ml_unwind_row *unwind_table_find(const struct unwind_table *t, __u32 pc)
{
	size_t lo = 0, hi = t->n;

	if (!t->n || t->rows[0].pc > pc)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}
