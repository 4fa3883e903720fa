/* Address space outside malloc: partial munmap, mremap, brk.
 *  - split: 4 pages mapped, the 2nd unmapped -> 3 pages in 2 pieces
 *  - moved: 1 page mremapped to 3 pages -> 3 pages
 *  - heap_brk: sbrk(+12288) then sbrk(-4096) -> 8192 bytes
 * Totals outside malloc: mmap 12288 + mremap 12288 + brk 8192. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) void split(void)
{
	char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK_SPLIT */
	munmap(p + 4096, 4096);
}

__attribute__((noinline)) void moved(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK_MOVED */
	p = mremap(p, 4096, 3 * 4096, MREMAP_MAYMOVE);
	p[0] = 1;
}

__attribute__((noinline)) void heap_brk(void)
{
	sbrk(12288); /* LEAK_BRK */
	sbrk(-4096);
}

int main(void)
{
	split();
	moved();
	heap_brk();
	return 0;
}
