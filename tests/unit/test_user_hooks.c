/* Unit tests: user mode's hook table over hand-made symbol tables (glibc,
 * jemalloc, a je_-prefixed build, an interposer): what is probed in each
 * allocator module and what -v says about the rest. */
#include <string.h>

#include "memleak.h"
#include "unit.h"
#include "user/user_hooks.h"

struct fake_sym {
	const char *name;
	unsigned long long addr;
};

static unsigned long long lookup(void *ctx, const char *name)
{
	const struct fake_sym *s;

	for (s = ctx; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s->addr;
	return 0;
}

/* glibc 2.36's addresses: the __libc_ names and memalign are aliases. */
static const struct fake_sym glibc[] = {
	{ "malloc", 0x98930 }, { "__libc_malloc", 0x98930 }, { "free", 0x98ef0 },
	{ "__libc_free", 0x98ef0 }, { "calloc", 0x996e0 }, { "__libc_calloc", 0x996e0 },
	{ "realloc", 0x99130 }, { "__libc_realloc", 0x99130 }, { "reallocarray", 0x9a7e0 },
	{ "__libc_reallocarray", 0x9a7e0 }, { "posix_memalign", 0x9a280 }, { "aligned_alloc", 0x99610 },
	{ "memalign", 0x99610 }, { "__libc_memalign", 0x99610 }, { "valloc", 0x99650 },
	{ "__libc_valloc", 0x99650 }, { "pvalloc", 0x99680 }, { "__libc_pvalloc", 0x99680 },
	{ NULL, 0 },
};

/* Debian's libjemalloc.so.2 (5.3): no reallocarray, no pvalloc. */
static const struct fake_sym jemalloc[] = {
	{ "malloc", 0x23910 }, { "free", 0x27c60 }, { "calloc", 0x253f0 }, { "realloc", 0x2bdd0 },
	{ "posix_memalign", 0x239f0 }, { "aligned_alloc", 0x24720 }, { "memalign", 0x27d30 },
	{ "valloc", 0x289b0 }, { "mallocx", 0x294e0 }, { "rallocx", 0x2bdc0 }, { "xallocx", 0x2ddf0 },
	{ "sdallocx", 0x31390 }, { "dallocx", 0x2f380 }, { NULL, 0 },
};

/* jemalloc built with --with-jemalloc-prefix=je_, linked into a program. */
static const struct fake_sym prefixed[] = {
	{ "je_malloc", 0x1000 }, { "je_free", 0x1100 }, { "je_mallocx", 0x1200 }, { "main", 0x2000 },
	{ NULL, 0 },
};

/* An LD_PRELOAD interposer that forwards to __libc_malloc and friends. */
static const struct fake_sym interposer[] = {
	{ "malloc", 0x1100 }, { "free", 0x1200 }, { "calloc", 0x1300 }, { "realloc", 0x1400 },
	{ NULL, 0 },
};

static const struct fake_sym zlib[] = { { "deflate", 0x3000 }, { NULL, 0 } };

static const struct hook_site *site(const struct alloc_module *m, const char *sym)
{
	int i;

	for (i = 0; i < m->nsites; i++)
		if (strcmp(m->site[i].sym, sym) == 0)
			return &m->site[i];
	return NULL;
}

static int hooked(const struct alloc_module *m)
{
	int i, n = 0;

	for (i = 0; i < m->nsites; i++)
		n += m->site[i].state == SITE_HOOKED;
	return n;
}

/* -v's reason for symbol sym of mods[k] (of n modules). */
static const char *why(const struct alloc_module *mods, int n, int k, const char *sym)
{
	static char buf[128];
	const struct hook_site *s = site(&mods[k], sym);

	return s ? user_hooks_why_not(mods, n, k, (int)(s - mods[k].site), buf, sizeof(buf)) : "no such site";
}

static void plan(struct alloc_module *m, const char *name, const struct fake_sym *syms, const char *prefix)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	user_hooks_plan(m, lookup, (void *)syms, prefix);
}

UNIT_SUITE(user_hooks)
{
	static struct alloc_module mods[3];
	const struct hook_site *s;

	CHECK("user hooks: glibc is an allocator", user_hooks_is_allocator(lookup, (void *)glibc, NULL));
	CHECK("user hooks: jemalloc is an allocator", user_hooks_is_allocator(lookup, (void *)jemalloc, NULL));
	CHECK("user hooks: an interposer is an allocator",
	      user_hooks_is_allocator(lookup, (void *)interposer, NULL));
	CHECK("user hooks: zlib is not", !user_hooks_is_allocator(lookup, (void *)zlib, NULL));
	CHECK("user hooks: je_malloc alone is no allocator without the prefix",
	      !user_hooks_is_allocator(lookup, (void *)prefixed, NULL));
	CHECK("user hooks: je_malloc is one with --symbol-prefix je_",
	      user_hooks_is_allocator(lookup, (void *)prefixed, "je_"));

	/* glibc: one probe per function, the __libc_ names share them */
	plan(&mods[0], "libc.so.6", glibc, NULL);
	CHECK("user hooks: every row planned", mods[0].nsites == USER_HOOK_ROWS);
	CHECK("user hooks: glibc: 9 probes (memalign is aligned_alloc)", hooked(&mods[0]) == 9);
	s = site(&mods[0], "__libc_malloc");
	CHECK("user hooks: __libc_malloc shares malloc's probe",
	      s && s->state == SITE_SHARED && strcmp(mods[0].site[s->shares].sym, "malloc") == 0);
	s = site(&mods[0], "memalign");
	CHECK("user hooks: memalign shares aligned_alloc's probe",
	      s && s->state == SITE_SHARED && strcmp(mods[0].site[s->shares].sym, "aligned_alloc") == 0);
	CHECK_STR("user hooks: -v says why __libc_free has no probe of its own",
		  "same address as free: shares its probe", why(mods, 1, 0, "__libc_free"));
	s = site(&mods[0], "free");
	CHECK("user hooks: free: cookie ML_HOOK_FREE, entry only", s && s->cookie == ML_HOOK_FREE && !s->ret);
	s = site(&mods[0], "reallocarray");
	CHECK("user hooks: reallocarray: its kind, entry and return",
	      s && s->state == SITE_HOOKED && s->cookie == ML_KIND_REALLOCARRAY && s->ret);

	/* jemalloc next to glibc: its extra API hooked; reallocarray is libc's */
	plan(&mods[1], "libjemalloc.so.2", jemalloc, NULL);
	CHECK("user hooks: jemalloc: 13 probes", hooked(&mods[1]) == 13);
	s = site(&mods[1], "mallocx");
	CHECK("user hooks: mallocx has its kind",
	      s && s->state == SITE_HOOKED && s->cookie == ML_KIND_MALLOCX && s->ret);
	s = site(&mods[1], "rallocx");
	CHECK("user hooks: rallocx has its kind", s && s->cookie == ML_KIND_RALLOCX && s->ret);
	s = site(&mods[1], "xallocx");
	CHECK("user hooks: xallocx resizes (entry and return)", s && s->cookie == ML_HOOK_XALLOCX && s->ret);
	s = site(&mods[1], "sdallocx");
	CHECK("user hooks: sdallocx frees", s && s->cookie == ML_HOOK_FREE && !s->ret);
	s = site(&mods[1], "dallocx");
	CHECK("user hooks: dallocx frees", s && s->cookie == ML_HOOK_FREE && !s->ret);
	s = site(&mods[1], "reallocarray");
	CHECK("user hooks: jemalloc has no reallocarray", s && s->state == SITE_ABSENT);
	CHECK_STR("user hooks: -v: jemalloc's missing reallocarray is libc's",
		  "not in this module; libc.so.6's is hooked",
		  why(mods, 2, 1, "reallocarray"));
	CHECK_STR("user hooks: -v: libc's missing mallocx is jemalloc's",
		  "not in this module; libjemalloc.so.2's is hooked", why(mods, 2, 0, "mallocx"));
	CHECK_STR("user hooks: -v: pvalloc is libc's", "not in this module; libc.so.6's is hooked",
		  why(mods, 2, 1, "pvalloc"));
	CHECK("user hooks: reallocarray hooked somewhere",
	      !user_hooks_hooked(&mods[1], "reallocarray") && user_hooks_hooked(&mods[0], "reallocarray"));
	CHECK("user hooks: a function hooked through an alias counts as hooked",
	      user_hooks_hooked(&mods[0], "__libc_malloc") && user_hooks_hooked(&mods[0], "memalign"));

	/* alone, nothing supplies what jemalloc lacks */
	CHECK_STR("user hooks: -v: absent everywhere", "not in this module nor in any other allocator module",
		  why(&mods[1], 1, 0, "reallocarray"));

	/* --symbol-prefix je_: both names of each row, the prefixed first */
	plan(&mods[2], "prog", prefixed, "je_");
	CHECK("user hooks: prefix: both names planned", mods[2].nsites == 2 * USER_HOOK_ROWS);
	s = site(&mods[2], "je_malloc");
	CHECK("user hooks: je_malloc hooked as malloc",
	      s && s->state == SITE_HOOKED && s->cookie == ML_KIND_MALLOC && strcmp(s->func, "malloc") == 0);
	s = site(&mods[2], "je_mallocx");
	CHECK("user hooks: je_mallocx hooked as mallocx",
	      s && s->state == SITE_HOOKED && s->cookie == ML_KIND_MALLOCX);
	CHECK("user hooks: prefix: 3 probes", hooked(&mods[2]) == 3);
	CHECK("user hooks: je_malloc is probed", user_hooks_probes_symbol(&mods[2], 1, "je_malloc"));
	CHECK("user hooks: plain malloc is not, here", !user_hooks_probes_symbol(&mods[2], 1, "malloc"));
	CHECK_STR("user hooks: -v: plain malloc absent, je_malloc hooked",
		  "not in this module; its je_malloc is hooked", why(&mods[2], 1, 0, "malloc"));
	/* libc under a prefix: the plain names still */
	plan(&mods[0], "libc.so.6", glibc, "je_");
	CHECK("user hooks: prefix leaves libc's plain names hooked", hooked(&mods[0]) == 9);
}
