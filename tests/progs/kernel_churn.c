/* Syscall/allocation-heavy workload for scripts/bench-kernel: WORKERS
 * processes each loop over open/close of /dev/null, socket/close (AF_UNIX
 * and AF_INET UDP) and pipe/close for SECONDS, then the parent prints the
 * total rounds per second.  Every round allocates and frees files, dentries,
 * inodes, socket objects and pipe buffers: kmalloc and kmem_cache traffic.
 *   kernel_churn SECONDS [WORKERS]   (default 2 workers, one per CPU) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0, start;
	int workers = argc > 2 ? atoi(argv[2]) : 2, i;
	unsigned long long *rounds, total = 0;

	if (secs <= 0 || workers <= 0 || workers > 64) {
		fprintf(stderr, "usage: kernel_churn SECONDS [WORKERS]\n");
		return 2;
	}
	rounds = mmap(NULL, workers * sizeof(*rounds), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rounds == MAP_FAILED)
		return 1;
	start = now();
	for (i = 0; i < workers; i++) {
		if (fork() == 0) {
			unsigned long long n = 0;
			int p[2];

			while (now() - start < secs) {
				close(open("/dev/null", O_RDONLY));
				close(socket(AF_UNIX, SOCK_STREAM, 0));
				close(socket(AF_INET, SOCK_DGRAM, 0));
				if (pipe(p) == 0) {
					close(p[0]);
					close(p[1]);
				}
				n++;
			}
			rounds[i] = n;
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	for (i = 0; i < workers; i++)
		total += rounds[i];
	printf("%.0f rounds/s\n", total / (now() - start));
	return 0;
}
