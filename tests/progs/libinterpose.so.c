/* An LD_PRELOAD interposer that hands every call to another allocator, as
 * wrappers do: malloc and free to glibc's __libc_malloc/__libc_free behind
 * a 16-byte header, calloc through its own malloc, realloc through
 * dlsym(RTLD_NEXT).  Each block must count once, under the outermost call,
 * with the same bytes as without the interposer. */
// build: -shared -fPIC
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#define MAGIC 0x1a2b3c4d5e6f7788ULL

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

static void *(*next_realloc)(void *, size_t);

__attribute__((constructor)) static void init(void)
{
	next_realloc = dlsym(RTLD_NEXT, "realloc");
}

static int ours(void *p)
{
	return p && ((uint64_t *)p)[-2] == MAGIC;
}

void *malloc(size_t n)
{
	uint64_t *h = __libc_malloc(n + 16);

	if (!h)
		return NULL;
	h[0] = MAGIC;
	h[1] = n;
	return h + 2;
}

void free(void *p)
{
	if (ours(p))
		__libc_free((uint64_t *)p - 2);
	else if (p)
		__libc_free(p); /* memalign and friends: libc's own */
}

void *calloc(size_t a, size_t b)
{
	void *p;

	if (b && a > SIZE_MAX / b)
		return NULL;
	p = malloc(a * b);
	if (p)
		memset(p, 0, a * b);
	return p;
}

void *realloc(void *p, size_t n)
{
	uint64_t *h;

	if (!p)
		return malloc(n);
	if (!ours(p))
		return next_realloc(p, n);
	if (!n) {
		free(p);
		return NULL;
	}
	if (!next_realloc)
		next_realloc = dlsym(RTLD_NEXT, "realloc");
	h = next_realloc((uint64_t *)p - 2, n + 16);
	if (!h)
		return NULL;
	h[1] = n;
	return h + 2;
}
