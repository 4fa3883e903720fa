/* memleakbpf shmem: who wrote the memory sitting in tmpfs, memfd, SysV shm
 * and shared anonymous mappings, per inode, after the writer is gone. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "procfs/cgroup.h"
#include "lib/bpf_util.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "lib/id_set.h"
#include "lib/metrics.h"
#include "modes.h"
#include "shmem.skel.h"
#include "shmem/shmem_hooks.h"
#include "shmem/shmem_int.h"
#include "shmem/shmem_options.h"

static struct shmem_env env;
/* serve: reports go to it as metrics, none printed */
static struct mode_sink *sink;

/* --mount names a directory: it must be on a tmpfs mount (a typo would
 * otherwise give an empty report that looks like news). */
static int check_mount(void)
{
	struct sh_mount *m = NULL;
	struct stat st;
	size_t n = 0, i = 0;
	bool found = false;

	if (!env.mount)
		return 0;
	if (stat(env.mount, &st) != 0) {
		err_msg("--mount %s: %s", env.mount, strerror(errno));
		return -EINVAL;
	}
	env.mount_dev = st.st_dev;
	if (sh_read_mounts("/proc/self/mountinfo", &m, &n) == 0)
		for (i = 0; i < n; i++)
			found = found || m[i].dev == st.st_dev;
	free(m);
	if (!found) {
		err_msg("--mount %s: not on a tmpfs mount", env.mount);
		return -EINVAL;
	}
	return 0;
}

/* ---- collecting one report from the maps ---- */

/* qsort and bsearch must not see NULL, even for zero elements. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

struct page_rec {
	dev_t dev;
	unsigned long long ino;
	__u32 wid;
	__u32 flags;
};

static int cmp_page_rec(const void *a, const void *b)
{
	const struct page_rec *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->wid != y->wid)
		return x->wid < y->wid ? -1 : 1;
	return 0;
}

static int cmp_writer_wid(const void *a, const void *b)
{
	const struct sh_writer *x = a, *y = b;

	return x->wid < y->wid ? -1 : x->wid > y->wid;
}

/* Show the cgroup that accounts the memory: the v2 one when the memory
 * controller lives there, else the v1 memory hierarchy's. */
static bool memcg_on_v2(void)
{
	static int cached = -1;
	char path[PATH_MAX + 32], line[1024];
	const char *root;
	FILE *f;

	if (cached >= 0)
		return cached;
	cached = 0;
	root = cgroup_root(CGROUP_V2);
	if (!root)
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f))
		for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n"))
			if (strcmp(t, "memory") == 0)
				cached = 1;
	if (f)
		fclose(f);
	return cached;
}

/* The writer table only grows: read it whole each report. */
static int read_writers(int fd, struct sh_writer **out, size_t *n)
{
	struct shmem_writer_key *keys;
	struct shmem_writer_val *vals;
	struct sh_writer *w;
	size_t i, cnt;
	int err;

	err = map_dump(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals, &cnt);
	if (err)
		return err;
	w = calloc(cnt + 1, sizeof(*w));
	for (i = 0; w && i < cnt; i++) {
		const struct shmem_writer_key *k = &keys[i];

		w[i].wid = vals[i].wid;
		w[i].tgid = k->tgid;
		memcpy(w[i].comm, k->comm, sizeof(k->comm));
		w[i].comm[SHMEM_COMM_LEN - 1] = '\0';
		w[i].stack_id = k->stack_id;
		w[i].cgroup_v2 = cgroup_path(CGROUP_V2, k->cgid);
		w[i].cgroup_v1 = cgroup_path(CGROUP_V1_MEMORY, k->memcg_ino);
		w[i].cgroup = memcg_on_v2() || !w[i].cgroup_v1 ? w[i].cgroup_v2 : w[i].cgroup_v1;
	}
	free(keys);
	free(vals);
	if (!w)
		return -ENOMEM;
	sort(w, cnt, sizeof(*w), cmp_writer_wid);
	*out = w;
	*n = cnt;
	return 0;
}

/* The event stream: the page table lives here (see include/shmem.h). */
static struct sh_table table;
static unsigned long long ucounters[SHC_NR];

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct shmem_event *e = data;
	struct sh_page *p;
	__u32 i, nr;
	int err;

	if (len < sizeof(*e))
		return 0;
	/* A run of adds (struct shmem_run) or one folio. */
	nr = e->type == SHMEM_EV_ADD ? SHMEM_MAX_RUN_PAGES : SHMEM_MAX_FOLIO_PAGES;
	nr = e->nr > nr ? nr : e->nr;
	for (i = 0; i < nr; i++) {
		switch (e->type) {
		case SHMEM_EV_ADD:
			err = sh_table_apply_add(&table, e->dev, e->ino, e->index + i, e->wid,
						 SH_KEY_ADD(e->seq));
			if (err == SH_APPLIED) {
				ucounters[SHC_ADDED_PAGES]++;
			} else if (err == SH_CANCELLED) {
				/* added, then removed before the run was sent */
				ucounters[SHC_ADDED_PAGES]++;
				ucounters[SHC_REMOVED_PAGES]++;
				ucounters[SHC_EARLY_DELETES]++;
			} else if (err < 0) {
				ucounters[SHC_DROP_PAGES]++;
			}
			break;
		case SHMEM_EV_DEL:
			err = sh_table_apply_del(&table, e->dev, e->ino, e->index + i,
						 SH_KEY_DEL(e->seq));
			if (err == SH_APPLIED)
				ucounters[SHC_REMOVED_PAGES]++;
			else if (err < 0)
				/* no room for the removed mark: an older add of
				 * this page still pending would count it again */
				ucounters[SHC_DROP_PAGES]++;
			break;
		case SHMEM_EV_SWAP_OUT:
		case SHMEM_EV_SWAP_IN:
			p = sh_table_find(&table, e->dev, e->ino, e->index + i);
			if (p && p->removed)
				p = NULL;
			if (p && e->type == SHMEM_EV_SWAP_OUT)
				p->flags |= SHMEM_PF_SWAPPED;
			else if (p)
				p->flags &= ~SHMEM_PF_SWAPPED;
			break;
		}
	}
	return 0;
}

/* Same run in both reads, not being replaced (struct shmem_run): only nr
 * may differ (the run grew), and either value is the run at some moment. */
static bool same_run(const struct shmem_run *a, const struct shmem_run *b)
{
	return !(a->gen & 1) && a->gen == b->gen && a->ino == b->ino && a->first == b->first &&
	       a->seq == b->seq && a->dev == b->dev && a->wid == b->wid;
}

/* Each CPU's pending run, *ncpus of them; NULL when unreadable or when
 * the slots did not settle (callers then assume the worst: no pending
 * pages in a report, no removed mark forgotten). */
static struct shmem_run *read_runs(int runs_fd, int *ncpus)
{
	struct shmem_run *v, *again;
	int n = libbpf_num_possible_cpus(), c, tries;
	bool settled = false;

	*ncpus = 0;
	if (n <= 0)
		return NULL;
	v = calloc(n, sizeof(*v));
	again = calloc(n, sizeof(*again));
	if (!v || !again || bpf_map_lookup_elem(runs_fd, &(__u32){ 0 }, v))
		goto fail;
	for (tries = 0; tries < 100 && !settled; tries++) {
		if (bpf_map_lookup_elem(runs_fd, &(__u32){ 0 }, again))
			goto fail;
		settled = true;
		for (c = 0; c < n; c++)
			settled = settled && same_run(&v[c], &again[c]);
		memcpy(v, again, n * sizeof(*v));
	}
	if (!settled)
		goto fail;
	free(again);
	*ncpus = n;
	return v;
fail:
	free(v);
	free(again);
	return NULL;
}

/* The pages of the runs still pending on each CPU (struct shmem_run):
 * counted as the events will count them, without applying them.  A run
 * already sent and applied is recognised by its key and not counted
 * twice. */
static int add_pending_runs(int runs_fd, struct page_rec **recs, size_t *cnt)
{
	size_t room = table.max > table.n - table.nremoved ? table.max - (table.n - table.nremoved) : 0;
	struct shmem_run *runs;
	int ncpus, c;
	__u32 i;

	runs = read_runs(runs_fd, &ncpus);
	if (!runs)
		return 0; /* no runs (coalescing off) or unreadable */
	for (c = 0; c < ncpus; c++) {
		const struct shmem_run *r = &runs[c];
		__u32 nr = r->nr > SHMEM_MAX_RUN_PAGES ? SHMEM_MAX_RUN_PAGES : r->nr;
		struct page_rec *v;

		/* within --max-pages, as the table will be when it arrives */
		if (nr > room)
			nr = room;
		if (!nr)
			continue;
		v = realloc(*recs, (*cnt + nr) * sizeof(*v));
		if (!v) {
			free(runs);
			return -ENOMEM;
		}
		*recs = v;
		for (i = 0; i < nr; i++)
			if (sh_table_would_add(&table, r->dev, r->ino, r->first + i,
					       SH_KEY_ADD(r->seq))) {
				v[(*cnt)++] = (struct page_rec){ sh_dev_from_kernel(r->dev), r->ino,
								 r->wid, 0 };
				room--;
			}
	}
	free(runs);
	return 0;
}

static int read_pages(struct page_rec **out, size_t *n, int runs_fd)
{
	struct page_rec *recs = calloc(table.n ? table.n : 1, sizeof(*recs));
	size_t i, cnt = 0;
	int err;

	if (!recs)
		return -ENOMEM;
	for (i = 0; i < table.cap; i++) {
		const struct sh_page *p = &table.slots[i];

		if (!p->used || p->removed)
			continue;
		recs[cnt].dev = sh_dev_from_kernel(p->dev);
		recs[cnt].ino = p->ino;
		recs[cnt].wid = p->wid;
		recs[cnt].flags = p->flags;
		cnt++;
	}
	err = add_pending_runs(runs_fd, &recs, &cnt);
	if (err) {
		free(recs);
		return err;
	}
	sort(recs, cnt, sizeof(*recs), cmp_page_rec);
	*out = recs;
	*n = cnt;
	return 0;
}

static struct sh_writer unknown_writer = { .wid = SHMEM_WID_UNKNOWN, .stack_id = -1 };

static struct sh_writer *find_writer(struct sh_writer *w, size_t n, __u32 wid)
{
	struct sh_writer key = { .wid = wid };
	struct sh_writer *hit;

	if (wid == SHMEM_WID_UNKNOWN || !n)
		return &unknown_writer;
	hit = bsearch(&key, w, n, sizeof(*w), cmp_writer_wid);
	return hit ? hit : &unknown_writer;
}

static bool writer_passes(const struct sh_writer *w)
{
	if (env.pid && (!w || (pid_t)w->tgid != env.pid))
		return false;
	if (env.cgroup && (!w || (!cgroup_path_within(w->cgroup_v2, env.cgroup_rel) &&
				   !cgroup_path_within(w->cgroup_v1, env.cgroup_rel))))
		return false;
	return true;
}

static unsigned long long inode_bytes(const struct sh_inode *in)
{
	return in->bytes_tracked + in->bytes_before + in->bytes_dropped;
}

static int cmp_inode_bytes(const void *a, const void *b)
{
	unsigned long long x = inode_bytes(a), y = inode_bytes(b);

	return x > y ? -1 : x < y;
}

static int cmp_iw_bytes(const void *a, const void *b)
{
	const struct sh_inode_writer *x = a, *y = b;

	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

static int cmp_writer_bytes(const void *a, const void *b)
{
	const struct sh_writer *x = *(struct sh_writer *const *)a;
	const struct sh_writer *y = *(struct sh_writer *const *)b;

	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

static void free_report(struct sh_report *r)
{
	size_t i;

	for (i = 0; i < r->ninodes; i++)
		free(r->inodes[i].writers);
	free(r->inodes);
	free(r->writers);
	free(r->mounts);
	free(r->dropped_adds);
	memset(r, 0, sizeof(*r));
}

static bool swap_known;

static bool swap_active(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n > 1; /* past the header */
}

/* Group the page records into inodes, then name, filter and sort. */
static int add_dropped(const void *key, const void *value, void *ctx)
{
	const struct shmem_inode_key *k = key;
	struct sh_report *r = ctx;
	struct sh_dropped *v;

	v = realloc(r->dropped_adds, (r->ndropped_adds + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->dropped_adds = v;
	v[r->ndropped_adds++] = (struct sh_dropped){ sh_dev_from_kernel(k->dev), k->ino,
						     *(const __u64 *)value * 4096 };
	return 0;
}

/* The writer table would fill in a run of weeks with short-lived writers
 * (a shell loop writing to /dev/shm starts a process per write): a writer
 * whose process has exited and that owns no page, at two reports in a
 * row, leaves it (map_prune).  Its id can then never come back: the BPF
 * side caches ids per task, and the task is gone.  A live process keeps
 * its entry, pages or not.  owning: the writer ids that own a page at
 * the last report. */
static struct id_set owning;
static struct map_prune writer_prune;

static bool writer_idle(const void *key, const void *value, void *ctx)
{
	const struct shmem_writer_key *k = key;
	const struct shmem_writer_val *v = value;
	if (id_set_has(ctx, v->wid))
		return false;
	return kill((pid_t)k->tgid, 0) != 0 && errno == ESRCH;
}

/* --stacks: the stack ids the writers left refer to. */
static int add_stack_ref(const void *key, const void *value, void *ctx)
{
	const struct shmem_writer_key *k = key;

	(void)value;
	return k->stack_id < 0 ? 0 : id_set_add(ctx, (__u64)k->stack_id);
}

static bool stack_unreferenced(const void *key, const void *value, void *ctx)
{
	(void)value;
	return !id_set_has(ctx, *(const __u32 *)key);
}

static struct map_prune stack_prune;

static void prune_writers(struct shmem_bpf *skel)
{
	id_set_sort(&owning);
	/* Unreadable, the table is left as it is: the report still stands. */
	map_prune(bpf_map__fd(skel->maps.writers), sizeof(struct shmem_writer_key),
		  sizeof(struct shmem_writer_val), &writer_prune, writer_idle, &owning);
	ucounters[SHC_WRITERS_PRUNED] = writer_prune.pruned;
	/* Then the stacks no writer refers to any more, on their second
	 * sighting too: a writer interned between the two reads of the
	 * writer table and the delete would lose its frames (shown without
	 * a stack, never under another one's). */
	if (env.stacks) {
		struct id_set refs = { 0 };

		if (map_for_each(bpf_map__fd(skel->maps.writers), sizeof(struct shmem_writer_key),
				 sizeof(struct shmem_writer_val), add_stack_ref, &refs) == 0) {
			id_set_sort(&refs);
			map_prune(bpf_map__fd(skel->maps.stacks), sizeof(__u32),
				  SHMEM_STACK_DEPTH * sizeof(__u64), &stack_prune, stack_unreferenced,
				  &refs);
			ucounters[SHC_STACKS_PRUNED] = stack_prune.pruned;
		}
		id_set_free(&refs);
	}
}

static int build_report(struct shmem_bpf *skel, struct sh_report *r, struct sh_writer *w,
			size_t nw)
{
	struct page_rec *recs = NULL;
	size_t nrecs = 0, i, j, k, kept;
	struct sh_inode *in;
	int err;

	/* Unreadable counters read 0: the pages are the report. */
	map_percpu_sums(bpf_map__fd(skel->maps.counters), r->counters, SHC_NR);
	for (i = 0; i < SHC_NR; i++)
		r->counters[i] += ucounters[i];
	r->counters[SHC_DROP_WRITER_MAPS] = sh_stacks_missed();
	r->dropped = 0;
	for (i = 0; i < SHC_NR; i++)
		if (sh_counter_is_drop(i))
			r->dropped += r->counters[i];
	r->timestamp = time(NULL);
	r->show_stacks = env.stacks;
	r->swap_known = swap_known;
	r->swap_active = swap_active();

	err = read_pages(&recs, &nrecs, bpf_map__fd(skel->maps.runs));
	if (err)
		return err;
	/* Lost adds per inode: their pages were written after tracing began. */
	err = map_for_each(bpf_map__fd(skel->maps.dropped_adds), sizeof(struct shmem_inode_key),
			   sizeof(__u64), add_dropped, r);
	if (err)
		goto cleanup;
	sh_sort_dropped(r->dropped_adds, r->ndropped_adds);
	err = sh_read_mounts("/proc/self/mountinfo", &r->mounts, &r->nmounts);
	if (err)
		goto cleanup;

	/* One inode per (dev, ino) run; one writer entry per wid run. */
	for (i = 0; i < nrecs; i = j) {
		struct sh_inode *p = realloc(r->inodes, (r->ninodes + 1) * sizeof(*p));

		if (!p) {
			err = -ENOMEM;
			goto cleanup;
		}
		r->inodes = p;
		in = &r->inodes[r->ninodes++];
		memset(in, 0, sizeof(*in));
		in->dev = recs[i].dev;
		in->ino = recs[i].ino;
		for (j = i; j < nrecs && recs[j].dev == in->dev && recs[j].ino == in->ino; j = k) {
			struct sh_inode_writer *iw;

			for (k = j; k < nrecs && recs[k].dev == in->dev && recs[k].ino == in->ino &&
				    recs[k].wid == recs[j].wid; k++)
				if (recs[k].flags & SHMEM_PF_SWAPPED)
					in->swapped += 4096;
			iw = realloc(in->writers, (in->nwriters + 1) * sizeof(*iw));
			if (!iw) {
				err = -ENOMEM;
				goto cleanup;
			}
			in->writers = iw;
			iw[in->nwriters].w = find_writer(w, nw, recs[j].wid);
			iw[in->nwriters].bytes = (unsigned long long)(k - j) * 4096;
			in->bytes_tracked += iw[in->nwriters].bytes;
			in->nwriters++;
		}
	}
	/* Writers that own a page (pending runs included), for pruning. */
	id_set_clear(&owning);
	for (i = 0; i < nrecs; i++)
		if (id_set_add(&owning, recs[i].wid)) {
			err = -ENOMEM;
			goto cleanup;
		}
	free(recs);
	recs = NULL;

	sh_add_foreign_mounts(r);
	for (i = 0; i < r->nmounts; i++)
		r->mounts[i].shown = !env.mount || r->mounts[i].dev == env.mount_dev;
	sh_resolve_paths(r);

	for (i = 0; i < r->nmounts; i++)
		for (j = 0; j < r->ninodes; j++)
			if (r->inodes[j].dev == r->mounts[i].dev) {
				r->mounts[i].bytes_tracked += r->inodes[j].bytes_tracked;
				r->mounts[i].bytes_dropped += r->inodes[j].bytes_dropped;
			}

	/* Filters: drop inodes, and writers inside kept inodes. */
	for (i = 0; i < nw; i++)
		w[i].bytes = 0;
	unknown_writer.bytes = 0;
	for (i = 0, kept = 0; i < r->ninodes; i++) {
		struct sh_inode cur = r->inodes[i];
		size_t nk = 0;

		for (j = 0; j < cur.nwriters; j++)
			if (writer_passes(cur.writers[j].w))
				cur.writers[nk++] = cur.writers[j];
		/* Bytes from before tracing have no writer: a pid or cgroup
		 * filter cannot claim them. */
		if ((cur.bytes_before || cur.bytes_dropped) && !env.pid && !env.cgroup)
			; /* kept as the writer-less entry the printers add */
		else if (!nk)
			goto drop;
		if (env.mount && cur.dev != env.mount_dev)
			goto drop;
		if (inode_bytes(&cur) < env.min_bytes || !inode_bytes(&cur))
			goto drop;
		cur.nwriters = nk;
		sort(cur.writers, cur.nwriters, sizeof(*cur.writers), cmp_iw_bytes);
		for (j = 0; j < cur.nwriters; j++)
			cur.writers[j].w->bytes += cur.writers[j].bytes;
		r->inodes[kept++] = cur;
		continue;
drop:
		free(cur.writers);
	}
	r->ninodes = kept;
	sort(r->inodes, r->ninodes, sizeof(*r->inodes), cmp_inode_bytes);

	r->writers = calloc(nw + 1, sizeof(*r->writers));
	if (!r->writers) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nw; i++)
		if (w[i].bytes && w[i].bytes >= env.min_bytes)
			r->writers[r->nwriters++] = &w[i];
	if (unknown_writer.bytes && unknown_writer.bytes >= env.min_bytes)
		r->writers[r->nwriters++] = &unknown_writer;
	sort(r->writers, r->nwriters, sizeof(*r->writers), cmp_writer_bytes);
cleanup:
	free(recs);
	return err;
}

/* The resolve step of one writer (--stacks): its user stack from the
 * stack map, each frame named while its modules are known.  A frame in no
 * mapping yet (the writer thread has not come to that writer) leaves the
 * writer to be named again at the next report. */
static int resolve_writer(struct sh_writer *w, int stack_fd)
{
	__u64 ips[SHMEM_STACK_DEPTH] = {};
	char name[PATH_MAX];
	bool all = true;
	int n;

	if (w->resolved)
		return 0;
	while (w->nframes > 0)
		free(w->frames[--w->nframes]);
	free(w->frames);
	w->frames = NULL;
	w->resolved = true;
	if (w->stack_id < 0 || !w->tgid ||
	    bpf_map_lookup_elem(stack_fd, &(__u32){ (__u32)w->stack_id }, ips) != 0)
		return 0;
	for (n = 0; n < SHMEM_STACK_DEPTH && ips[n]; n++)
		;
	w->frames = calloc(n ? n : 1, sizeof(*w->frames));
	if (!w->frames)
		return -ENOMEM;
	for (w->nframes = 0; w->nframes < n; w->nframes++) {
		all &= sh_stack_frame_name(w->tgid, ips[w->nframes], w->nframes > 0, name,
					   sizeof(name));
		w->frames[w->nframes] = strdup(name);
		if (!w->frames[w->nframes])
			return -ENOMEM;
	}
	w->resolved = all;
	return 0;
}

/* Every writer the report shows, per inode and in the writer list. */
static int resolve_stacks(struct sh_report *r, int stack_fd)
{
	size_t i, k;
	int err = 0;

	if (!r->show_stacks)
		return 0;
	for (i = 0; i < r->ninodes && !err; i++)
		for (k = 0; k < r->inodes[i].nwriters && !err; k++)
			if (r->inodes[i].writers[k].w)
				err = resolve_writer(r->inodes[i].writers[k].w, stack_fd);
	for (i = 0; i < r->nwriters && !err; i++)
		err = resolve_writer(r->writers[i], stack_fd);
	return err;
}

static void free_frames(struct sh_writer *w, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < w[i].nframes; k++)
			free(w[i].frames[k]);
		free(w[i].frames);
	}
}

static int report(struct shmem_bpf *skel, bool final)
{
	struct sh_writer *w = NULL;
	struct sh_report r = {};
	size_t nw = 0;
	int err;

	/* The last report names every writer its ring still holds. */
	if (final)
		sh_stacks_watch_stop();
	err = read_writers(bpf_map__fd(skel->maps.writers), &w, &nw);
	if (!err)
		err = build_report(skel, &r, w, nw);
	/* After the report, which still names the writers it read. */
	if (!err)
		prune_writers(skel);
	if (!err)
		err = resolve_stacks(&r, bpf_map__fd(skel->maps.stacks));
	r.final = final;
	if (err) {
		err_msg("cannot read the BPF maps: %s", strerror(-err));
	} else if (sink) {
		struct metrics m = {};

		sh_metrics(&r, sink->top, &m);
		sink->report(sink, &m);
	} else {
		if (env.json)
			sh_print_json(stdout, &r);
		else
			sh_print_text(stdout, &r);
		report_flush(stdout);
		/* A file asked for and not written fails the run (exit 1). */
		if (env.svg && (err = sh_report_svg(&r, env.svg)))
			err_msg("--svg %s: %s", env.svg, strerror(-err));
	}
	free_report(&r);
	free_frames(w, nw);
	free(w);
	return err;
}


/* Removed marks (struct sh_page) are needed while an add older than the
 * delete may still arrive: one from a run pending on some CPU, or sent
 * but not yet read.  Each pass reads the clock and then every CPU's run:
 * any add sent later has a clock value at least the smaller of the two.
 * The marks below that are forgotten one pass later, once the ring
 * buffer has been drained past every run sent before the reading. */
static void forget_removed(struct shmem_bpf *skel)
{
	static __u64 limit; /* last pass's: keys at or under it */
	/* The limit of the last scan: marks made since have greater keys,
	 * so a scan is worth its time only once the limit has moved (a run
	 * can stay pending for long on an idle CPU). */
	static __u64 scanned;
	struct shmem_run *runs;
	__u64 low;
	int ncpus, c;

	if (limit > scanned && (table.nremoved >= 4096 + (table.n - table.nremoved) / 2 ||
				table.n >= table.max / 4 * 3)) {
		sh_table_forget_removed(&table, limit);
		scanned = limit;
	}
	low = *(volatile __u64 *)&skel->bss->del_clock;
	runs = read_runs(bpf_map__fd(skel->maps.runs), &ncpus);
	for (c = 0; runs && c < ncpus; c++)
		if (runs[c].nr && runs[c].seq < low)
			low = runs[c].seq;
	/* no pending run could be read: keep every mark */
	limit = runs ? SH_KEY_DEL(low) : 0;
	free(runs);
}

int cmd_shmem(int argc, char **argv)
{
	return run_shmem(argc, argv, NULL);
}

int run_shmem(int argc, char **argv, struct mode_sink *s)
{
	struct shmem_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	enum shmem_hookset hooks = SHMEM_HOOKS_NONE;
	unsigned long long reports = 0, next_ns;
	int err;

	sink = s;
	err = shmem_parse_args(argc, argv, &env);
	if (err)
		return cli_exit_code(err);
	if (check_mount())
		return EXIT_USAGE;
	/* -p filters writers from now on: a process that does not exist now
	 * can write nothing, and a silent empty report would look like news. */
	if (env.pid && kill(env.pid, 0) != 0 && errno == ESRCH) {
		err_msg("no process with PID %d", (int)env.pid);
		return EXIT_RUNTIME;
	}
	if (!check_bpf_prereqs())
		return EXIT_RUNTIME;
	setup_libbpf_logging();

	table.max = env.max_pages;
	err = shmem_hooks_start(&(struct shmem_hooks_opts){ .forced = env.hooks,
							    .stacks = env.stacks,
							    .ring_size = env.ring_size,
							    .max_writers = env.max_writers,
							    .max_stacks = env.max_stacks },
				&skel, &hooks, &swap_known);
	if (err)
		goto cleanup;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		err_msg("cannot set up the event ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	if (env.stacks && (err = sh_stacks_watch_start(bpf_map__fd(skel->maps.writer_events)))) {
		err_msg("cannot read the new writers' ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	if (hooks == SHMEM_HOOKS_LRU)
		warn_msg("writers are taken at LRU insertion (no NR_SHMEM tracepoint): "
			 "they may be the wrong task");

	install_signal_handlers();
	if (sink)
		sink->up(sink);
	else
		fprintf(stderr, "Tracing shmem pages (tmpfs, memfd, SysV, shared anonymous)...%s\n",
			env.interval > 0 ? "" : " Hit Ctrl-C to end.");
	next_ns = now_ns() + (unsigned long long)(env.interval * 1e9);
	while (!exiting) {
		/* Page events are submitted without wakeups (cheaper for the
		 * writer): drain on a short timer; a new writer wakes us. */
		err = ring_buffer__poll(rb, 20);
		if (err < 0 && err != -EINTR) {
			err_msg("reading the event ring buffer: %s", strerror(-err));
			goto cleanup;
		}
		err = 0;
		ring_buffer__consume(rb);
		forget_removed(skel);
		if (env.interval <= 0 || now_ns() < next_ns)
			continue;
		err = report(skel, env.count && reports + 1 >= env.count);
		if (err)
			goto cleanup;
		next_ns += (unsigned long long)(env.interval * 1e9);
		if (env.count && ++reports >= env.count)
			goto cleanup;
	}
	ring_buffer__consume(rb);
	err = report(skel, true);
cleanup:
	ring_buffer__free(rb);
	sh_stacks_watch_stop(); /* before its ring goes */
	shmem_bpf__destroy(skel);
	sh_table_free(&table);
	map_prune_free(&writer_prune);
	map_prune_free(&stack_prune);
	id_set_free(&owning);
	sh_stacks_free();
	cgroup_cache_free();
	return err ? EXIT_RUNTIME : EXIT_OK;
}
