/* Known leaks for the demo and tests: every number below is ground truth.
 * leak_malloc: 5 x 1000 B (the malloc line carries the mark)
 * leak_calloc: 3 x 24*100 B; leak_realloc: 2 blocks grown to 3000 B;
 * leak_mmap: 2 x 64 KiB anonymous mappings; 100 freed blocks never show. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *keep[64];
static int nkeep;

__attribute__((noinline)) void leak_malloc(void)
{
	for (int i = 0; i < 5; i++)
		keep[nkeep++] = malloc(1000); /* LEAK_MALLOC */
}

__attribute__((noinline)) void leak_calloc(void)
{
	for (int i = 0; i < 3; i++)
		keep[nkeep++] = calloc(24, 100); /* LEAK_CALLOC */
}

__attribute__((noinline)) void leak_realloc(void)
{
	for (int i = 0; i < 2; i++) {
		char *p = malloc(100);
		p = realloc(p, 2000);
		keep[nkeep++] = realloc(p, 3000); /* LEAK_REALLOC */
	}
}

__attribute__((noinline)) void leak_mmap(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK_MMAP */
		memset(p, 1, 65536);
		keep[nkeep++] = p;
	}
	/* mapped and unmapped again: never reported */
	void *q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(q, 8192);
}

__attribute__((noinline)) void no_leak(void)
{
	for (int i = 0; i < 100; i++) {
		void *p = malloc(512);
		memset(p, 0, 512);
		free(p);
	}
}

int main(int argc, char **argv)
{
	/* argv[1]: seconds to sleep before allocating (for -p attach), or
	 * "usr1": wait for SIGUSR1, so a test decides when the leaks happen
	 * (after the tracer's first report) whatever the machine's speed. */
	int delay = argc > 1 ? atoi(argv[1]) : 0;

	if (argc > 1 && strcmp(argv[1], "usr1") == 0) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sigwait(&set, &sig);
	} else if (delay) {
		sleep(delay);
	}
	leak_malloc();
	leak_calloc();
	leak_realloc();
	leak_mmap();
	no_leak();
	if (argc > 2)
		sleep(atoi(argv[2])); /* stay alive so -p reports while it runs */
	return 0;
}
