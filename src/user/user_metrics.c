/* memleakbpf user: the report as metrics (`memleakbpf serve -p PID`), read
 * from the same user_report as the text and JSON printers. */
#include <stdio.h>

#include "lib/metrics.h"
#include "user/user_report.h"

/* serve -p PID --growth: the RSS and what growth mode attributes of it. */
static void growth_metrics(const struct user_report *r, const struct report_opts *o,
			   struct metrics *m, const char *pid)
{
	metrics_family(m, "memleakbpf_growth_rss_bytes", METRIC_GAUGE, "bytes",
		       "the traced process's resident set size (absent once it has exited)");
	if (o->rss >= 0)
		metrics_add(m, o->rss, "pid", pid, "comm", o->comm, NULL);
	metrics_family(m, "memleakbpf_growth_rss_growth_bytes", METRIC_GAUGE, "bytes",
		       "its resident set size now minus when tracing began");
	if (o->rss >= 0 && o->rss_start >= 0)
		metrics_add(m, o->rss - o->rss_start, "pid", pid, "comm", o->comm, NULL);
	metrics_family(m, "memleakbpf_growth_attributed_bytes", METRIC_GAUGE, "bytes",
		       "bytes of pages first written since tracing began and still mapped, "
		       "each attributed to a user stack");
	metrics_add(m, r->total_bytes, "pid", pid, "comm", o->comm, NULL);
}

void user_metrics(const struct user_report *r, const struct report_opts *o, struct metrics *m)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)o->pid);
	/* One target: pid and comm are its one label set. */
	if (o->growth) {
		growth_metrics(r, o, m, pid);
	} else {
		metrics_family(m, "memleakbpf_user_outstanding_bytes", METRIC_GAUGE, "bytes",
			       "user-space bytes allocated since tracing began and not freed "
			       "(malloc family, mmap, brk)");
		metrics_add(m, r->total_bytes, "pid", pid, "comm", o->comm, NULL);
		metrics_family(m, "memleakbpf_user_outstanding_allocations", METRIC_GAUGE, NULL,
			       "user-space allocations made since tracing began and not freed");
		metrics_add(m, r->total_count, "pid", pid, "comm", o->comm, NULL);
	}
	metrics_family(m, "memleakbpf_user_target_exited", METRIC_GAUGE, NULL,
		       "1 once the traced process has exited (its leaks at exit)");
	metrics_add(m, o->target_exited, "pid", pid, "comm", o->comm, NULL);
}
