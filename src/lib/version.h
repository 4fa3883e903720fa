/* --version: what this binary is and what it was built and runs with. */
#ifndef MEMLEAKBPF_VERSION_H
#define MEMLEAKBPF_VERSION_H

#include <stdio.h>

/* Prints four lines: "memleakbpf VERSION", "commit: COMMIT" (git describe
 * at build time, "unknown" outside git), "built with: libbpf X.Y, elfutils
 * 0.NNN" (the headers compiled against) and "running with: ..." (the shared
 * libraries loaded now; a distribution upgrade can change them). */
void version_print(FILE *out);

#endif
