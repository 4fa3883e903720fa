/* Parser of the kernel's OOM report on /dev/kmsg (see oom_kmsg.h).  The
 * formats come from mm/oom_kill.c (dump_header, dump_tasks,
 * dump_oom_summary, __oom_kill_process) and mm/memcontrol*.c
 * (mem_cgroup_print_oom_meminfo/context); every line is recognised by its
 * own fixed text, so unrelated lines in between are simply skipped. */
#include "oom/oom_kmsg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum col {
	COL_UNKNOWN, COL_UID, COL_TGID, COL_TOTAL_VM, COL_RSS, COL_RSS_ANON,
	COL_RSS_FILE, COL_RSS_SHMEM, COL_PGTABLES, COL_SWAP, COL_ADJ, COL_NAME,
};

static const struct {
	const char *name;
	enum col col;
} col_names[] = {
	{ "uid", COL_UID },		{ "tgid", COL_TGID },
	{ "total_vm", COL_TOTAL_VM },	{ "rss", COL_RSS },
	{ "rss_anon", COL_RSS_ANON },	{ "rss_file", COL_RSS_FILE },
	{ "rss_shmem", COL_RSS_SHMEM }, { "pgtables_bytes", COL_PGTABLES },
	{ "swapents", COL_SWAP },	{ "oom_score_adj", COL_ADJ },
	{ "name", COL_NAME },
};

void kmsg_parser_init(struct kmsg_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void kmsg_report_free(struct kmsg_report *r)
{
	free(r->tasks);
	r->tasks = NULL;
	r->ntasks = r->cap_tasks = 0;
}

void kmsg_parser_free(struct kmsg_parser *p)
{
	int i;

	kmsg_report_free(&p->cur);
	for (i = 0; i < p->ndone; i++)
		kmsg_report_free(&p->done[i]);
	free(p->done);
	memset(p, 0, sizeof(*p));
}

static void copy_str(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Finished or abandoned: move cur to the done list. */
static void push_done(struct kmsg_parser *p)
{
	struct kmsg_report *n;

	p->active = false;
	p->in_stack = false;
	if (p->ndone == p->cap_done) {
		int cap = p->cap_done ? p->cap_done * 2 : 4;

		n = realloc(p->done, cap * sizeof(*n));
		if (!n) {
			/* Out of memory: lose this report, not the process. */
			kmsg_report_free(&p->cur);
			memset(&p->cur, 0, sizeof(p->cur));
			return;
		}
		p->done = n;
		p->cap_done = cap;
	}
	p->cur.complete = p->cur.has_header && p->cur.has_constraint &&
			  p->cur.has_kill && !p->cur.gap;
	p->done[p->ndone++] = p->cur;
	memset(&p->cur, 0, sizeof(p->cur));
}

void kmsg_flush(struct kmsg_parser *p)
{
	if (p->active)
		push_done(p);
}

void kmsg_overrun(struct kmsg_parser *p)
{
	/* The next record's seq tells how many were lost; until then the
	 * open report is known to have a hole. */
	if (p->active)
		p->cur.gap = true;
}

static void begin_report(struct kmsg_parser *p, unsigned long long seq,
			 unsigned long long ts)
{
	if (p->active)
		push_done(p); /* a new OOM before the last one's kill line */
	memset(&p->cur, 0, sizeof(p->cur));
	p->active = true;
	p->in_stack = false;
	p->ncols = 0;
	p->cur.first_seq = seq;
	p->cur.header_ts_us = ts;
}

/* "comm invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=500" */
static void parse_header(struct kmsg_report *r, const char *t, const char *at)
{
	const char *g;
	const char *close;

	r->has_header = true;
	r->order = -1;
	copy_str(r->trigger_comm, sizeof(r->trigger_comm), t, at - t);
	g = strstr(at, "gfp_mask=");
	if (g) {
		r->gfp_mask = strtoul(g + 9, NULL, 16);
		g = strchr(g, '(');
		close = g ? strstr(g, "), order=") : NULL;
		if (close)
			copy_str(r->gfp_text, sizeof(r->gfp_text), g + 1, close - g - 1);
	}
	g = strstr(at, "order=");
	if (g)
		r->order = atoi(g + 6);
	g = strstr(at, "oom_score_adj=");
	if (g)
		r->trigger_adj = atoi(g + 14);
}

static void parse_stack_line(struct kmsg_report *r, const char *t)
{
	const char *s = t, *slash;

	while (*s == ' ')
		s++;
	/* "? sym+off/len": a stale return address the unwinder could not
	 * prove; the kernel prints it, we keep only the reliable frames. */
	if (s[0] == '?' || !strstr(s, "+0x") || r->nstack >= KMSG_STACK_MAX)
		return;
	slash = strstr(s, "/0x");
	copy_str(r->stack[r->nstack], KMSG_SYM_LEN, s, slash ? (size_t)(slash - s) : strlen(s));
	r->nstack++;
}

static enum col col_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(col_names) / sizeof(col_names[0]); i++)
		if (strcmp(name, col_names[i].name) == 0)
			return col_names[i].col;
	return COL_UNKNOWN;
}

/* "[  pid  ]   uid  tgid total_vm      rss rss_anon ... oom_score_adj name" */
static void parse_table_header(struct kmsg_parser *p, const char *t)
{
	char buf[512], *tok, *save = NULL;
	const char *rb = strchr(t, ']');

	p->ncols = 0;
	if (!rb)
		return;
	copy_str(buf, sizeof(buf), rb + 1, strlen(rb + 1));
	for (tok = strtok_r(buf, " ", &save); tok && p->ncols < 16;
	     tok = strtok_r(NULL, " ", &save))
		p->tasks_cols[p->ncols++] = col_kind(tok);
	p->cur.has_tasks = true;
}

static void parse_table_row(struct kmsg_parser *p, const char *t)
{
	struct kmsg_report *r = &p->cur;
	struct kmsg_task row = { .oom_score_adj = 0 };
	const char *s;
	char *end;
	int i;

	if (p->ncols < 2 || p->tasks_cols[p->ncols - 1] != COL_NAME)
		return;
	row.pid = strtol(t + 1, &end, 10);
	if (end == t + 1 || *end != ']')
		return;
	s = end + 1;
	for (i = 0; i < p->ncols - 1; i++) {
		long long v;

		while (*s == ' ')
			s++;
		v = strtoll(s, &end, 10);
		if (end == s)
			return; /* cut short: not a row we can trust */
		s = end;
		switch (p->tasks_cols[i]) {
		case COL_UID: row.uid = v; break;
		case COL_TGID: row.tgid = v; break;
		case COL_TOTAL_VM: row.total_vm = v; break;
		case COL_RSS: row.rss = v; break;
		case COL_RSS_ANON: row.rss_anon = v; row.has_rss_split = true; break;
		case COL_RSS_FILE: row.rss_file = v; break;
		case COL_RSS_SHMEM: row.rss_shmem = v; break;
		case COL_PGTABLES: row.pgtables_bytes = v; break;
		case COL_SWAP: row.swapents = v; break;
		case COL_ADJ: row.oom_score_adj = v; break;
		default: break;
		}
	}
	while (*s == ' ')
		s++;
	if (!*s)
		return;
	copy_str(row.name, sizeof(row.name), s, strlen(s));
	if (r->ntasks == r->cap_tasks) {
		int cap = r->cap_tasks ? r->cap_tasks * 2 : 16;
		struct kmsg_task *n = realloc(r->tasks, cap * sizeof(*n));

		if (!n) {
			r->gap = true; /* the table is no longer whole */
			return;
		}
		r->tasks = n;
		r->cap_tasks = cap;
	}
	r->tasks[r->ntasks++] = row;
}

/* Keys of the oom-kill: line.  nodemask/mems_allowed values contain commas
 * ("0-1,3"), so a token without a known key= continues the last value. */
static bool constraint_field(struct kmsg_report *r, const char *key, char **field,
			     size_t *len)
{
	static const char *const skipped[] = { "nodemask", "mems_allowed", "pid", "uid" };
	size_t i;

	*field = NULL;
	*len = 0;
	if (strcmp(key, "constraint") == 0) {
		*field = r->constraint;
		*len = sizeof(r->constraint);
	} else if (strcmp(key, "cpuset") == 0) {
		*field = r->cpuset;
		*len = sizeof(r->cpuset);
	} else if (strcmp(key, "oom_memcg") == 0) {
		*field = r->oom_memcg;
		*len = sizeof(r->oom_memcg);
	} else if (strcmp(key, "task_memcg") == 0) {
		*field = r->task_memcg;
		*len = sizeof(r->task_memcg);
	} else if (strcmp(key, "task") == 0) {
		*field = r->victim_comm;
		*len = sizeof(r->victim_comm);
	} else {
		for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
			if (strcmp(key, skipped[i]) == 0)
				return true;
		return false;
	}
	return true;
}

static void parse_constraint(struct kmsg_parser *p, const char *t)
{
	struct kmsg_report *r = &p->cur;
	char buf[1024], *tok, *save = NULL, *eq;
	char *cur_field = NULL;
	size_t cur_len = 0;

	copy_str(buf, sizeof(buf), t, strlen(t));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *field;
		size_t len;

		if (strcmp(tok, "global_oom") == 0) {
			r->global_oom = true;
			cur_field = NULL;
			continue;
		}
		eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			if (constraint_field(r, tok, &field, &len)) {
				if (strcmp(tok, "pid") == 0)
					r->victim_pid = atoi(eq + 1);
				else if (strcmp(tok, "uid") == 0)
					r->victim_uid = atoi(eq + 1);
				if (field)
					copy_str(field, len, eq + 1, strlen(eq + 1));
				cur_field = field;
				cur_len = len;
				continue;
			}
			*eq = '=';
		}
		/* continuation of the previous value (a comma inside it) */
		if (cur_field && strlen(cur_field) + strlen(tok) + 2 < cur_len) {
			strcat(cur_field, ",");
			strcat(cur_field, tok);
		}
	}
	r->has_constraint = r->constraint[0] != '\0';
	r->tasks_done = r->has_tasks && !r->gap;
}

/* "<message>: Killed process P (comm) total-vm:NkB, anon-rss:NkB,
 *  file-rss:NkB, shmem-rss:NkB, UID:U pgtables:NkB oom_score_adj:N" */
static bool parse_kill(struct kmsg_report *r, const char *t, const char *at)
{
	const char *open, *close, *s;
	char *end;

	s = at + strlen(": Killed process ");
	r->kill_pid = strtol(s, &end, 10);
	if (end == s || strncmp(end, " (", 2) != 0)
		return false;
	open = end + 2;
	close = strstr(open, ") total-vm:");
	if (!close)
		close = strrchr(open, ')');
	if (!close)
		return false;
	r->has_kill = true;
	copy_str(r->kill_message, sizeof(r->kill_message), t, at - t);
	copy_str(r->kill_comm, sizeof(r->kill_comm), open, close - open);
	r->kill_adj = 0;
	if ((s = strstr(close, "total-vm:")))
		r->total_vm_kb = strtoull(s + 9, NULL, 10);
	if ((s = strstr(close, "anon-rss:")))
		r->anon_rss_kb = strtoull(s + 9, NULL, 10);
	if ((s = strstr(close, "file-rss:")))
		r->file_rss_kb = strtoull(s + 9, NULL, 10);
	if ((s = strstr(close, "shmem-rss:")))
		r->shmem_rss_kb = strtoull(s + 10, NULL, 10);
	if ((s = strstr(close, "UID:")))
		r->kill_uid = strtoul(s + 4, NULL, 10);
	if ((s = strstr(close, "pgtables:")))
		r->pgtables_kb = strtoull(s + 9, NULL, 10);
	if ((s = strstr(close, "oom_score_adj:")))
		r->kill_adj = atoi(s + 14);
	return true;
}

static void parse_line(struct kmsg_parser *p, unsigned long long seq,
		       unsigned long long ts, const char *t)
{
	struct kmsg_report *r = &p->cur;
	const char *at;

	if ((at = strstr(t, " invoked oom-killer: "))) {
		begin_report(p, seq, ts);
		parse_header(&p->cur, t, at);
		return;
	}
	if ((at = strstr(t, ": Killed process "))) {
		/* Always printed, even when dump_header was rate-limited. */
		if (!p->active)
			begin_report(p, seq, ts);
		if (parse_kill(r, t, at)) {
			r->kill_ts_us = ts;
			r->last_seq = seq;
			push_done(p);
		}
		return;
	}
	if (!p->active)
		return;
	r->last_seq = seq;
	if (p->in_stack) {
		if (strstr(t, "</TASK>") || strstr(t, "<EOI>")) {
			p->in_stack = false;
			return;
		}
		if (t[0] == ' ') {
			parse_stack_line(r, t);
			return;
		}
		/* RIP:/Code:/register lines belong to the trace; keep going */
		return;
	}
	if (strncmp(t, "Call Trace:", 11) == 0) {
		if (r->nstack == 0)
			p->in_stack = true;
		return;
	}
	if (!r->has_trigger_pid && strncmp(t, "CPU: ", 5) == 0 &&
	    (at = strstr(t, " PID: "))) {
		r->trigger_pid = atoi(at + 6);
		r->has_trigger_pid = r->trigger_pid > 0;
		return;
	}
	if (sscanf(t, "memory: usage %llukB, limit %llukB", &r->memcg_usage_kb,
		   &r->memcg_limit_kb) == 2) {
		r->has_memcg_usage = true;
		return;
	}
	if (strncmp(t, "Memory cgroup stats for ", 24) == 0) {
		size_t n = strlen(t + 24);

		if (n && t[24 + n - 1] == ':')
			n--;
		copy_str(r->stats_memcg, sizeof(r->stats_memcg), t + 24, n);
		return;
	}
	{
		unsigned long long v;
		int n = 0;

		/* sscanf counts conversions, not literals: %n proves the match */
		if (sscanf(t, "%llu pages RAM%n", &v, &n) == 1 && n && t[n] == '\0') {
			r->ram_pages = v;
			r->has_meminfo = true;
			return;
		}
	}
	if (sscanf(t, "Total swap = %llukB", &r->swap_total_kb) == 1 ||
	    sscanf(t, "Free swap = %llukB", &r->swap_free_kb) == 1)
		return;
	if (strncmp(t, "Tasks state", 11) == 0) {
		r->has_tasks = true;
		return;
	}
	if (strncmp(t, "[  pid  ]", 9) == 0) {
		parse_table_header(p, t);
		return;
	}
	if (t[0] == '[' && r->has_tasks && !r->has_constraint) {
		parse_table_row(p, t);
		return;
	}
	if (strncmp(t, "oom-kill:", 9) == 0) {
		parse_constraint(p, t + 9);
		return;
	}
}

/* /dev/kmsg escapes non-printable bytes and backslashes as \xNN. */
static void unescape(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < len; i++) {
		if (src[i] == '\\' && i + 3 < n && src[i + 1] == 'x' &&
		    isxdigit((unsigned char)src[i + 2]) && isxdigit((unsigned char)src[i + 3])) {
			char hex[3] = { src[i + 2], src[i + 3], 0 };
			unsigned char c = strtoul(hex, NULL, 16);

			dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			i += 3;
			continue;
		}
		dst[o++] = src[i];
	}
	dst[o] = '\0';
}

void kmsg_feed_record(struct kmsg_parser *p, const char *rec, size_t len)
{
	char raw[2048], text[1024];
	const char *semi, *nl, *end;
	unsigned long long seq, ts;
	unsigned int pri;
	int n = 0;

	/* read() hands us bytes, not a string: bound every scan by len */
	if (len >= sizeof(raw))
		len = sizeof(raw) - 1;
	memcpy(raw, rec, len);
	raw[len] = '\0';
	end = raw + strlen(raw);
	nl = strchr(raw, '\n');
	if (nl)
		end = nl;
	semi = memchr(raw, ';', end - raw);
	if (!semi || sscanf(raw, "%u,%llu,%llu%n", &pri, &seq, &ts, &n) != 3 || raw + n > semi)
		return;
	p->records++;
	if (p->have_seq && seq > p->last_seq + 1) {
		p->lost += seq - p->last_seq - 1;
		if (p->active)
			p->cur.gap = true;
	}
	p->have_seq = true;
	p->last_seq = seq;
	unescape(text, sizeof(text), semi + 1, end - semi - 1);
	parse_line(p, seq, ts, text);
}

static bool report_matches(const struct kmsg_report *r, int victim_pid, int trigger_pid)
{
	if (r->has_kill)
		return r->kill_pid == victim_pid;
	if (r->has_constraint && r->victim_pid)
		return r->victim_pid == victim_pid;
	return r->has_trigger_pid && r->trigger_pid == trigger_pid;
}

bool kmsg_take(struct kmsg_parser *p, int victim_pid, int trigger_pid,
	       struct kmsg_report *out)
{
	int i;

	for (i = p->ndone - 1; i >= 0; i--) {
		if (!report_matches(&p->done[i], victim_pid, trigger_pid))
			continue;
		*out = p->done[i];
		memmove(&p->done[i], &p->done[i + 1], (p->ndone - i - 1) * sizeof(*out));
		p->ndone--;
		return true;
	}
	return false;
}

void kmsg_trim(struct kmsg_parser *p, int keep)
{
	int i, drop = p->ndone - keep;

	if (drop <= 0)
		return;
	for (i = 0; i < drop; i++)
		kmsg_report_free(&p->done[i]);
	memmove(p->done, p->done + drop, keep * sizeof(*p->done));
	p->ndone = keep;
}
