/* libFuzzer target: procfs_parse_smaps (smaps and smaps_rollup). */
#include <stdint.h>
#include <stdlib.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smaps_totals st;

	if (procfs_parse_smaps((const char *)data, size, &st) == 0 && !st.vmas && !st.rss)
		abort();
	return 0;
}
