/* The kernel mode's resolve step (see kmem_report.h): the frames of the
 * rows a report shows, from the stack map and kallsyms, so the printers read
 * only the report. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmem_report.h"
#include "kmem.h"
#include "lib/common.h"
#include "sym/ksyms.h"

bool kmem_is_tracing_frame(const char *fn)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf_", "___bpf_", "__traceiter_", "trace_", "__probestub_",
		"perf_", "__perf_",
	};
	size_t i;

	if (!fn)
		return false;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(fn, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

const struct ksym *kmem_ksym(const struct ksyms *ks, unsigned long long addr)
{
	const struct ksym *s = ksyms_lookup(ks, addr);

	/* Past the last symbol of a region (e.g. _einittext before the BPF
	 * JIT area) the nearest symbol is not the function. */
	return s && addr - s->addr < KMEM_MAX_FUNC_SIZE ? s : NULL;
}

int kmem_report_resolve(struct kmem_report *r, int stacks_fd, const struct ksyms *ks)
{
	size_t i;

	for (i = 0; i < kmem_rows_shown(r); i++) {
		struct kmem_row *row = &r->rows[i];
		struct kmem_stack st = {};
		int k, start = 0;

		free(row->frames);
		row->frames = NULL;
		row->nframes = 0;
		if (row->key.lost || bpf_map_lookup_elem(stacks_fd, &row->key.stack, &st))
			continue;
		/* The BPF program itself (not in kallsyms without
		 * bpf_jit_kallsyms, else a bpf_prog_ symbol) and
		 * bpf_trace_runN sit on top. */
		while (start < KMEM_STACK_DEPTH && st.ips[start]) {
			const struct ksym *s = kmem_ksym(ks, st.ips[start]);

			if (s && !kmem_is_tracing_frame(s->name))
				break;
			start++;
		}
		row->frames = calloc(KMEM_STACK_DEPTH, sizeof(*row->frames));
		if (!row->frames)
			return -ENOMEM;
		for (k = start; k < KMEM_STACK_DEPTH && st.ips[k]; k++) {
			const struct ksym *s = kmem_ksym(ks, st.ips[k]);
			struct kmem_frame *f = &row->frames[row->nframes++];

			f->addr = st.ips[k];
			if (s) {
				f->function = s->name;
				f->offset = st.ips[k] - s->addr;
				f->module = s->module;
			}
		}
	}
	return 0;
}

