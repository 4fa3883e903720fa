/* An allocator built into the program under prefixed names, as jemalloc
 * is with --with-jemalloc-prefix=je_ (redis bundles it so): je_malloc and
 * je_free here hand each call to glibc.  Leaks 3 x 400 B from leak_je();
 * with --symbol-prefix je_ the block counts once, under je_malloc's call. */
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

__attribute__((noinline)) void *je_malloc(size_t n)
{
	return __libc_malloc(n);
}

__attribute__((noinline)) void je_free(void *p)
{
	__libc_free(p);
}

static void *keep[3];

__attribute__((noinline)) void leak_je(void)
{
	for (int i = 0; i < 3; i++)
		keep[i] = je_malloc(400); /* LEAK_JE */
}

int main(void)
{
	leak_je();
	je_free(je_malloc(50));
	return 0;
}
