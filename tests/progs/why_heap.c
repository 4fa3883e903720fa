/* Grows by STEP bytes every MS milliseconds up to MAX, then sleeps until
 * killed.  Mode "heap": malloc'ed and written (private anon grows, shared
 * stays flat).  Mode "virt": mmap'ed PROT_NONE, never touched (VIRT grows,
 * RSS stays flat).  Prints "ready" once the first step is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int virt = argc > 1 && !strcmp(argv[1], "virt");
	size_t step = argc > 2 ? strtoull(argv[2], NULL, 0) : 2 << 20;
	long ms = argc > 3 ? strtol(argv[3], NULL, 0) : 100;
	size_t max = argc > 4 ? strtoull(argv[4], NULL, 0) : 256 << 20;
	size_t total = 0;
	void *p;

	while (total + step <= max) {
		if (virt) {
			p = mmap(NULL, step, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (p == MAP_FAILED)
				return 1;
		} else {
			p = malloc(step);
			if (!p)
				return 1;
			memset(p, 0x33, step);
		}
		total += step;
		if (total == step) {
			printf("ready\n");
			fflush(stdout);
		}
		usleep(ms * 1000);
	}
	for (;;)
		pause();
}
