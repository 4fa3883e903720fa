/* Findings: plain-words conclusions from one report (and, with --watch,
 * from its difference to the first sample), each with its evidence and the
 * command to run next. */
#include "why/why.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"

static int add(struct why_report *r, const char *sev, const char *next, const char *evidence,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add(struct why_report *r, const char *sev, const char *next, const char *evidence,
	       const char *fmt, ...)
{
	struct why_finding *nf, *f;
	va_list ap;

	nf = realloc(r->findings, (r->nfindings + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	r->findings = nf;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->severity, sizeof(f->severity), "%s", sev);
	snprintf(f->next_command, sizeof(f->next_command), "%s", next ? next : "");
	snprintf(f->evidence, sizeof(f->evidence), "%s", evidence);
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return 0;
}

static unsigned long long node_bytes(const struct why_report *r, const char *path)
{
	int i = why_tree_find(&r->tree, path);

	return i < 0 ? 0 : r->tree.v[i].bytes;
}

/* Shell-safe enough for a suggestion: single-quote when needed.  False
 * when it does not fit: a cut path would be a wrong command. */
static bool quote(char *out, size_t len, const char *s)
{
	size_t i, o = 0;
	bool plain = *s != '\0';

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("/._-+:,@", s[i])))
			plain = false;
	if (plain)
		return (size_t)snprintf(out, len, "%s", s) < len;
	if (len < 3)
		return false;
	out[o++] = '\'';
	for (i = 0; s[i] && o + 6 < len; i++) {
		unsigned char c = s[i];

		if (c == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else if (c < 0x20 || c == 0x7f) {
			return false;
		} else {
			out[o++] = c;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
	return s[i] == '\0';
}

static const char *sev_for(const struct why_report *r, unsigned long long bytes)
{
	return bytes * 10 >= meminfo_val(&r->mi, "MemTotal") ? "warning" : "info";
}

static void tmpfs_findings(struct why_report *r, const struct why_opts *o)
{
	unsigned long long shmem = meminfo_val(&r->mi, "Shmem");
	char a[32], b[32], c[32], q[256], mp[256], next[300], ev[320];
	size_t i;

	for (i = 0; i < r->ntmpfs; i++) {
		const struct why_tmpfs *m = &r->tmpfs[i];

		if (m->used < o->threshold)
			continue;
		sanitize_text(mp, sizeof(mp), m->mountpoint);
		if (quote(q, sizeof(q), m->mountpoint))
			snprintf(next, sizeof(next), "memleakbpf shmem --mount %s", q);
		else
			snprintf(next, sizeof(next), "memleakbpf shmem");
		snprintf(ev, sizeof(ev), "statvfs(%s): %s used of %s; meminfo Shmem %s", mp,
			 fmt_bytes(a, sizeof(a), m->used),
			 m->size_known ? fmt_bytes(b, sizeof(b), m->size) : "unlimited",
			 fmt_bytes(c, sizeof(c), shmem));
		if (m->ntop) {
			char fp[200];

			sanitize_text(fp, sizeof(fp), m->top[0].path);
			snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev), "; largest file %s (%s)", fp,
				 fmt_bytes(a, sizeof(a), m->top[0].bytes));
		}
		add(r, sev_for(r, m->used), next, ev, "Shmem is %s, %s of it in %s (%s): see who writes there",
		    fmt_bytes(a, sizeof(a), shmem), fmt_bytes(b, sizeof(b), m->used), mp, m->fstype);
	}
}

static void sysv_findings(struct why_report *r, const struct why_opts *o)
{
	char a[32], next[64], ev[320], alive[32];
	size_t i;

	for (i = 0; r->sysv_ok && i < r->sysv.n; i++) {
		const struct sysv_seg *s = &r->sysv.s[i];
		unsigned long long bytes = s->has_rss ? s->rss : s->size;

		if (bytes < o->threshold || !s->has_nattch)
			continue;
		snprintf(ev, sizeof(ev), "/proc/sysvipc/shm: key %lld shmid %d size %llu rss %s nattch %llu cpid %d lpid %d",
			 s->key, s->shmid, s->size,
			 s->has_rss ? fmt_bytes(a, sizeof(a), s->rss) : "unknown", s->nattch, s->cpid,
			 s->lpid);
		if (s->nattch == 0) {
			snprintf(alive, sizeof(alive), "%s",
				 s->cpid > 0 && kill(s->cpid, 0) && errno == ESRCH ? "has exited" : "is alive");
			snprintf(next, sizeof(next), "ipcrm -m %d", s->shmid);
			add(r, sev_for(r, bytes), next, ev,
			    "SysV shm segment %d holds %s with no process attached (orphaned; creator pid %d %s): "
			    "it stays until removed",
			    s->shmid, fmt_bytes(a, sizeof(a), bytes), s->cpid, alive);
		} else {
			add(r, sev_for(r, bytes), "ipcs -m -p", ev,
			    "SysV shm segment %d holds %s, attached by %llu process(es)", s->shmid,
			    fmt_bytes(a, sizeof(a), bytes), s->nattch);
		}
	}
}

static void file_findings(struct why_report *r, const struct why_opts *o)
{
	char a[32], path[200], comm[64], next[64], ev[320];
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		const struct why_open_file *f = &r->files[i];

		if (f->bytes < o->threshold || !f->nholders)
			continue;
		sanitize_text(path, sizeof(path), f->path);
		sanitize_text(comm, sizeof(comm), f->holders[0].comm);
		snprintf(ev, sizeof(ev), "/proc/%d/fd -> %s: %s allocated (st_blocks), %zu holder(s)",
			 f->holders[0].pid, path, fmt_bytes(a, sizeof(a), f->bytes), f->holders_total);
		if (f->memfd) {
			snprintf(next, sizeof(next), "memleakbpf shmem -p %d", f->holders[0].pid);
			add(r, sev_for(r, f->bytes), next, ev, "%s of pid %d (%s) holds %s", path,
			    f->holders[0].pid, comm, fmt_bytes(a, sizeof(a), f->bytes));
		} else {
			snprintf(next, sizeof(next), "ls -l /proc/%d/fd", f->holders[0].pid);
			add(r, sev_for(r, f->bytes), next, ev,
			    "%s was deleted but pid %d (%s) keeps it open: its %s return only when the file is closed",
			    path, f->holders[0].pid, comm, fmt_bytes(a, sizeof(a), f->bytes));
		}
	}
}

static void process_findings(struct why_report *r, const struct why_opts *o)
{
	char a[32], b[32], c[32], comm[64], next[64], ev[320];
	size_t i;

	for (i = 0; i < r->nprocs && i < (size_t)o->top; i++) {
		const struct why_proc *p = &r->procs[i];
		unsigned long long shared = p->proc.rss_shmem + p->proc.rss_file;

		if (!p->proc.has_rss_split || p->proc.rss_anon < o->threshold ||
		    p->proc.rss_anon < 2 * shared)
			continue;
		sanitize_text(comm, sizeof(comm), p->proc.comm);
		snprintf(next, sizeof(next), "memleakbpf -p %d", p->proc.pid);
		snprintf(ev, sizeof(ev), "/proc/%d/status: RssAnon %s, RssFile+RssShmem %s, VmSize %s",
			 p->proc.pid, fmt_bytes(a, sizeof(a), p->proc.rss_anon), fmt_bytes(b, sizeof(b), shared),
			 fmt_bytes(c, sizeof(c), p->proc.vm_size));
		add(r, "info", next, ev,
		    "pid %d (%s): %s private anon against %s shared: if it keeps growing, a heap leak is likely",
		    p->proc.pid, comm, fmt_bytes(a, sizeof(a), p->proc.rss_anon), fmt_bytes(b, sizeof(b), shared));
	}
}

static void kernel_findings(struct why_report *r, const struct why_opts *o)
{
	unsigned long long total = meminfo_val(&r->mi, "MemTotal"), big, v;
	char a[32], b[32], ev[320];
	size_t i, top = 0;

	big = total / 10 > o->threshold ? total / 10 : o->threshold;
	v = meminfo_val(&r->mi, "SUnreclaim");
	if (v >= big) {
		snprintf(ev, sizeof(ev), "meminfo SUnreclaim %s", fmt_bytes(a, sizeof(a), v));
		if (r->slab_ok && r->slab.n) {
			for (i = 1; i < r->slab.n; i++)
				if (r->slab.c[i].bytes > r->slab.c[top].bytes)
					top = i;
			snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev), "; largest slab cache %s (%s)",
				 r->slab.c[top].name, fmt_bytes(b, sizeof(b), r->slab.c[top].bytes));
		}
		add(r, "warning", "memleakbpf kernel", ev,
		    "SUnreclaim is %s (%.0f%% of RAM): kernel objects that cannot be reclaimed",
		    fmt_bytes(a, sizeof(a), v),
		    100.0 * v / total);
	}
	v = node_bytes(r, "MemTotal/kernel/vmalloc");
	if (v >= big) {
		snprintf(ev, sizeof(ev), "meminfo VmallocUsed %s",
			 fmt_bytes(a, sizeof(a), meminfo_val(&r->mi, "VmallocUsed")));
		add(r, "warning", "memleakbpf kernel", ev, "vmalloc holds %s", fmt_bytes(a, sizeof(a), v));
	}
	v = node_bytes(r, "MemTotal/kernel/unexplained");
	if (v >= big) {
		snprintf(ev, sizeof(ev), "MemTotal minus every meminfo counter: %s", fmt_bytes(a, sizeof(a), v));
		add(r, "warning", "memleakbpf kernel", ev,
		    "%s is used but no counter accounts for it (driver or GPU pages, page-allocator leaks)",
		    fmt_bytes(a, sizeof(a), v));
	}
	v = node_bytes(r, "MemTotal/user/shmem/other shmem (shared anon mappings, unseen tmpfs)");
	if (v >= o->threshold) {
		snprintf(ev, sizeof(ev), "meminfo Shmem %s minus visible tmpfs, SysV and memfd",
			 fmt_bytes(a, sizeof(a), meminfo_val(&r->mi, "Shmem")));
		add(r, sev_for(r, v), "memleakbpf shmem", ev,
		    "%s of Shmem is in shared anonymous mappings, DRM buffers or tmpfs mounts of other namespaces",
		    fmt_bytes(a, sizeof(a), v));
	}
}

static const struct why_proc *find_proc(const struct why_report *r, const struct why_proc *p)
{
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].proc.pid == p->proc.pid &&
		    r->procs[i].proc.start_time == p->proc.start_time)
			return &r->procs[i];
	return NULL;
}

int why_growth(struct why_report *r, const struct why_report *first, const struct why_report *prev)
{
	char path[512];
	size_t i;
	int j;

	free(r->growth);
	r->growth = calloc(r->tree.n ? r->tree.n : 1, sizeof(*r->growth));
	r->ngrowth = 0;
	if (!r->growth)
		return -ENOMEM;
	for (i = 0; i < r->tree.n; i++) {
		struct why_growth *g = &r->growth[r->ngrowth++];

		why_tree_path(&r->tree, (int)i, path, sizeof(path));
		snprintf(g->name, sizeof(g->name), "%s", path);
		g->bytes = r->tree.v[i].bytes;
		j = why_tree_find(&first->tree, path);
		g->delta = j < 0 ? (long long)g->bytes :
				   (long long)g->bytes - (long long)first->tree.v[j].bytes;
		j = why_tree_find(&prev->tree, path);
		g->interval_delta = j < 0 ? (long long)g->bytes :
					    (long long)g->bytes - (long long)prev->tree.v[j].bytes;
	}
	for (i = 0; i < r->nprocs; i++) {
		struct why_proc *p = &r->procs[i];
		const struct why_proc *q = find_proc(first, p);

		if (!q)
			continue;
		p->has_growth = true;
		p->d_rss_anon = (long long)p->proc.rss_anon - (long long)q->proc.rss_anon;
		p->d_rss_shmem = (long long)p->proc.rss_shmem - (long long)q->proc.rss_shmem;
		p->d_rss = (long long)p->proc.rss - (long long)q->proc.rss;
		p->d_vm_size = (long long)p->proc.vm_size - (long long)q->proc.vm_size;
		p->d_swap = (long long)p->proc.swap - (long long)q->proc.swap;
	}
	return 0;
}

/* The mount a tree node stands for ("tmpfs /run"); NULL when the node is
 * something else or its name was cut short. */
static const struct why_tmpfs *mount_of_node(const struct why_report *r, const char *name)
{
	size_t i, l;

	for (i = 0; i < r->ntmpfs; i++) {
		l = strlen(r->tmpfs[i].fstype);
		if (!strncmp(name, r->tmpfs[i].fstype, l) && name[l] == ' ' &&
		    !strcmp(name + l + 1, r->tmpfs[i].mountpoint))
			return &r->tmpfs[i];
	}
	return NULL;
}

static void trend_findings(struct why_report *r, const struct why_opts *o)
{
	char a[32], b[32], comm[64], next[300], ev[320], q[256];
	long long g = (long long)o->grow_min;
	size_t i;

	/* growth[] parallels the tree; node names (not the '/'-joined path)
	 * hold mountpoints, which contain '/' themselves. */
	for (i = 0; i < r->ngrowth && i < r->tree.n; i++) {
		const struct why_growth *w = &r->growth[i];
		const struct why_node *n = &r->tree.v[i];
		const char *leaf = n->name;
		const struct why_tmpfs *m;

		if (w->delta < g)
			continue;
		snprintf(ev, sizeof(ev), "%.200s: %s now, +%s in %.0f s", w->name,
			 fmt_bytes(a, sizeof(a), w->bytes),
			 fmt_bytes(b, sizeof(b), (unsigned long long)w->delta), r->elapsed);
		if (!strcmp(w->name, "MemTotal/kernel/slab/unreclaimable")) {
			add(r, "warning", "memleakbpf kernel", ev, "SUnreclaim grew %s in %.0f s",
			    fmt_bytes(a, sizeof(a), (unsigned long long)w->delta), r->elapsed);
		} else if (!strcmp(w->name, "MemTotal/kernel/unexplained") ||
			   !strcmp(w->name, "MemTotal/kernel/vmalloc")) {
			add(r, "warning", "memleakbpf kernel", ev, "%s grew %s in %.0f s", leaf,
			    fmt_bytes(a, sizeof(a), (unsigned long long)w->delta), r->elapsed);
		} else if (n->parent >= 0 && !strcmp(r->tree.v[n->parent].name, "shmem") &&
			   (m = mount_of_node(r, leaf))) {
			if (quote(q, sizeof(q), m->mountpoint))
				snprintf(next, sizeof(next), "memleakbpf shmem --mount %s", q);
			else
				snprintf(next, sizeof(next), "memleakbpf shmem");
			sanitize_text(comm, sizeof(comm), m->mountpoint);
			add(r, "warning", next, ev, "tmpfs %s grew %s in %.0f s", comm,
			    fmt_bytes(a, sizeof(a), (unsigned long long)w->delta), r->elapsed);
		}
	}
	for (i = 0; i < r->nprocs; i++) {
		const struct why_proc *p = &r->procs[i];

		if (!p->has_growth)
			continue;
		sanitize_text(comm, sizeof(comm), p->proc.comm);
		snprintf(next, sizeof(next), "memleakbpf -p %d", p->proc.pid);
		if (p->d_rss_anon >= g && llabs(p->d_rss_shmem) < g / 4) {
			snprintf(ev, sizeof(ev), "/proc/%d/status RssAnon +%s, RssShmem %+lld kB in %.0f s",
				 p->proc.pid, fmt_bytes(a, sizeof(a), (unsigned long long)p->d_rss_anon), p->d_rss_shmem / 1024,
				 r->elapsed);
			add(r, "warning", next, ev,
			    "pid %d (%s): private anon grew %s in %.0f s while shared stayed flat: heap leak likely",
			    p->proc.pid, comm, fmt_bytes(a, sizeof(a), (unsigned long long)p->d_rss_anon), r->elapsed);
		} else if (p->d_rss_shmem >= g) {
			snprintf(ev, sizeof(ev), "/proc/%d/status RssShmem +%s in %.0f s", p->proc.pid,
				 fmt_bytes(a, sizeof(a), (unsigned long long)p->d_rss_shmem), r->elapsed);
			snprintf(next, sizeof(next), "memleakbpf shmem -p %d", p->proc.pid);
			add(r, "warning", next, ev, "pid %d (%s): shared anon grew %s in %.0f s", p->proc.pid,
			    comm, fmt_bytes(a, sizeof(a), (unsigned long long)p->d_rss_shmem), r->elapsed);
		}
		if (p->d_vm_size >= 4 * g && llabs(p->d_rss) < g / 4) {
			snprintf(ev, sizeof(ev), "/proc/%d/status VmSize +%s, VmRSS %+lld kB in %.0f s", p->proc.pid,
				 fmt_bytes(a, sizeof(a), (unsigned long long)p->d_vm_size), p->d_rss / 1024, r->elapsed);
			snprintf(next, sizeof(next), "memleakbpf -p %d", p->proc.pid);
			add(r, "info", next, ev,
			    "pid %d (%s): VIRT grows (%s) while RSS stays flat: address-space leak (mappings never unmapped)",
			    p->proc.pid, comm, fmt_bytes(a, sizeof(a), (unsigned long long)p->d_vm_size));
		}
	}
}

int why_findings(struct why_report *r, const struct why_report *first, const struct why_opts *o)
{
	tmpfs_findings(r, o);
	sysv_findings(r, o);
	file_findings(r, o);
	kernel_findings(r, o);
	process_findings(r, o);
	if (first)
		trend_findings(r, o);
	if (r->nunreadable && !r->root)
		add(r, "info", "sudo memleakbpf why", "see \"unreadable\"",
		    "not root: %zu source(s) could not be read, so some memory is not attributed",
		    r->nunreadable);
	return 0;
}
