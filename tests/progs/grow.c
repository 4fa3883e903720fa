/* Ground truth for `memleakbpf growth`.  Arguments: MIB CHURN_MIB.
 * Waits for SIGUSR1 (sigwait) before each phase, printing the phase's name
 * once done, so a test can take reports between phases:
 *   1. grow_heap() writes MIB MiB of 64 KiB malloc'd blocks, a store per
 *      page (GROW_HEAP), kept; churn() mallocs, writes and frees CHURN_MIB
 *      MiB of 32 KiB blocks; grow_mapped() writes 8 MiB of an anonymous
 *      mapping (GROW_MAPPED), 8 MiB of another (GROW_ADVISED) and 4 MiB
 *      of a third (GROW_MOVED), which mremap then moves to a 16 MiB range
 *      -> "grown"
 *   2. frees the heap blocks (trimmed by brk), munmaps the first mapping,
 *      madvise(MADV_DONTNEED)s the second -> "freed"
 *   3. exits (the moved mapping is held to the end). */
#define _GNU_SOURCE
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define BLOCK (64 << 10)

static char **blocks;
static size_t nblocks;
static char *mapped, *advised, *moved;

static void phase(const char *name)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (name) {
		printf("%s\n", name);
		fflush(stdout);
	}
	sigwait(&set, &sig);
}

__attribute__((noinline)) void grow_heap(size_t mib)
{
	size_t i, off;

	nblocks = mib * (1 << 20) / BLOCK;
	blocks = calloc(nblocks, sizeof(*blocks));
	for (i = 0; i < nblocks; i++) {
		blocks[i] = malloc(BLOCK);
		for (off = 0; off < BLOCK; off += PAGE)
			((volatile char *)blocks[i])[off] = 1; /* GROW_HEAP */
	}
}

__attribute__((noinline)) void churn(size_t mib)
{
	size_t i, n = mib * (1 << 20) / (32 << 10);

	for (i = 0; i < n; i++) {
		char *p = malloc(32 << 10);

		memset(p, 2, 32 << 10);
		free(p);
	}
}

/* len bytes read-write at a 2 MiB boundary, between PROT_NONE guards: a
 * mapping of its own (never merged with its neighbour), whose transparent
 * huge pages (THP "always": Debian's kernels) hold its own pages only. */
static char *map_rw(size_t len)
{
	const size_t huge = 2 << 20;
	char *p = mmap(NULL, len + 2 * huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((unsigned long)p + huge) & ~(huge - 1));
	return mprotect(a, len, PROT_READ | PROT_WRITE) ? NULL : a;
}

__attribute__((noinline)) void grow_mapped(void)
{
	size_t off;

	mapped = map_rw(8 << 20);
	advised = map_rw(8 << 20);
	moved = map_rw(4 << 20);
	if (!mapped || !advised || !moved)
		exit(1);
	for (off = 0; off < (8 << 20); off += PAGE)
		((volatile char *)mapped)[off] = 1; /* GROW_MAPPED */
	for (off = 0; off < (8 << 20); off += PAGE)
		((volatile char *)advised)[off] = 1; /* GROW_ADVISED */
	for (off = 0; off < (4 << 20); off += PAGE)
		((volatile char *)moved)[off] = 1; /* GROW_MOVED */
	moved = mremap(moved, 4 << 20, 16 << 20, MREMAP_MAYMOVE);
	if (moved == MAP_FAILED)
		exit(1);
}

int main(int argc, char **argv)
{
	sigset_t set;
	size_t i;

	if (argc < 3)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	phase(NULL);
	grow_heap(strtoul(argv[1], NULL, 10));
	churn(strtoul(argv[2], NULL, 10));
	grow_mapped();
	phase("grown");
	for (i = 0; i < nblocks; i++)
		free(blocks[i]);
	free(blocks);
	malloc_trim(0);
	munmap(mapped, 8 << 20);
	madvise(advised, 8 << 20, MADV_DONTNEED);
	phase("freed");
	return moved[0] == 1 ? 0 : 1;
}
