/* libFuzzer target: procfs_parse_status and the stat start-time reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_status ps;
	unsigned long long start;

	if (procfs_parse_status((const char *)data, size, &ps) == 0 &&
	    strlen(ps.name) >= sizeof(ps.name))
		abort();
	procfs_parse_stat_starttime((const char *)data, size, &start);
	return 0;
}
