/* Prints the page frame numbers backing a file, one per line: the shmem
 * e2e test compares them across compaction to know pages really moved.
 * Maps read-only and only reads pages that exist (no allocation). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	volatile char *p;
	uint64_t ent;
	off_t off;
	int fd, pm;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) || !st.st_size)
		return 2;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (p == MAP_FAILED || pm < 0)
		return 1;
	for (off = 0; off < st.st_size; off += 4096) {
		(void)p[off];
		if (pread(pm, &ent, sizeof(ent), ((uintptr_t)p + off) / 4096 * 8) != sizeof(ent))
			return 1;
		printf("%llu\n", (unsigned long long)(ent & ((1ULL << 55) - 1)));
	}
	return 0;
}
