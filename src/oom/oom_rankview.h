/* memleakbpf oom --rank: the predicted kill order now, for the machine and
 * for each memcg with a memory limit (each is its own OOM domain). */
#ifndef MEMLEAKBPF_OOM_RANKVIEW_H
#define MEMLEAKBPF_OOM_RANKVIEW_H

#include <stdbool.h>

#include <stdio.h>

/* Prints the ranking (text or one JSON object); returns an exit code. */
int oom_rank_report(bool json, bool all);
/* Same from another proc root and mountinfo file (tests: fixture trees). */
int oom_rank_report_at(FILE *out, const char *proc_root, const char *mountinfo, bool json,
		       bool all);

#endif
