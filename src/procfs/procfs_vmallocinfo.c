/* /proc/vmallocinfo: "0xstart-0xend size [caller+off/len] [pages=N]
 * [phys=..] [flags...] [N0=..]", summed per caller function. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMALLOC_MAX_CALLERS 65536

/* Kernel stacks are vmalloc'ed with CONFIG_VMAP_STACK; these callers
 * (some inlined into kernel_clone) allocate them. */
static bool is_stack_caller(const char *c)
{
	return !strcmp(c, "alloc_thread_stack_node") || !strcmp(c, "dup_task_struct") ||
	       !strcmp(c, "copy_process") || !strcmp(c, "kernel_clone");
}

static struct vmalloc_caller *find_caller(struct vmallocinfo *vi, const char *name, size_t *cap)
{
	struct vmalloc_caller *nc;
	size_t i;

	for (i = 0; i < vi->n; i++)
		if (!strcmp(vi->c[i].caller, name))
			return &vi->c[i];
	if (vi->n == *cap) {
		if (*cap >= VMALLOC_MAX_CALLERS)
			return NULL;
		*cap = *cap ? *cap * 2 : 64;
		nc = realloc(vi->c, *cap * sizeof(*nc));
		if (!nc)
			return NULL;
		vi->c = nc;
	}
	nc = &vi->c[vi->n++];
	memset(nc, 0, sizeof(*nc));
	snprintf(nc->caller, sizeof(nc->caller), "%s", name);
	return nc;
}

int procfs_parse_vmallocinfo(const char *buf, size_t len, unsigned long page_size,
			     struct vmallocinfo *vi)
{
	struct pf_cursor c = { buf, buf + len };
	unsigned long long size, pages, bytes;
	const char *line, *p, *end, *tok, *q;
	struct vmalloc_caller *vc;
	char caller[96];
	size_t n, tl, cap = 0;
	bool is_vmalloc;

	memset(vi, 0, sizeof(*vi));
	if (!page_size)
		page_size = 4096;
	while (pf_next_line(&c, &line, &n)) {
		p = line;
		end = line + n;
		if (!pf_token(&p, end, &tok, &tl) || tl < 3 || tok[0] != '0' || tok[1] != 'x' ||
		    !memchr(tok, '-', tl)) {
			if (n)
				vi->bad_lines++;
			continue;
		}
		pf_skip_blank(&p, end);
		if (!pf_u64(&p, end, &size)) {
			vi->bad_lines++;
			continue;
		}
		vi->areas++;
		strcpy(caller, "(none)");
		pages = 0;
		is_vmalloc = false;
		while (pf_token(&p, end, &tok, &tl)) {
			if (tl > 6 && !memcmp(tok, "pages=", 6)) {
				q = tok + 6;
				if (!pf_u64(&q, tok + tl, &pages))
					pages = 0;
			} else if (tl == 7 && !memcmp(tok, "vmalloc", 7)) {
				is_vmalloc = true;
			} else if (memchr(tok, '+', tl) && memchr(tok, '/', tl)) {
				pf_copy(caller, sizeof(caller), tok, (const char *)memchr(tok, '+', tl) - tok);
			} else if (tl == 8 && !memcmp(tok, "unpurged", 8)) {
				strcpy(caller, "unpurged");
			}
		}
		if (!is_vmalloc || !pages)
			continue;
		if (pages > ~0ULL / page_size)
			pages = ~0ULL / page_size;
		bytes = pages * page_size;
		vi->vmalloc_bytes = pf_sat_add(vi->vmalloc_bytes, bytes);
		if (is_stack_caller(caller))
			vi->stack_bytes = pf_sat_add(vi->stack_bytes, bytes);
		vc = find_caller(vi, caller, &cap);
		if (!vc) {
			vi->bad_lines++;
			continue;
		}
		vc->bytes = pf_sat_add(vc->bytes, bytes);
		vc->areas++;
	}
	return vi->areas || !len ? 0 : -EINVAL;
}

void vmallocinfo_free(struct vmallocinfo *vi)
{
	free(vi->c);
	vi->c = NULL;
	vi->n = 0;
}
