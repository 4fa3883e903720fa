/* Workloads for scripts/bench-shmem; prints "wall_ns cpu_ns" of the work
 * alone (file creation and removal are outside the timing).
 *   shmem_bench write PATH BYTES   4 KiB write() calls
 *   shmem_bench fault PATH BYTES   stores into a MAP_SHARED mapping, one
 *                                  page fault (and shmem page) per page */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	long long size, i, w0, c0;
	char *p = NULL;
	int fd;

	if (argc != 4)
		return 2;
	size = atoll(argv[3]);
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 1;
	memset(buf, 'x', sizeof(buf));
	if (strcmp(argv[1], "fault") == 0) {
		if (ftruncate(fd, size))
			return 1;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 1;
	}
	w0 = ns(CLOCK_MONOTONIC);
	c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < size; i += 4096) {
		if (p)
			p[i] = 1;
		else if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 1;
	}
	printf("%lld %lld\n", ns(CLOCK_MONOTONIC) - w0, ns(CLOCK_PROCESS_CPUTIME_ID) - c0);
	return 0;
}
