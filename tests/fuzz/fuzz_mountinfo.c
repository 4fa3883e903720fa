/* libFuzzer target: procfs_parse_mountinfo and the octal unescaper. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mountinfo mi;
	char *s;
	size_t i;

	if (procfs_parse_mountinfo((const char *)data, size, &mi) == 0)
		for (i = 0; i < mi.n; i++)
			if (!mi.m[i].root || !mi.m[i].mountpoint || !mi.m[i].fstype ||
			    !mi.m[i].source || !mi.m[i].super_opts || strlen(mi.m[i].mountpoint) > size)
				abort();
	mountinfo_free(&mi);
	s = procfs_unescape_octal((const char *)data, size);
	if (s && strlen(s) > size)
		abort();
	free(s);
	return 0;
}
