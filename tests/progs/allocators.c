/* One known leak per allocator function (ground truth in the comments):
 * posix_memalign 2 x 256, aligned_alloc 3 x 512, memalign 1 x 128,
 * valloc 2 x 100, pvalloc 1 x 5000 (-> 8192), reallocarray 4 x (10 * 30).
 * Each call's line carries a LEAK_<NAME> mark the test greps for. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

static void *keep[32];
static int n;

__attribute__((noinline)) void leak_posix_memalign(void)
{
	for (int i = 0; i < 2; i++)
		if (posix_memalign(&keep[n], 64, 256) == 0) /* LEAK_POSIX_MEMALIGN */
			n++;
}

__attribute__((noinline)) void leak_aligned_alloc(void)
{
	for (int i = 0; i < 3; i++)
		keep[n++] = aligned_alloc(64, 512); /* LEAK_ALIGNED_ALLOC */
}

__attribute__((noinline)) void leak_memalign(void)
{
	keep[n++] = memalign(32, 128); /* LEAK_MEMALIGN */
}

__attribute__((noinline)) void leak_valloc(void)
{
	for (int i = 0; i < 2; i++)
		keep[n++] = valloc(100); /* LEAK_VALLOC */
}

__attribute__((noinline)) void leak_pvalloc(void)
{
	keep[n++] = pvalloc(5000); /* LEAK_PVALLOC */
}

__attribute__((noinline)) void leak_reallocarray(void)
{
	for (int i = 0; i < 4; i++) {
		void *p = reallocarray(NULL, 10, 20);
		keep[n++] = reallocarray(p, 10, 30); /* LEAK_REALLOCARRAY */
	}
}

__attribute__((noinline)) void freed_everything(void)
{
	void *p;

	for (int i = 0; i < 10; i++) {
		if (posix_memalign(&p, 64, 4096) == 0)
			free(p);
		free(aligned_alloc(64, 4096));
		free(valloc(4096));
		free(reallocarray(NULL, 100, 40));
		free(realloc(malloc(10), 20000));
		free(calloc(1, 999));
	}
}

int main(void)
{
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	leak_reallocarray();
	freed_everything();
	return 0;
}
