/* memleakbpf shmem: the text and JSON printers, twins over one sh_report. */
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "lib/common.h"
#include "lib/json.h"
#include "shmem/shmem_int.h"

static const char *const counter_names[SHC_NR] = {
	[SHC_ADDED_PAGES] = "added_pages",
	[SHC_REMOVED_PAGES] = "removed_pages",
	[SHC_DROP_PAGES] = "drop_page_table_full",
	[SHC_DROP_EVENTS] = "drop_events",
	[SHC_DROP_WRITERS] = "drop_writer_table_full",
	[SHC_DROP_STACKS] = "drop_stacks",
	[SHC_NO_ALLOC] = "drop_no_matching_alloc",
	[SHC_MISMATCH] = "drop_alloc_mismatch",
	[SHC_LRU_ADDED] = "lru_added_pages",
	[SHC_SWAPPED] = "swapped_pages",
	[SHC_MOVED] = "moved_pages",
	[SHC_EARLY_DELETES] = "early_deleted_pages",
	[SHC_WRITERS_PRUNED] = "writers_pruned",
	[SHC_STACKS_PRUNED] = "stacks_pruned",
	[SHC_DROP_WRITER_EVENTS] = "drop_writer_events",
	[SHC_DROP_WRITER_MAPS] = "drop_writer_maps",
};

/* The counters that lose something: their names start with "drop_". */
bool sh_counter_is_drop(int i)
{
	return !strncmp(counter_names[i], "drop_", 5);
}

const char *sh_kind_name(enum sh_kind k)
{
	switch (k) {
	case SH_MEMFD: return "memfd";
	case SH_SYSV: return "sysv";
	case SH_SHARED_ANON: return "shared_anon";
	default: return "tmpfs";
	}
}

/* ---- text ---- */

static void text_writer(FILE *out, const char *indent, const struct sh_writer *w,
			unsigned long long bytes, bool show_stacks)
{
	char sz[32], comm[SHMEM_COMM_LEN * 4], cg[PATH_MAX], safe[PATH_MAX];
	int i;

	fmt_bytes(sz, sizeof(sz), bytes);
	if (!w->tgid) {
		fprintf(out, "%s%10s  writer unknown\n", indent, sz);
		return;
	}
	sanitize_text(comm, sizeof(comm), w->comm);
	sanitize_text(cg, sizeof(cg), w->cgroup ? w->cgroup : "?");
	fprintf(out, "%s%10s  pid %u %s  cgroup %s\n", indent, sz, w->tgid, comm, cg);
	if (!show_stacks)
		return;
	for (i = 0; i < w->nframes; i++) {
		sanitize_text(safe, sizeof(safe), w->frames[i]);
		fprintf(out, "%s              #%d %s\n", indent, i, safe);
	}
}

void sh_print_text(FILE *out, const struct sh_report *r)
{
	char sz[32], sz2[32], sz3[32], path[PATH_MAX], tb[32];
	unsigned long long total = 0;
	size_t i, j;
	int h;

	for (i = 0; i < r->ninodes; i++)
		total += r->inodes[i].bytes_tracked;
	fprintf(out, "%s shmem: %zu inodes, %s attributed\n", wall_time(r->timestamp, tb, sizeof(tb)),
		r->ninodes, fmt_bytes(sz, sizeof(sz), total));
	fprintf(out, "INODES\n");
	for (i = 0; i < r->ninodes; i++) {
		const struct sh_inode *in = &r->inodes[i];

		sanitize_text(path, sizeof(path), in->path);
		fprintf(out, "  %10s  %-11s %s%s",
			fmt_bytes(sz, sizeof(sz), in->bytes_tracked + in->bytes_before + in->bytes_dropped),
			sh_kind_name(in->kind), path, in->deleted && in->kind == SH_TMPFS ?
			" (deleted)" : "");
		if (in->ns_pid)
			fprintf(out, " [mount ns of pid %d]", (int)in->ns_pid);
		for (h = 0; h < in->nholders; h++)
			fprintf(out, "%s%d", h ? "," : "  held by pid ", in->holders[h]);
		fputc('\n', out);
		for (j = 0; j < in->nwriters; j++)
			text_writer(out, "    ", in->writers[j].w, in->writers[j].bytes,
				    r->show_stacks);
		if (in->bytes_before)
			fprintf(out, "    %10s  before tracing (owner uid %u, writer unknown)\n",
				fmt_bytes(sz, sizeof(sz), in->bytes_before), (unsigned int)in->uid);
		if (in->bytes_dropped)
			fprintf(out, "    %10s  written since tracing began, writer unknown (events dropped)\n",
				fmt_bytes(sz, sizeof(sz), in->bytes_dropped));
		if (in->swapped)
			fprintf(out, "    %10s  of it swapped out\n",
				fmt_bytes(sz, sizeof(sz), in->swapped));
	}
	fprintf(out, "WRITERS\n");
	for (i = 0; i < r->nwriters; i++)
		text_writer(out, "  ", r->writers[i], r->writers[i]->bytes, r->show_stacks);
	fprintf(out, "MOUNTS\n");
	for (i = 0; i < r->nmounts; i++) {
		const struct sh_mount *m = &r->mounts[i];

		if (!m->shown || (!m->bytes_used && !m->bytes_tracked && !m->hidden))
			continue;
		sanitize_text(path, sizeof(path), m->mountpoint);
		if (m->ns_pid) {
			char comm[64], cg[PATH_MAX], where[PATH_MAX + 512];

			sanitize_text(comm, sizeof(comm), m->ns_comm);
			sanitize_text(cg, sizeof(cg), m->ns_cgroup[0] ? m->ns_cgroup : "?");
			snprintf(where, sizeof(where), "%s [mount ns of pid %d %s, cgroup %s]", path,
				 (int)m->ns_pid, comm, cg);
			snprintf(path, sizeof(path), "%s", where);
		}
		if (m->hidden) {
			fprintf(out, "  %-24s tracked %10s  (hidden under another mount: used unknown)\n",
				path, fmt_bytes(sz, sizeof(sz), m->bytes_tracked));
			continue;
		}
		fprintf(out, "  %-24s tracked %10s  used %10s  before tracing %10s", path,
			fmt_bytes(sz, sizeof(sz), m->bytes_tracked),
			fmt_bytes(sz2, sizeof(sz2), m->bytes_used),
			fmt_bytes(sz3, sizeof(sz3), m->bytes_used > m->bytes_tracked + m->bytes_dropped ?
				m->bytes_used - m->bytes_tracked - m->bytes_dropped : 0));
		if (m->bytes_dropped)
			fprintf(out, "  events dropped %10s", fmt_bytes(sz, sizeof(sz), m->bytes_dropped));
		fputc('\n', out);
	}
	if (r->swap_active && !r->swap_known)
		fprintf(out, "swap: active; shmem pages swapped out cannot be followed with these "
			"hooks and stay counted as resident under their writer\n");
	fprintf(out, "dropped: %llu", r->dropped);
	if (r->dropped) {
		const char *sep = " (";

		for (i = 0; i < SHC_NR; i++) {
			if (!sh_counter_is_drop(i) || !r->counters[i])
				continue;
			fprintf(out, "%s%s %llu", sep, counter_names[i], r->counters[i]);
			sep = ", ";
		}
		fputc(')', out);
	}
	fputc('\n', out);
}

/* ---- JSON ---- */

static void json_writer(struct json *j, const struct sh_writer *w, unsigned long long bytes,
			bool show_stacks)
{
	int i;

	json_obj_begin(j);
	if (w->tgid) {
		json_ku64(j, "pid", w->tgid);
		json_kstr(j, "comm", w->comm);
		json_kstr(j, "cgroup", w->cgroup);
	} else {
		json_knull(j, "pid");
		json_knull(j, "comm");
		json_knull(j, "cgroup");
	}
	json_ku64(j, "bytes", bytes);
	/* Present even without --stacks: a missing value is null. */
	json_key(j, "stack");
	if (!show_stacks || !w->nframes) {
		json_null(j);
	} else {
		json_arr_begin(j);
		for (i = 0; i < w->nframes; i++)
			json_str(j, w->frames[i]);
		json_arr_end(j);
	}
	json_obj_end(j);
}

void sh_print_json(FILE *out, const struct sh_report *r)
{
	char buf[64], tb[32];
	struct json j;
	size_t i, k;
	int h;

	json_report_begin(&j, out, "shmem", r->timestamp, r->final);
	/* Each drop counter by name (the same names without "drop_" as in
	 * "counters"); the text report gives their sum. */
	json_key(&j, "dropped");
	json_obj_begin(&j);
	for (i = 0; i < SHC_NR; i++)
		if (sh_counter_is_drop(i))
			json_ku64(&j, counter_names[i] + strlen("drop_"), r->counters[i]);
	json_obj_end(&j);
	json_kstr(&j, "time", wall_time(r->timestamp, tb, sizeof(tb)));
	json_key(&j, "inodes");
	json_arr_begin(&j);
	for (i = 0; i < r->ninodes; i++) {
		const struct sh_inode *in = &r->inodes[i];

		json_obj_begin(&j);
		json_kstr(&j, "path", in->path);
		snprintf(buf, sizeof(buf), "%u:%u", major(in->dev), minor(in->dev));
		json_kstr(&j, "dev", buf);
		json_ku64(&j, "ino", in->ino);
		json_kstr(&j, "kind", sh_kind_name(in->kind));
		/* path is the one inside that mount namespace */
		json_key(&j, "mount_ns_pid");
		if (in->ns_pid)
			json_i64(&j, in->ns_pid);
		else
			json_null(&j);
		json_ku64(&j, "bytes", in->bytes_tracked + in->bytes_before + in->bytes_dropped);
		json_ku64(&j, "bytes_before_tracing", in->bytes_before);
		/* Resident, written after tracing began, its add event lost. */
		json_ku64(&j, "bytes_dropped", in->bytes_dropped);
		json_key(&j, "uid");
		if (in->bytes_before)
			json_u64(&j, in->uid);
		else
			json_null(&j);
		if (r->swap_known)
			json_ku64(&j, "bytes_swapped", in->swapped);
		else
			json_knull(&j, "bytes_swapped");
		json_key(&j, "deleted");
		json_bool(&j, in->deleted);
		json_key(&j, "sysv_shmid");
		if (in->kind == SH_SYSV && in->sysv_shmid >= 0)
			json_i64(&j, in->sysv_shmid);
		else
			json_null(&j);
		json_key(&j, "holders");
		json_arr_begin(&j);
		for (h = 0; h < in->nholders; h++)
			json_i64(&j, in->holders[h]);
		json_arr_end(&j);
		json_key(&j, "writers");
		json_arr_begin(&j);
		for (k = 0; k < in->nwriters; k++)
			json_writer(&j, in->writers[k].w, in->writers[k].bytes, r->show_stacks);
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "writers");
	json_arr_begin(&j);
	for (i = 0; i < r->nwriters; i++)
		json_writer(&j, r->writers[i], r->writers[i]->bytes, r->show_stacks);
	json_arr_end(&j);
	json_key(&j, "mounts");
	json_arr_begin(&j);
	for (i = 0; i < r->nmounts; i++) {
		if (!r->mounts[i].shown)
			continue;
		json_obj_begin(&j);
		json_kstr(&j, "mountpoint", r->mounts[i].mountpoint);
		json_ku64(&j, "bytes_tracked", r->mounts[i].bytes_tracked);
		/* Another mount namespace's tmpfs: the process it was seen
		 * through, and its cgroup (which container). */
		json_key(&j, "namespace");
		if (r->mounts[i].ns_pid) {
			json_obj_begin(&j);
			json_ki64(&j, "pid", r->mounts[i].ns_pid);
			json_kstr(&j, "comm", r->mounts[i].ns_comm);
			json_kstr(&j, "cgroup", r->mounts[i].ns_cgroup[0] ? r->mounts[i].ns_cgroup : NULL);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		if (r->mounts[i].hidden)
			json_knull(&j, "bytes_used");
		else
			json_ku64(&j, "bytes_used", r->mounts[i].bytes_used);
		json_key(&j, "hidden");
		json_bool(&j, r->mounts[i].hidden);
		json_ku64(&j, "bytes_dropped", r->mounts[i].bytes_dropped);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "counters");
	json_obj_begin(&j);
	for (i = 0; i < SHC_NR; i++)
		json_ku64(&j, counter_names[i], r->counters[i]);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}
