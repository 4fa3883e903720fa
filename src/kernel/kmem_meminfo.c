/* /proc/meminfo and /proc/slabinfo parsing (see kmem_meminfo.h). */
#include "kernel/kmem_meminfo.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[KMI_NR] = {
	[KMI_SLAB] = "Slab",
	[KMI_SUNRECLAIM] = "SUnreclaim",
	[KMI_VMALLOC_USED] = "VmallocUsed",
	[KMI_PERCPU] = "Percpu",
};

const char *kmem_meminfo_name(enum kmem_meminfo_field f)
{
	return f < KMI_NR ? names[f] : NULL;
}

/* "Name:   1234 kB" -> bytes; false on anything else. */
static bool parse_meminfo_line(const char *line, const char *name, long long *bytes)
{
	size_t n = strlen(name);
	char unit[8] = "";
	long long v;
	int got;

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return false;
	got = sscanf(line + n + 1, "%lld %7s", &v, unit);
	if (got < 1 || v < 0)
		return false;
	if (got == 2 && strcmp(unit, "kB") != 0)
		return false;
	*bytes = got == 2 ? v * 1024 : v;
	return true;
}

int kmem_parse_meminfo(FILE *f, struct kmem_sysinfo *out)
{
	char line[256];
	int i, found = 0;

	for (i = 0; i < KMI_NR; i++)
		out->valid[i] = false;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < KMI_NR; i++) {
			if (!out->valid[i] && parse_meminfo_line(line, names[i], &out->meminfo[i])) {
				out->valid[i] = true;
				found++;
			}
		}
	}
	return found;
}

bool kmem_parse_slabinfo(FILE *f, struct kmem_sysinfo *out)
{
	char line[1024], name[128];
	long long active, num, objsize, total = 0;
	int major = 0, minor = 0;

	out->slab_valid = false;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "slabinfo - version: %d.%d", &major, &minor) != 2 || major != 2)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num, &objsize) != 4 ||
		    active < 0 || objsize < 0 || active > num)
			return false;
		total += active * objsize;
	}
	out->slab_objects = total;
	out->slab_valid = true;
	return true;
}

void kmem_sysinfo_read(struct kmem_sysinfo *out)
{
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = fopen("/proc/meminfo", "r");
	if (f) {
		kmem_parse_meminfo(f, out);
		fclose(f);
	}
	f = fopen("/proc/slabinfo", "r");
	if (f) {
		kmem_parse_slabinfo(f, out);
		fclose(f);
	}
}
