/* --version (see version.h).  The Makefile passes MEMLEAKBPF_VERSION and
 * MEMLEAKBPF_COMMIT to this file only, so a new commit rebuilds one object. */
#include "lib/version.h"

#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <elfutils/libdwfl.h>
#include <elfutils/version.h>

#ifndef MEMLEAKBPF_VERSION
#define MEMLEAKBPF_VERSION "unknown"
#endif
#ifndef MEMLEAKBPF_COMMIT
#define MEMLEAKBPF_COMMIT "unknown"
#endif

void version_print(FILE *out)
{
	const char *dw = dwfl_version(NULL);

	fprintf(out, "memleakbpf %s\n", MEMLEAKBPF_VERSION);
	fprintf(out, "commit: %s\n", MEMLEAKBPF_COMMIT);
	/* elfutils numbers releases 0.NNN and encodes them as NNN. */
	fprintf(out, "built with: libbpf %d.%d, elfutils %d.%d\n",
		LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION,
		_ELFUTILS_VERSION / 1000, _ELFUTILS_VERSION % 1000);
	fprintf(out, "running with: libbpf %u.%u, elfutils %s\n",
		libbpf_major_version(), libbpf_minor_version(), dw ? dw : "unknown");
}
