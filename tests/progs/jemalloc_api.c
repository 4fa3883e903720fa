/* jemalloc's own API and libc's reallocarray in one program linked with
 * libjemalloc.so.2 or run with it in LD_PRELOAD (it finds mallocx and
 * friends with dlsym, so it builds without jemalloc's headers or library;
 * tests/e2e/user-allocators.sh links it).  Ground truth:
 *   leak_mallocx      3 x 300 B, kind mallocx
 *   leak_rallocx      2 x 1000 B, kind rallocx (their mallocx blocks gone)
 *   leak_xallocx      110 B + 10000 B, kind mallocx: resized in place by
 *                     xallocx to at most size + extra (whatever the size
 *                     class it lands in)
 *   leak_reallocarray 4 x 300 B, kind reallocarray: libc's, which jumps to
 *                     jemalloc's realloc; counted once
 *   freed_everything  nothing: sdallocx, dallocx, free
 * Exits 2 when jemalloc is not loaded. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *(*mallocx)(size_t, int);
static void *(*rallocx)(void *, size_t, int);
static size_t (*xallocx)(void *, size_t, size_t, int);
static void (*sdallocx)(void *, size_t, int);
static void (*dallocx)(void *, int);

static void *keep[32];
static int n;

__attribute__((noinline)) void leak_mallocx(void)
{
	for (int i = 0; i < 3; i++)
		keep[n++] = mallocx(300, 0); /* LEAK_MALLOCX */
}

__attribute__((noinline)) void leak_rallocx(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = mallocx(100, 0);

		keep[n++] = rallocx(p, 1000, 0); /* LEAK_RALLOCX */
	}
}

__attribute__((noinline)) void leak_xallocx(void)
{
	void *small = mallocx(100, 0), *large = mallocx(20000, 0); /* LEAK_XALLOCX */

	/* 100 B sits in the 112 B class: it grows to 110 in place */
	if (xallocx(small, 100, 10, 0) < 100 || xallocx(large, 10000, 0, 0) < 10000)
		exit(3);
	keep[n++] = small;
	keep[n++] = large;
}

__attribute__((noinline)) void leak_reallocarray(void)
{
	for (int i = 0; i < 4; i++)
		keep[n++] = reallocarray(NULL, 10, 30); /* LEAK_REALLOCARRAY */
}

__attribute__((noinline)) void freed_everything(void)
{
	void *p = mallocx(500, 0);

	sdallocx(p, 500, 0);
	dallocx(mallocx(600, 0), 0);
	p = rallocx(mallocx(50, 0), 5000, 0);
	xallocx(p, 6000, 100, 0);
	dallocx(p, 0);
	free(malloc(700));
}

int main(void)
{
	mallocx = dlsym(RTLD_DEFAULT, "mallocx");
	rallocx = dlsym(RTLD_DEFAULT, "rallocx");
	xallocx = dlsym(RTLD_DEFAULT, "xallocx");
	sdallocx = dlsym(RTLD_DEFAULT, "sdallocx");
	dallocx = dlsym(RTLD_DEFAULT, "dallocx");
	if (!mallocx || !rallocx || !xallocx || !sdallocx || !dallocx) {
		fprintf(stderr, "jemalloc_api: no jemalloc loaded (link it, or LD_PRELOAD=libjemalloc.so.2)\n");
		return 2;
	}
	leak_mallocx();
	leak_rallocx();
	leak_xallocx();
	leak_reallocarray();
	freed_everything();
	return 0;
}
