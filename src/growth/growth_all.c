/* memleakbpf growth -a: which processes of the machine grew, and the user
 * stacks that first wrote their new pages (bpf/growth_all.bpf.c).
 *
 * collect: the per-(process, stack) page counts from BPF, RSS of every
 * process from /proc; resolve: the frames of the top processes' top
 * stacks (sym/procsyms.c); render: text or JSON from that model only.
 * Processes are ranked by RSS growth since tracing began (since their
 * start for processes started later): exact whatever the page sizes,
 * while the stacks say which code first touched the pages still held. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "growth.h"
#include "growth/growth_all.h"
#include "growth_all.skel.h"
#include "lib/bpf_util.h"
#include "lib/common.h"
#include "lib/id_set.h"
#include "lib/json.h"
#include "probe/probe.h"
#include "procfs/procfs.h"
#include "sym/procsyms.h"

/* Stacks shown per process, merged from at most this many of its largest
 * stack ids: ids differ with the faulting instruction and with frames past
 * --max-depth, which the report does not show. */
#define GA_STACKS_SHOWN 5
#define GA_STACKS_RESOLVED 256

struct ga_stack {
	__u64 stack;	/* GA_STACK_LOST: [stack lost] */
	long long pages;
	char **frames;
	int nframes;
};

struct ga_row {
	pid_t pid;
	char comm[64];
	unsigned long long start_time;	/* ticks after boot: tells pid reuse */
	unsigned long long rss, rss_start, rss_prev;
	long long tracked_pages;
	struct ga_stack *stacks;
	size_t nstacks;
};

struct ga_report {
	long long timestamp;
	bool final;
	double interval;		/* seconds since the previous report */
	unsigned long long page_size;
	size_t nseen;			/* processes with an address space */
	struct ga_row **rows;		/* shown, largest growth first */
	size_t nrows;
	unsigned long long counters[GA_NR];
};

static const char *const counter_names[GA_NR] = {
	[GA_PAGES_ADDED] = "pages_added",
	[GA_PAGES_RELEASED] = "pages_released",
	[GA_DROP_PAGES_FULL] = "drop_pages_full",
	[GA_DROP_STACKS] = "drop_stacks",
	[GA_DROP_STACK_COLLISION] = "drop_stack_collision",
	[GA_DROP_COUNTS_FULL] = "drop_counts_full",
	[GA_DROP_RANGE] = "drop_range",
	[GA_DROP_PRUNE_RACE] = "drop_prune_race",
	[GA_COUNTS_PRUNED] = "counts_pruned",
	[GA_STACKS_PRUNED] = "stacks_pruned",
};

static bool is_drop(int i)
{
	return strncmp(counter_names[i], "drop_", 5) == 0;
}

/* ---- collect ---- */

/* Every process seen, sorted by pid: RSS at its first sighting (0 for
 * one started after tracing began) and at the previous report. */
struct ga_table {
	struct ga_row *r;
	size_t n;
};

static int cmp_pid(const void *a, const void *b)
{
	const struct ga_row *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct ga_row *find_row(struct ga_table *t, pid_t pid)
{
	struct ga_row key = { .pid = pid };

	return t->n ? bsearch(&key, t->r, t->n, sizeof(*t->r), cmp_pid) : NULL;
}

static void free_stacks(struct ga_row *r)
{
	size_t i;
	int k;

	for (i = 0; i < r->nstacks; i++) {
		for (k = 0; k < r->stacks[i].nframes; k++)
			free(r->stacks[i].frames[k]);
		free(r->stacks[i].frames);
	}
	free(r->stacks);
	r->stacks = NULL;
	r->nstacks = 0;
}

static void table_free(struct ga_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free_stacks(&t->r[i]);
	free(t->r);
	*t = (struct ga_table){ 0 };
}

/* The processes now: /proc read into a new table, each row carrying its
 * start and previous RSS from `old` (the same process: same start time).
 * `first`: the processes there when tracing began keep their RSS then. */
static int scan_procs(struct ga_table *old, struct ga_table *now, bool first, pid_t self)
{
	struct proc_record rec;
	struct dirent *d;
	DIR *dir = opendir("/proc");
	struct ga_row *r, *o;

	*now = (struct ga_table){ 0 };
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		int pid = procfs_pid_of(d->d_name);

		if (pid <= 0 || pid == self || procfs_read_proc_record("/proc", pid, &rec) != 0 ||
		    !rec.has_mm || rec.kthread)
			continue;
		r = realloc(now->r, (now->n + 1) * sizeof(*now->r));
		if (!r) {
			closedir(dir);
			table_free(now);
			return -ENOMEM;
		}
		now->r = r;
		r = &now->r[now->n++];
		*r = (struct ga_row){ .pid = pid, .start_time = rec.start_time, .rss = rec.rss };
		snprintf(r->comm, sizeof(r->comm), "%s", rec.comm);
		r->rss_start = first ? rec.rss : 0;
		r->rss_prev = r->rss_start;
	}
	closedir(dir);
	if (now->n)
		qsort(now->r, now->n, sizeof(*now->r), cmp_pid);
	for (size_t i = 0; i < now->n; i++) {
		o = find_row(old, now->r[i].pid);
		if (o && o->start_time == now->r[i].start_time) {
			now->r[i].rss_start = o->rss_start;
			now->r[i].rss_prev = o->rss;
		}
	}
	return 0;
}

struct count_rec {
	struct ga_count_key k;
	__s64 pages;
};

static int cmp_count(const void *a, const void *b)
{
	const struct count_rec *x = a, *y = b;

	if (x->k.tgid != y->k.tgid)
		return (x->k.tgid > y->k.tgid) - (x->k.tgid < y->k.tgid);
	return (x->pages < y->pages) - (x->pages > y->pages);
}

/* The processes' current generations, read once per report (a map
 * lookup per page or count would be a syscall each). */
struct gen_cache {
	int procs_fd;
	struct { __u32 tgid, gen; } *e;
	size_t n;
};

static __u32 gen_of(struct gen_cache *c, __u32 tgid)
{
	struct ga_proc p;
	size_t i;
	void *ne;
	__u32 gen;

	for (i = c->n; i > 0; i--)
		if (c->e[i - 1].tgid == tgid)
			return c->e[i - 1].gen;
	gen = bpf_map_lookup_elem(c->procs_fd, &tgid, &p) == 0 ? p.gen : 0;
	if (c->n < 65536 && (ne = realloc(c->e, (c->n + 1) * sizeof(*c->e)))) {
		c->e = ne;
		c->e[c->n].tgid = tgid;
		c->e[c->n++].gen = gen;
	}
	return gen;
}

struct sweep {
	int pages_fd;
	struct gen_cache *gens;
	unsigned long long swept;
};

static int sweep_one(const void *key, const void *val, void *ctx)
{
	const struct ga_page_key *k = key;
	const struct ga_page *p = val;
	struct sweep *s = ctx;

	if (p->gen != gen_of(s->gens, k->tgid) && bpf_map_delete_elem(s->pages_fd, k) == 0)
		s->swept++;
	return 0;
}

/* Pages of older generations wait for a sweep of the page map, a walk of
 * all its buckets (tens of ms for a million): it is made once they may
 * fill a sixteenth of it, or SWEEP_SECONDS after the first of them. */
#define SWEEP_SECONDS 10

struct sweep_state {
	unsigned long long stale_pages;	/* left by the counts deleted since */
	unsigned long long since_ns;	/* the first of them */
	unsigned long long max_pages;
};

/* The counts of the processes' current generations, sorted by process
 * then pages.  The counts of older generations (exec, exit) are deleted,
 * and their pages swept (see SWEEP_SECONDS): BPF never counts them again. */
static int read_counts(struct growth_all_bpf *skel, struct sweep_state *sw,
		       struct count_rec **out, size_t *nout)
{
	int counts_fd = bpf_map__fd(skel->maps.counts);
	struct gen_cache gens = { .procs_fd = bpf_map__fd(skel->maps.procs) };
	struct ga_count_key *keys;
	__s64 *vals;
	struct count_rec *recs;
	size_t n, i, m = 0;
	int err;

	*out = NULL;
	*nout = 0;
	err = map_dump(counts_fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].gen != gen_of(&gens, keys[i].tgid)) {
			if (vals[i] > 0) {
				if (!sw->stale_pages)
					sw->since_ns = now_ns();
				sw->stale_pages += (unsigned long long)vals[i];
			}
			bpf_map_delete_elem(counts_fd, &keys[i]);
			continue;
		}
		if (vals[i] <= 0)
			continue;
		recs[m].k = keys[i];
		recs[m++].pages = vals[i];
	}
	free(keys);
	free(vals);
	if (sw->stale_pages && (sw->stale_pages * 16 >= sw->max_pages ||
				now_ns() - sw->since_ns >= SWEEP_SECONDS * 1000000000ULL)) {
		struct sweep s = { .pages_fd = bpf_map__fd(skel->maps.pages), .gens = &gens };

		map_for_each(s.pages_fd, sizeof(struct ga_page_key), sizeof(struct ga_page), sweep_one, &s);
		vlog(1, "swept %llu pages of exited or exec'd processes", s.swept);
		sw->stale_pages = 0;
	}
	free(gens.e);
	qsort(recs, m, sizeof(*recs), cmp_count);
	*out = recs;
	*nout = m;
	return 0;
}

static int cmp_growth(const void *a, const void *b)
{
	const struct ga_row *x = *(const struct ga_row *const *)a, *y = *(const struct ga_row *const *)b;
	long long gx = (long long)x->rss - (long long)x->rss_start;
	long long gy = (long long)y->rss - (long long)y->rss_start;

	if (gx != gy)
		return (gx < gy) - (gx > gy);
	if (x->tracked_pages != y->tracked_pages)
		return (x->tracked_pages < y->tracked_pages) - (x->tracked_pages > y->tracked_pages);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* ---- resolve ---- */

static bool same_frames(const struct ga_stack *a, const struct ga_stack *b)
{
	int i;

	if (a->nframes != b->nframes ||
	    (a->stack == GA_STACK_LOST) != (b->stack == GA_STACK_LOST))
		return false;
	for (i = 0; i < a->nframes; i++)
		if (strcmp(a->frames[i], b->frames[i]) != 0)
			return false;
	return true;
}

static int cmp_stack_pages(const void *a, const void *b)
{
	const struct ga_stack *x = a, *y = b;

	return (x->pages < y->pages) - (x->pages > y->pages);
}

static void drop_frames(struct ga_stack *s)
{
	int k;

	for (k = 0; k < s->nframes; k++)
		free(s->frames[k]);
	free(s->frames);
	s->frames = NULL;
	s->nframes = 0;
}

/* Names the frames of r's stacks, merges those that read the same, and
 * keeps the largest GA_STACKS_SHOWN. */
static int resolve_row(struct ga_row *r, int stacks_fd, unsigned int max_depth)
{
	__u64 ips[GA_STACK_DEPTH];
	char name[PATH_MAX];
	size_t i, j, m;
	int n;

	/* Its mappings now (dlopen, exec since the last report). */
	procsyms_note(r->pid, true);
	for (i = 0; i < r->nstacks; i++) {
		struct ga_stack *s = &r->stacks[i];

		if (s->stack == GA_STACK_LOST)
			continue; /* shown as [stack lost] */
		memset(ips, 0, sizeof(ips));
		if (bpf_map_lookup_elem(stacks_fd, &s->stack, ips) != 0)
			continue;
		for (n = 0; n < GA_STACK_DEPTH && n < (int)max_depth && ips[n]; n++)
			;
		s->frames = calloc(n ? n : 1, sizeof(*s->frames));
		if (!s->frames)
			return -ENOMEM;
		for (s->nframes = 0; s->nframes < n; s->nframes++) {
			procsyms_frame_name(r->pid, ips[s->nframes], s->nframes > 0, name, sizeof(name));
			s->frames[s->nframes] = strdup(name);
			if (!s->frames[s->nframes])
				return -ENOMEM;
		}
	}
	for (i = 0, m = 0; i < r->nstacks; i++) {
		for (j = 0; j < m && !same_frames(&r->stacks[j], &r->stacks[i]); j++)
			;
		if (j < m) {
			r->stacks[j].pages += r->stacks[i].pages;
			drop_frames(&r->stacks[i]);
		} else {
			r->stacks[m++] = r->stacks[i];
		}
	}
	if (m) /* stacks is NULL for a process with none */
		qsort(r->stacks, m, sizeof(*r->stacks), cmp_stack_pages);
	for (i = GA_STACKS_SHOWN; i < m; i++)
		drop_frames(&r->stacks[i]);
	r->nstacks = m < GA_STACKS_SHOWN ? m : GA_STACKS_SHOWN;
	return 0;
}

/* ---- render ---- */

static long long growth_of(const struct ga_row *r)
{
	return (long long)r->rss - (long long)r->rss_start;
}

static void print_text(FILE *out, const struct ga_report *rep)
{
	char t[16], a[32], b[32], c[32], d[32], safe[PATH_MAX];
	size_t i, k;
	int f;

	fprintf(out, "[%s] growth, whole machine: %zu of %zu processes grew (RSS since tracing "
		"began, or since they started)\n",
		wall_time(rep->timestamp, t, sizeof(t)), rep->nrows, rep->nseen);
	fprintf(out, "  %8s %-16s %10s %12s %12s %10s\n", "PID", "COMM", "RSS", "SINCE START",
		"LAST", "TRACKED");
	if (!rep->nrows)
		fprintf(out, "  (none)\n");
	for (i = 0; i < rep->nrows; i++) {
		const struct ga_row *r = rep->rows[i];

		sanitize_text(safe, sizeof(safe), r->comm);
		fprintf(out, "  %8d %-16s %10s %12s %12s %10s\n", r->pid, safe,
			fmt_bytes(a, sizeof(a), r->rss),
			fmt_bytes_signed(b, sizeof(b), growth_of(r), true),
			fmt_bytes_signed(c, sizeof(c), (long long)r->rss - (long long)r->rss_prev, true),
			fmt_bytes(d, sizeof(d), (unsigned long long)r->tracked_pages * rep->page_size));
	}
	for (i = 0; i < rep->nrows; i++) {
		const struct ga_row *r = rep->rows[i];

		if (!r->nstacks)
			continue;
		sanitize_text(safe, sizeof(safe), r->comm);
		fprintf(out, "pid %d (%s): pages first written since tracing began and still held, "
			"by the stack that wrote them first:\n", r->pid, safe);
		for (k = 0; k < r->nstacks; k++) {
			const struct ga_stack *s = &r->stacks[k];

			fprintf(out, "  %s (%lld pages)\n",
				fmt_bytes(a, sizeof(a), (unsigned long long)s->pages * rep->page_size),
				s->pages);
			if (s->stack == GA_STACK_LOST)
				fprintf(out, "    [stack lost]\n");
			for (f = 0; f < s->nframes; f++) {
				sanitize_text(safe, sizeof(safe), s->frames[f]);
				fprintf(out, "    %s\n", safe);
			}
		}
	}
	fprintf(out, "Stacks are frame-pointer walks: code built without frame pointers shows "
		"its innermost frame only (memleakbpf growth -p PID unwinds .eh_frame).\n");
	for (i = 0; i < GA_NR; i++)
		if (is_drop((int)i) && rep->counters[i])
			fprintf(out, "dropped: %s %llu\n", counter_names[i], rep->counters[i]);
	fprintf(out, "\n");
}

static void print_json(FILE *out, const struct ga_report *rep)
{
	struct json j;
	size_t i, k;
	int f;

	json_report_begin(&j, out, "growth", rep->timestamp, rep->final);
	json_key(&j, "dropped");
	json_obj_begin(&j);
	for (i = 0; i < GA_NR; i++)
		if (is_drop((int)i) && rep->counters[i])
			json_ku64(&j, counter_names[i], rep->counters[i]);
	json_obj_end(&j);
	json_kstr(&j, "scope", "all");
	json_key(&j, "interval_seconds");
	json_double(&j, rep->interval);
	json_ku64(&j, "page_size", rep->page_size);
	json_ku64(&j, "processes_seen", rep->nseen);
	json_key(&j, "processes");
	json_arr_begin(&j);
	for (i = 0; i < rep->nrows; i++) {
		const struct ga_row *r = rep->rows[i];

		json_obj_begin(&j);
		json_ku64(&j, "pid", (unsigned long long)r->pid);
		json_kstr(&j, "comm", r->comm);
		json_ku64(&j, "rss_bytes", r->rss);
		json_ku64(&j, "rss_start_bytes", r->rss_start);
		json_ki64(&j, "growth_bytes", growth_of(r));
		json_ki64(&j, "growth_interval_bytes", (long long)r->rss - (long long)r->rss_prev);
		json_ku64(&j, "tracked_bytes", (unsigned long long)r->tracked_pages * rep->page_size);
		json_key(&j, "stacks");
		json_arr_begin(&j);
		for (k = 0; k < r->nstacks; k++) {
			const struct ga_stack *s = &r->stacks[k];

			json_obj_begin(&j);
			json_ku64(&j, "bytes", (unsigned long long)s->pages * rep->page_size);
			json_ku64(&j, "pages", (unsigned long long)s->pages);
			json_key(&j, "lost");
			json_bool(&j, s->stack == GA_STACK_LOST);
			json_key(&j, "frames");
			json_arr_begin(&j);
			for (f = 0; f < s->nframes; f++)
				json_str(&j, s->frames[f]);
			json_arr_end(&j);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "counters");
	json_obj_begin(&j);
	for (i = 0; i < GA_NR; i++)
		json_ku64(&j, counter_names[i], rep->counters[i]);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

/* ---- the loop ---- */

struct ga_state {
	struct growth_all_bpf *skel;
	const struct user_env *env;
	struct ga_table procs;
	unsigned long long last_ns;
	unsigned long long page_size;
	struct map_prune count_prune, stack_prune;
	struct sweep_state sweep;
};

/* ---- pruning, so that a run of weeks keeps only what holds pages ---- */

static bool count_idle(const void *key, const void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	return *(const __s64 *)value <= 0;
}

static int add_ref(const void *key, const void *value, void *ctx)
{
	const struct ga_count_key *k = key;

	(void)value;
	return k->stack == GA_STACK_LOST ? 0 : id_set_add(ctx, k->stack);
}

static bool stack_unreferenced(const void *key, const void *value, void *ctx)
{
	(void)value;
	return !id_set_has(ctx, *(const __u64 *)key);
}

/* Counts at zero for two reports in a row go, then the stacks no count
 * refers to (on their second sighting too: a fault between the two reads
 * would otherwise lose its frames). */
static void prune(struct ga_state *st)
{
	int counts_fd = bpf_map__fd(st->skel->maps.counts);
	struct id_set refs = { 0 };

	map_prune(counts_fd, sizeof(struct ga_count_key), sizeof(__s64), &st->count_prune,
		  count_idle, NULL);
	if (map_for_each(counts_fd, sizeof(struct ga_count_key), sizeof(__s64), add_ref, &refs) == 0) {
		id_set_sort(&refs);
		map_prune(bpf_map__fd(st->skel->maps.stacks), sizeof(__u64),
			  sizeof(struct ga_stack_rec), &st->stack_prune, stack_unreferenced, &refs);
	}
	id_set_free(&refs);
}

static int report(struct ga_state *st, bool final)
{
	struct ga_report rep = { .final = final, .page_size = st->page_size };
	struct count_rec *recs = NULL;
	struct ga_table now;
	size_t nrecs = 0, i, j, show;
	unsigned long long t = now_ns();
	int err;

	rep.timestamp = time(NULL);
	rep.interval = (double)(t - st->last_ns) / 1e9;
	st->last_ns = t;
	map_percpu_sums(bpf_map__fd(st->skel->maps.counters), rep.counters, GA_NR);
	rep.counters[GA_COUNTS_PRUNED] = st->count_prune.pruned;
	rep.counters[GA_STACKS_PRUNED] = st->stack_prune.pruned;
	err = read_counts(st->skel, &st->sweep, &recs, &nrecs);
	if (!err)
		err = scan_procs(&st->procs, &now, false, getpid());
	if (err) {
		free(recs);
		err_msg("cannot read the BPF maps or /proc: %s", strerror(-err));
		return err;
	}
	rep.nseen = now.n;
	/* each process's stacks, from its run of sorted counts */
	for (i = 0; i < nrecs; i = j) {
		struct ga_row *r = find_row(&now, (pid_t)recs[i].k.tgid);

		for (j = i; j < nrecs && recs[j].k.tgid == recs[i].k.tgid; j++)
			if (r)
				r->tracked_pages += recs[j].pages;
		if (!r)
			continue; /* exited since: its counts go at the next sweep */
		show = j - i < GA_STACKS_RESOLVED ? j - i : GA_STACKS_RESOLVED;
		r->stacks = calloc(show, sizeof(*r->stacks));
		if (!r->stacks)
			continue;
		for (r->nstacks = 0; r->nstacks < show; r->nstacks++)
			r->stacks[r->nstacks] = (struct ga_stack){ .stack = recs[i + r->nstacks].k.stack,
								    .pages = recs[i + r->nstacks].pages };
	}
	free(recs);
	rep.rows = calloc(now.n ? now.n : 1, sizeof(*rep.rows));
	if (!rep.rows) {
		table_free(&now);
		return -ENOMEM;
	}
	for (i = 0; i < now.n; i++)
		if (growth_of(&now.r[i]) > 0 || now.r[i].tracked_pages > 0)
			rep.rows[rep.nrows++] = &now.r[i];
	qsort(rep.rows, rep.nrows, sizeof(*rep.rows), cmp_growth);
	if (st->env->top && rep.nrows > st->env->top)
		rep.nrows = st->env->top;
	for (i = 0; i < rep.nrows && !err; i++)
		err = resolve_row(rep.rows[i], bpf_map__fd(st->skel->maps.stacks), st->env->max_depth);
	if (!err) {
		if (st->env->format == FORMAT_JSON)
			print_json(stdout, &rep);
		else
			print_text(stdout, &rep);
		report_flush(stdout);
	}
	free(rep.rows);
	/* After the report, which still names what it read. */
	prune(st);
	/* the processes gone since: their mappings too */
	for (i = 0; i < st->procs.n; i++)
		if (!find_row(&now, st->procs.r[i].pid))
			procsyms_forget(st->procs.r[i].pid);
	table_free(&st->procs);
	st->procs = now;
	return err;
}

int growth_all_run(const struct user_env *env, struct mode_sink *sink)
{
	struct ga_state st = { .env = env, .page_size = (unsigned long long)sysconf(_SC_PAGESIZE),
			       .sweep.max_pages = env->max_allocs };
	unsigned long long reports = 0, next, t0 = now_ns();
	bool huge;
	int err;

	if (sink) {
		err_msg("growth -a does not run under serve");
		return EXIT_USAGE;
	}
	setup_libbpf_logging();
	if (!check_bpf_prereqs())
		return EXIT_RUNTIME;
	install_signal_handlers();
	if (env->output) {
		int fd = open(env->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			err_msg("-o %s: %s", env->output, strerror(errno));
			if (fd >= 0)
				close(fd);
			return EXIT_RUNTIME;
		}
		close(fd);
	}
	if (!ensure_tracefs()) {
		err_msg("tracefs is not available and cannot be mounted: growth mode's tracepoints "
			"need it");
		return EXIT_RUNTIME;
	}
	st.skel = growth_all_bpf__open();
	if (!st.skel) {
		err_msg("cannot open the BPF object: %s", strerror(errno));
		err = -errno;
		goto cleanup;
	}
	st.skel->rodata->self_tgid = getpid();
	st.skel->rodata->page_size = st.page_size;
	st.skel->rodata->empty_progs = env_flag("MEMLEAKBPF_EMPTY_PROGS");
	if ((err = map_set_size(st.skel->maps.pages, env->max_allocs)) ||
	    (err = map_set_size(st.skel->maps.counts, env->max_stacks)) ||
	    (err = map_set_size(st.skel->maps.stacks, env->max_stacks)))
		goto cleanup;
	huge = probe_fentry("do_huge_pmd_anonymous_page");
	bpf_program__set_autoload(st.skel->progs.ga_huge_fault_exit, huge);
	libbpf_capture_begin();
	err = growth_all_bpf__load(st.skel);
	if (err) {
		load_error("BPF programs", err);
		goto cleanup;
	}
	libbpf_capture_end(NULL, 0);
	/* RSS at the start, before the hooks: what grows after is growth */
	err = scan_procs(&(struct ga_table){ 0 }, &st.procs, true, getpid());
	if (err)
		goto cleanup;
	err = growth_all_bpf__attach(st.skel);
	if (err) {
		err_msg("cannot attach the growth hooks: %s (exceptions:page_fault_user exists on "
			"x86 only)", strerror(-err));
		goto cleanup;
	}
	probe_report("exceptions:page_fault_user", "tracepoint", "pages first written, machine-wide");
	probe_report("munmap, madvise, mmap(MAP_FIXED), brk, mremap", "syscall tracepoints",
		     "pages given back");
	probe_report("sched_process_exec/exit/fork", "tp_btf", "a process's pages end with its image");
	probe_report("fexit/do_huge_pmd_anonymous_page", huge ? "in use" : "not loaded",
		     huge ? "a transparent huge page counts 512 pages"
			  : "a transparent huge page counts one page; RSS stays exact");
	fprintf(stderr, "Tracing resident growth of every process... Hit Ctrl-C to end.\n");
	vlog(1, "tracing started in %.0f ms", (now_ns() - t0) / 1e6);
	st.last_ns = now_ns();
	next = st.last_ns + (unsigned long long)(env->interval * 1e9);
	while (!exiting) {
		unsigned long long t = now_ns();

		if (t < next) {
			unsigned long long left = next - t;

			usleep(left > 100000000ULL ? 100000 : (useconds_t)(left / 1000));
			continue;
		}
		next += (unsigned long long)(env->interval * 1e9);
		err = report(&st, env->count && reports + 1 >= env->count);
		if (err || (env->count && ++reports >= env->count))
			break;
	}
	if (!err && exiting && !(env->count && reports >= env->count))
		err = report(&st, true);
cleanup:
	growth_all_bpf__destroy(st.skel);
	table_free(&st.procs);
	map_prune_free(&st.count_prune);
	map_prune_free(&st.stack_prune);
	procsyms_free();
	release_tracefs();
	return finish_output(err ? EXIT_RUNTIME : EXIT_OK);
}
