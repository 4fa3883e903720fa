/* memleakbpf oom --rank (see oom_rankview.h): oom_rank.c ranks, this file
 * splits /proc into OOM domains and prints. */
#include "oom/oom_rankview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/common.h"
#include "lib/json.h"
#include "oom/oom_memcg.h"
#include "procfs/oom_rank.h"
#include "procfs/procfs.h"

#define RANK_SHOWN 20
#define MAX_DOMAINS 256

struct domain {
	char memcg[256];	/* "" = the machine */
	unsigned long long limit_kb, usage_kb, totalpages;
	struct oom_rank *t;	/* its tasks, ranked */
	size_t n;
};

/* A process pinned at -1000 with this share of the domain forces the OOM
 * killer onto everything else. */
static bool large_unkillable(const struct domain *d, const struct oom_rank *t)
{
	return t->oom_score_adj == -1000 && t->proc.pid != 1 &&
	       (t->proc.rss + t->proc.swap) * 20 >= d->totalpages * 4096ULL;
}

static int domain_fill(struct domain *d, const struct oom_rank *all, size_t n)
{
	size_t i;

	d->t = calloc(n ? n : 1, sizeof(*d->t));
	if (!d->t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (d->memcg[0] && (!all[i].cgroup[0] || !memcg_within(all[i].cgroup, d->memcg)))
			continue;
		/* kernel threads and zombies hold no memory to free */
		if (!all[i].killable && !all[i].proc.rss && all[i].oom_score_adj != -1000)
			continue;
		if (!all[i].killable && all[i].proc.pid != 1 && all[i].oom_score_adj != -1000)
			continue;
		d->t[d->n++] = all[i];
	}
	oom_rank_sort(d->t, d->n, d->totalpages, 4096);
	return 0;
}

static bool seen_path(struct domain *ds, int nd, const char *path)
{
	int i;

	for (i = 0; i < nd; i++)
		if (strcmp(ds[i].memcg, path) == 0)
			return true;
	return false;
}

/* Every memcg that holds a process, and its ancestors, with a limit. */
static int find_domains(const struct memcg_mounts *m, const struct oom_rank *all, size_t n,
			struct domain *ds, int nd)
{
	char path[256], *slash;
	size_t i;

	for (i = 0; i < n && nd < MAX_DOMAINS; i++) {
		if (!all[i].cgroup[0] || all[i].cgroup[0] != '/')
			continue;
		snprintf(path, sizeof(path), "%s", all[i].cgroup);
		while (path[1] && nd < MAX_DOMAINS) {
			unsigned long long lim, use;

			if (!seen_path(ds, nd, path) && memcg_read_limit(m, path, &lim, &use) && lim) {
				memset(&ds[nd], 0, sizeof(ds[nd]));
				snprintf(ds[nd].memcg, sizeof(ds[nd].memcg), "%s", path);
				ds[nd].limit_kb = lim;
				ds[nd].usage_kb = use;
				/* memcg OOMs score against the limit (swap
				 * headroom is not added here) */
				ds[nd].totalpages = lim / 4;
				nd++;
			}
			slash = strrchr(path, '/');
			if (!slash || slash == path)
				break;
			*slash = '\0';
		}
	}
	return nd;
}

static void print_text(FILE *out, long long timestamp, const struct domain *ds, int nd, bool all)
{
	char comm[64], path[256], when[16];
	int i;
	size_t k, shown;

	fprintf(out, "OOM kill order, predicted from /proc at %s (points = rss + swap + pgtables "
	       "+ adj * totalpages / 1000, in pages)\n", wall_time(timestamp, when, sizeof(when)));
	for (i = 0; i < nd; i++) {
		const struct domain *d = &ds[i];

		sanitize_text(path, sizeof(path), d->memcg);
		if (d->memcg[0])
			fprintf(out, "\ndomain memcg %s: limit %llu kB, usage %llu kB, totalpages %llu\n",
			       path, d->limit_kb, d->usage_kb, d->totalpages);
		else
			fprintf(out, "\ndomain machine: MemTotal + SwapTotal %llu kB, totalpages %llu\n",
			       d->limit_kb, d->totalpages);
		fprintf(out, "   RANK      PID COMM             RSS_KB  SWAP_KB PGTABLES_KB   ADJ OOM_SCORE     POINTS\n");
		for (k = 0, shown = 0; k < d->n; k++) {
			const struct oom_rank *t = &d->t[k];

			if (!all && t->killable && shown >= RANK_SHOWN)
				continue;
			if (!all && !t->killable && !large_unkillable(d, t))
				continue;
			sanitize_text(comm, sizeof(comm), t->proc.comm);
			if (t->killable)
				fprintf(out, "  %5zu", ++shown);
			else
				fprintf(out, "  never");
			fprintf(out, " %8d %-15.15s %8llu %8llu %11llu %5d %9d %10lld\n", t->proc.pid, comm,
			       t->proc.rss / 1024, t->proc.swap / 1024, t->proc.pgtables / 1024,
			       t->oom_score_adj, t->oom_score, t->killable ? t->badness : 0);
		}
		if (!all && shown < k) {
			size_t killable = 0;

			for (k = 0; k < d->n; k++)
				killable += d->t[k].killable;
			if (killable > shown)
				fprintf(out, "  ... %zu more (--all lists them)\n", killable - shown);
		}
		for (k = 0; k < d->n; k++) {
			const struct oom_rank *t = &d->t[k];

			if (!large_unkillable(d, t))
				continue;
			sanitize_text(comm, sizeof(comm), t->proc.comm);
			fprintf(out, "  warning: pid %d (%s) has oom_score_adj -1000 and holds %llu kB (%.0f%% "
			       "of the domain): the OOM killer must kill others instead\n",
			       t->proc.pid, comm, (t->proc.rss + t->proc.swap) / 1024,
			       100.0 * (t->proc.rss + t->proc.swap) / 4096.0 / (double)d->totalpages);
		}
	}
}

static void print_json(FILE *out, long long timestamp, const struct domain *ds, int nd)
{
	struct json j;
	char comm[64];
	int i;
	size_t k, rank;

	/* One snapshot from /proc: final, and nothing can be dropped. */
	json_report_begin(&j, out, "oom", timestamp, true);
	json_key(&j, "dropped");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "rank");
	json_bool(&j, true);
	json_key(&j, "domains");
	json_arr_begin(&j);
	for (i = 0; i < nd; i++) {
		const struct domain *d = &ds[i];

		json_obj_begin(&j);
		if (d->memcg[0])
			json_kstr(&j, "memcg", d->memcg);
		else
			json_knull(&j, "memcg");
		json_ku64(&j, "limit_kb", d->limit_kb);
		json_ku64(&j, "usage_kb", d->usage_kb);
		json_ku64(&j, "totalpages", d->totalpages);
		json_key(&j, "tasks");
		json_arr_begin(&j);
		for (k = 0, rank = 0; k < d->n; k++) {
			const struct oom_rank *t = &d->t[k];

			json_obj_begin(&j);
			if (t->killable)
				json_ku64(&j, "rank", ++rank);
			else
				json_knull(&j, "rank");
			json_ki64(&j, "pid", t->proc.pid);
			sanitize_text(comm, sizeof(comm), t->proc.comm);
			json_kstr(&j, "comm", comm);
			json_ki64(&j, "uid", t->proc.uid);
			json_ku64(&j, "rss_kb", t->proc.rss / 1024);
			json_ku64(&j, "swap_kb", t->proc.swap / 1024);
			json_ku64(&j, "pgtables_kb", t->proc.pgtables / 1024);
			json_ki64(&j, "oom_score_adj", t->oom_score_adj);
			if (t->oom_score >= 0)
				json_ki64(&j, "oom_score", t->oom_score);
			else
				json_knull(&j, "oom_score");
			if (t->killable)
				json_ki64(&j, "points", t->badness);
			else
				json_knull(&j, "points");
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_key(&j, "warnings");
		json_arr_begin(&j);
		for (k = 0; k < d->n; k++) {
			const struct oom_rank *t = &d->t[k];

			if (!large_unkillable(d, t))
				continue;
			json_obj_begin(&j);
			json_ki64(&j, "pid", t->proc.pid);
			sanitize_text(comm, sizeof(comm), t->proc.comm);
			json_kstr(&j, "comm", comm);
			json_ku64(&j, "rss_kb", t->proc.rss / 1024);
			json_ku64(&j, "swap_kb", t->proc.swap / 1024);
			json_ki64(&j, "oom_score_adj", t->oom_score_adj);
			json_kstr(&j, "message", "oom_score_adj -1000 with large memory: the OOM "
						 "killer must kill others instead");
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

int oom_rank_report(bool json, bool all)
{
	return oom_rank_report_at(stdout, "/proc", NULL, json, all);
}

int oom_rank_report_at(FILE *out, const char *proc_root, const char *mountinfo, bool json,
		       bool all)
{
	char path[512];
	struct memcg_mounts m;
	struct oom_rank *procs = NULL;
	struct domain *ds;
	struct meminfo mi;
	char *buf = NULL;
	size_t n = 0, len;
	int nd = 1, i, err, ret = EXIT_RUNTIME;
	long long timestamp = time(NULL);

	ds = calloc(MAX_DOMAINS, sizeof(*ds));
	if (!ds) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	err = oom_rank_collect_at(proc_root, &procs, &n);
	if (err) {
		err_msg("cannot read %s: %s", proc_root, strerror(-err));
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s/meminfo", proc_root);
	err = procfs_read_file(path, 1 << 20, &buf, &len, NULL);
	if (!err)
		err = procfs_parse_meminfo(buf, len, &mi);
	free(buf);
	if (err) {
		err_msg("cannot read %s: %s", path, strerror(-err));
		goto cleanup;
	}
	ds[0].limit_kb = (meminfo_val(&mi, "MemTotal") + meminfo_val(&mi, "SwapTotal")) / 1024;
	ds[0].usage_kb = ds[0].limit_kb - (meminfo_val(&mi, "MemAvailable") +
					   meminfo_val(&mi, "SwapFree")) / 1024;
	ds[0].totalpages = ds[0].limit_kb / 4;
	meminfo_free(&mi);
	if (memcg_find_mounts(&m, mountinfo) == 0 && memcg_root(&m, NULL))
		nd = find_domains(&m, procs, n, ds, 1);
	else
		vlog(1, "no memory cgroup hierarchy mounted: machine domain only");
	for (i = 0; i < nd; i++) {
		if (domain_fill(&ds[i], procs, n)) {
			err_msg("out of memory");
			goto cleanup;
		}
	}
	if (json)
		print_json(out, timestamp, ds, nd);
	else
		print_text(out, timestamp, ds, nd, all);
	ret = EXIT_OK;
cleanup:
	for (i = 0; i < MAX_DOMAINS; i++)
		free(ds[i].t);
	free(ds);
	oom_rank_free(procs);
	return ret;
}
