/* libFuzzer target: procfs_parse_sysvipc_shm. */
#include <stdint.h>
#include <stdlib.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sysv_shm sh;
	size_t i;

	if (procfs_parse_sysvipc_shm((const char *)data, size, &sh) == 0)
		for (i = 0; i < sh.n; i++)
			if (sh.s[i].shmid < 0 || (!sh.s[i].has_rss && sh.s[i].rss))
				abort();
	sysv_shm_free(&sh);
	return 0;
}
