/* libFuzzer target: procfs_parse_slabinfo. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slabinfo si;
	unsigned long long sum = 0;
	size_t i;

	if (procfs_parse_slabinfo((const char *)data, size, 4096, &si) == 0) {
		for (i = 0; i < si.n; i++) {
			if (strlen(si.c[i].name) >= sizeof(si.c[i].name))
				abort();
			sum = sum + si.c[i].bytes < sum ? ~0ULL : sum + si.c[i].bytes;
		}
		if (sum != si.total_bytes)
			abort();
	}
	slabinfo_free(&si);
	return 0;
}
