/* libFuzzer target: procfs_parse_vmallocinfo. */
#include <stdint.h>
#include <stdlib.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmallocinfo vi;
	unsigned long long sum = 0;
	size_t i;

	if (procfs_parse_vmallocinfo((const char *)data, size, 4096, &vi) == 0) {
		for (i = 0; i < vi.n; i++)
			sum = sum + vi.c[i].bytes < sum ? ~0ULL : sum + vi.c[i].bytes;
		/* Per-caller sums and stacks are parts of the total. */
		if (vi.stack_bytes > vi.vmalloc_bytes || (sum > vi.vmalloc_bytes && vi.vmalloc_bytes != ~0ULL))
			abort();
	}
	vmallocinfo_free(&vi);
	return 0;
}
