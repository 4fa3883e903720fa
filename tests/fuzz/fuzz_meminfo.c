/* libFuzzer target: procfs_parse_meminfo on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meminfo mi;
	unsigned long long v;
	size_t i;

	if (procfs_parse_meminfo((const char *)data, size, &mi) == 0) {
		if (mi.n == 0 || mi.n > 512)
			abort();
		for (i = 0; i < mi.n; i++)
			if (strlen(mi.f[i].name) >= sizeof(mi.f[i].name) ||
			    !meminfo_get(&mi, mi.f[i].name, &v))
				abort();
	}
	meminfo_free(&mi);
	return 0;
}
