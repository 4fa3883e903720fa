/* libFuzzer target: procfs_parse_maps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maps m;
	size_t i;

	if (procfs_parse_maps((const char *)data, size, &m) == 0)
		for (i = 0; i < m.n; i++) {
			const struct maps_entry *e = &m.e[i];

			/* paths are cut from the input: never longer than it */
			if (!e->path || strlen(e->path) > size || e->name_len > strlen(e->path) ||
			    e->end < e->start || strlen(e->perms) != 4)
				abort();
		}
	maps_free(&m);
	return 0;
}
