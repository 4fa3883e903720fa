/* User mode's hook table and its probes (see user_hooks.h). */
#include "user/user_hooks.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"
#include "memleak.h"
#include "memleak.skel.h"
#include "probe/probe.h"
#include "probe/uprobe_multi.h"
#include "sym/elf_util.h"
#include "user/uprobe_site.h"

/* The functions probed in each allocator module, in the order that decides
 * which alias holds a shared probe (the first name at an address), with
 * their attach cookie (what the entry program does, bpf/memleak.bpf.c) and
 * whether their return is probed. */
static const struct hook_row {
	const char *func;
	__u64 cookie;
	bool ret;
} rows[] = {
	{ "malloc", ML_KIND_MALLOC, true },
	{ "free", ML_HOOK_FREE, false },
	{ "calloc", ML_KIND_CALLOC, true },
	{ "realloc", ML_KIND_REALLOC, true },
	{ "reallocarray", ML_KIND_REALLOCARRAY, true },
	{ "posix_memalign", ML_KIND_POSIX_MEMALIGN, true },
	/* glibc: memalign is aligned_alloc, reported under this name */
	{ "aligned_alloc", ML_KIND_ALIGNED_ALLOC, true },
	{ "memalign", ML_KIND_MEMALIGN, true },
	{ "valloc", ML_KIND_VALLOC, true },
	{ "pvalloc", ML_KIND_PVALLOC, true },
	/* glibc's own names, which an interposer calls to reach the real
	 * allocator: aliases in glibc (sharing the probes above), separate
	 * functions where something else defines them */
	{ "__libc_malloc", ML_KIND_MALLOC, true },
	{ "__libc_free", ML_HOOK_FREE, false },
	{ "__libc_calloc", ML_KIND_CALLOC, true },
	{ "__libc_realloc", ML_KIND_REALLOC, true },
	{ "__libc_reallocarray", ML_KIND_REALLOCARRAY, true },
	{ "__libc_memalign", ML_KIND_MEMALIGN, true },
	{ "__libc_valloc", ML_KIND_VALLOC, true },
	{ "__libc_pvalloc", ML_KIND_PVALLOC, true },
	/* jemalloc's non-standard API */
	{ "mallocx", ML_KIND_MALLOCX, true },
	{ "rallocx", ML_KIND_RALLOCX, true },
	{ "xallocx", ML_HOOK_XALLOCX, true },
	{ "sdallocx", ML_HOOK_FREE, false },
	{ "dallocx", ML_HOOK_FREE, false },
};
_Static_assert(ARRAY_SIZE(rows) == USER_HOOK_ROWS, "USER_HOOK_ROWS is the table's size");

static bool defines_pair(user_sym_fn sym, void *ctx, const char *prefix)
{
	char m[64], f[64];

	snprintf(m, sizeof(m), "%smalloc", prefix);
	snprintf(f, sizeof(f), "%sfree", prefix);
	return sym(ctx, m) && sym(ctx, f);
}

bool user_hooks_is_allocator(user_sym_fn sym, void *ctx, const char *prefix)
{
	return defines_pair(sym, ctx, "") || (prefix && *prefix && defines_pair(sym, ctx, prefix));
}

struct elf_syms {
	struct elf_file ef;
	bool dynsym_only;
};

static unsigned long long elf_sym(void *ctx, const char *name)
{
	struct elf_syms *s = ctx;

	return elf_func_addr(&s->ef, name, s->dynsym_only);
}

/* A shared library's internal symbols (.symtab) never receive the
 * program's calls; an executable's may (a static one has no others). */
bool user_module_is_allocator(const char *path, bool is_exe, const char *prefix)
{
	struct elf_syms s = { .dynsym_only = !is_exe };
	bool yes;

	if (!elf_file_open(&s.ef, path))
		return false;
	yes = user_hooks_is_allocator(elf_sym, &s, prefix);
	elf_file_close(&s.ef);
	return yes;
}

bool user_module_fd_is_allocator(int fd, const char *prefix)
{
	struct elf_syms s = { .dynsym_only = true };
	bool yes;

	if (!elf_file_open_fd(&s.ef, fd))
		return false;
	yes = user_hooks_is_allocator(elf_sym, &s, prefix);
	elf_file_close(&s.ef);
	return yes;
}

static void plan_site(struct alloc_module *m, const struct hook_row *r, const char *prefix,
		      user_sym_fn sym, void *ctx)
{
	struct hook_site *s = &m->site[m->nsites];
	int k;

	memset(s, 0, sizeof(*s));
	s->func = r->func;
	s->cookie = r->cookie;
	s->ret = r->ret;
	snprintf(s->sym, sizeof(s->sym), "%s%s", prefix, r->func);
	s->addr = sym(ctx, s->sym);
	s->state = s->addr ? SITE_HOOKED : SITE_ABSENT;
	for (k = 0; s->addr && k < m->nsites; k++)
		if (m->site[k].addr == s->addr && m->site[k].state == SITE_HOOKED) {
			s->state = SITE_SHARED;
			s->shares = k;
			break;
		}
	m->nsites++;
}

void user_hooks_plan(struct alloc_module *m, user_sym_fn sym, void *ctx, const char *prefix)
{
	size_t i;

	m->nsites = 0;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		/* je_malloc first: where both exist, je_malloc holds the probe */
		if (prefix && *prefix)
			plan_site(m, &rows[i], prefix, sym, ctx);
		plan_site(m, &rows[i], "", sym, ctx);
	}
}

int user_hooks_locate(struct alloc_module *m, bool is_exe, const char *prefix)
{
	struct elf_syms s = { .dynsym_only = !is_exe };
	unsigned char code[16];
	struct hook_site *h;
	long long off;
	int i;

	if (!elf_file_open(&s.ef, m->path)) {
		err_msg("cannot read allocator %s as ELF", m->path);
		return -ENOENT;
	}
	user_hooks_plan(m, elf_sym, &s, prefix);
	for (i = 0; i < m->nsites; i++) {
		h = &m->site[i];
		if (h->state == SITE_SHARED && m->site[h->shares].state != SITE_HOOKED)
			h->state = m->site[h->shares].state;
		if (h->state != SITE_HOOKED)
			continue;
		off = elf_vaddr_to_offset(&s.ef, h->addr);
		if (off < 0) {
			h->state = SITE_NO_SEGMENT;
			continue;
		}
		h->skip = elf_read_at(&s.ef, off, code, sizeof(code)) ? uprobe_fast_skip(code, sizeof(code)) : 0;
		h->off = off + h->skip;
	}
	elf_file_close(&s.ef);
	return 0;
}

bool user_hooks_hooked(const struct alloc_module *m, const char *func)
{
	int i;

	for (i = 0; i < m->nsites; i++)
		if (strcmp(m->site[i].func, func) == 0 &&
		    (m->site[i].state == SITE_HOOKED || m->site[i].state == SITE_SHARED))
			return true;
	return false;
}

bool user_hooks_probes_symbol(const struct alloc_module *mods, int n, const char *sym)
{
	int k, i;

	for (k = 0; k < n; k++)
		for (i = 0; i < mods[k].nsites; i++)
			if (strcmp(mods[k].site[i].sym, sym) == 0 &&
			    (mods[k].site[i].state == SITE_HOOKED || mods[k].site[i].state == SITE_SHARED))
				return true;
	return false;
}

const char *user_hooks_why_not(const struct alloc_module *mods, int n, int k, int i, char *buf,
			       size_t len)
{
	const struct hook_site *s = &mods[k].site[i];
	int j;

	switch (s->state) {
	case SITE_HOOKED:
		return NULL;
	case SITE_SHARED:
		snprintf(buf, len, "same address as %s: shares its probe", mods[k].site[s->shares].sym);
		return buf;
	case SITE_NO_SEGMENT:
		return "defined outside every loaded segment";
	case SITE_ABSENT:
		break;
	}
	/* je_malloc absent where malloc is hooked */
	for (j = 0; j < mods[k].nsites; j++)
		if (j != i && strcmp(mods[k].site[j].func, s->func) == 0 && mods[k].site[j].state == SITE_HOOKED) {
			snprintf(buf, len, "not in this module; its %s is hooked", mods[k].site[j].sym);
			return buf;
		}
	/* A call to a function this module lacks reaches the module that has
	 * it (reallocarray: absent from jemalloc, libc's is called). */
	for (j = 0; j < n; j++)
		if (j != k && user_hooks_hooked(&mods[j], s->func)) {
			snprintf(buf, len, "not in this module; %s's is hooked", mods[j].name);
			return buf;
		}
	return "not in this module nor in any other allocator module";
}

void user_hooks_report(const struct alloc_module *mods, int n)
{
	char what[128], how[PATH_MAX + 96], buf[128];
	const struct hook_site *s;
	int k, i;

	if (verbosity < 1)
		return;
	for (k = 0; k < n; k++) {
		for (i = 0; i < mods[k].nsites; i++) {
			s = &mods[k].site[i];
			snprintf(what, sizeof(what), "%s [%s]", s->sym, mods[k].name);
			if (s->state != SITE_HOOKED) {
				probe_report(what, "not hooked", user_hooks_why_not(mods, n, k, i, buf, sizeof(buf)));
				continue;
			}
			snprintf(how, sizeof(how), "uprobe%s %s+0x%lx", s->ret ? "+uretprobe" : "", mods[k].path,
				 s->off);
			probe_report(what, how, s->skip ? "moved past flag-only instructions to an emulated one"
							: NULL);
		}
	}
}

int user_links_keep(struct user_links *l, struct bpf_link *link)
{
	if (!link)
		return -errno;
	if (l->n == (int)ARRAY_SIZE(l->v)) {
		bpf_link__destroy(link);
		return -ENOSPC;
	}
	l->v[l->n++] = link;
	return 0;
}

void user_links_destroy(struct user_links *l)
{
	while (l->n > 0)
		bpf_link__destroy(l->v[--l->n]);
	while (l->nfds > 0)
		close(l->fds[--l->nfds]);
}

static int keep_fd(struct user_links *l, int fd)
{
	if (fd < 0)
		return fd;
	if (l->nfds == (int)ARRAY_SIZE(l->fds)) {
		close(fd);
		return -ENOSPC;
	}
	l->fds[l->nfds++] = fd;
	return 0;
}

static int attach_module(struct memleak_bpf *skel, const struct alloc_module *m, pid_t pid, bool multi,
			 struct user_links *l)
{
	unsigned long off[USER_MAX_SITES], ret_off[USER_MAX_SITES];
	__u64 cookie[USER_MAX_SITES];
	unsigned int n = 0, nret = 0, i;
	int err = 0;

	for (i = 0; i < (unsigned int)m->nsites; i++) {
		if (m->site[i].state != SITE_HOOKED)
			continue;
		off[n] = m->site[i].off;
		cookie[n++] = m->site[i].cookie;
		if (m->site[i].ret)
			ret_off[nret++] = m->site[i].off;
	}
	if (multi) {
		err = keep_fd(l, uprobe_multi_attach(bpf_program__fd(skel->progs.alloc_enter_any), m->path, off,
						     cookie, n, pid, false));
		if (!err && nret)
			err = keep_fd(l, uprobe_multi_attach(bpf_program__fd(skel->progs.alloc_exit), m->path,
							     ret_off, NULL, nret, pid, true));
		return err;
	}
	for (i = 0; i < n && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie[i]);

		err = user_links_keep(l, bpf_program__attach_uprobe_opts(skel->progs.alloc_enter_any, pid,
									  m->path, off[i], &opts));
	}
	for (i = 0; i < nret && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = true);

		err = user_links_keep(l, bpf_program__attach_uprobe_opts(skel->progs.alloc_exit, pid, m->path,
									  ret_off[i], &opts));
	}
	return err;
}

int user_hooks_attach(struct memleak_bpf *skel, const struct alloc_module *mods, int n, pid_t pid,
		      bool multi, struct user_links *l)
{
	char how[64];
	int k, err = 0;

	for (k = 0; k < n && !err; k++) {
		err = attach_module(skel, &mods[k], pid, multi, l);
		if (err)
			err_msg("cannot attach the allocator's uprobes in %s: %s%s", mods[k].path, strerror(-err),
				err == -EINVAL ? " (another tool, e.g. bcc, may hold a uprobe there with a "
						 "reference counter: see 'ref_ctr_offset mismatch' in dmesg)" : "");
	}
	if (multi) {
		snprintf(how, sizeof(how), "2 uprobe_multi links per allocator module (%d)", n);
		probe_report("malloc family", how, NULL);
	} else {
		probe_report("malloc family", "one perf-event uprobe per function",
			     "no uprobe_multi links before Linux 6.6");
	}
	return err;
}
