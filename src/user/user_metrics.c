/* memleakbpf user: the report as metrics (`memleakbpf serve -p PID`), read
 * from the same user_report as the text and JSON printers. */
#include <stdio.h>

#include "lib/metrics.h"
#include "user/user_report.h"

void user_metrics(const struct user_report *r, const struct report_opts *o, struct metrics *m)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)o->pid);
	/* One target: pid and comm are its one label set. */
	metrics_family(m, "memleakbpf_user_outstanding_bytes", METRIC_GAUGE, "bytes",
		       "user-space bytes allocated since tracing began and not freed "
		       "(malloc family, mmap, brk)");
	metrics_add(m, r->total_bytes, "pid", pid, "comm", o->comm, NULL);
	metrics_family(m, "memleakbpf_user_outstanding_allocations", METRIC_GAUGE, NULL,
		       "user-space allocations made since tracing began and not freed");
	metrics_add(m, r->total_count, "pid", pid, "comm", o->comm, NULL);
	metrics_family(m, "memleakbpf_user_target_exited", METRIC_GAUGE, NULL,
		       "1 once the traced process has exited (its leaks at exit)");
	metrics_add(m, o->target_exited, "pid", pid, "comm", o->comm, NULL);
}
