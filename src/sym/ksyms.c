/* Kernel symbolization from /proc/kallsyms (see ksyms.h). */
#include "sym/ksyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char **strs; /* owned name/module strings, freed with the table */
	size_t nstrs, capstrs;
};

static char *keep(struct ksyms *ks, const char *s)
{
	char *d;

	if (ks->nstrs == ks->capstrs) {
		size_t cap = ks->capstrs ? ks->capstrs * 2 : 4096;
		char **n = realloc(ks->strs, cap * sizeof(*n));

		if (!n)
			return NULL;
		ks->strs = n;
		ks->capstrs = cap;
	}
	d = strdup(s);
	if (d)
		ks->strs[ks->nstrs++] = d;
	return d;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void ksyms_free(struct ksyms *ks)
{
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->nstrs; i++)
		free(ks->strs[i]);
	free(ks->strs);
	free(ks->syms);
	free(ks);
}

struct ksyms *ksyms_load(const char *path)
{
	FILE *f = fopen(path ? path : "/proc/kallsyms", "r");
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[1024], name[512], mod[256], type;
	const char *last_mod = NULL;
	unsigned long long addr;
	int n;

	if (!f || !ks)
		goto err;
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		n = sscanf(line, "%llx %c %511s [%255[^]]]", &addr, &type, name, mod);
		if (n < 3 || addr == 0)
			continue;
		/* Only text symbols symbolize stacks; data symbols would shadow. */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *s = realloc(ks->syms, cap * sizeof(*s));

			if (!s)
				goto err;
			ks->syms = s;
			ks->cap = cap;
		}
		ks->syms[ks->n].addr = addr;
		if (!(ks->syms[ks->n].name = keep(ks, name)))
			goto err;
		if (mod[0]) {
			if (!last_mod || strcmp(last_mod, mod) != 0)
				last_mod = keep(ks, mod);
			ks->syms[ks->n].module = last_mod;
		} else {
			ks->syms[ks->n].module = NULL;
		}
		ks->n++;
	}
	fclose(f);
	/* No symbols (addresses hidden: kptr_restrict without CAP_SYSLOG)
	 * leaves syms NULL, which qsort must not see. */
	if (ks->n)
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_addr);
	else
		warn_msg("kernel symbol addresses are hidden from us (kptr_restrict; CAP_SYSLOG "
			 "shows them): kernel frames print as addresses");
	return ks;
err:
	if (f)
		fclose(f);
	ksyms_free(ks);
	return NULL;
}

const struct ksym *ksyms_lookup(const struct ksyms *ks, unsigned long long addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->n || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->syms[lo];
}

unsigned long long ksyms_addr(const struct ksyms *ks, const char *name)
{
	size_t i;

	for (i = 0; ks && i < ks->n; i++)
		if (strcmp(ks->syms[i].name, name) == 0)
			return ks->syms[i].addr;
	return 0;
}
