/* Page-touching workload for scripts/bench-growth: maps 2 MiB of anonymous
 * memory, writes one byte per 4 KiB page (a page fault each), unmaps it,
 * for -d SECONDS (default 2).
 *   -w  print "ready PID", wait for SIGUSR1 before the timed phase (a
 *       tracer attaches by pid meanwhile)
 * Prints: result pages=N seconds=S ns_per_page=X cpu_ns_per_page=C
 * (C: this thread's CPU time, the faults' kernel work and any BPF program
 * run in them included). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAP (2 << 20)
#define PAGE 4096

static double now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = 2, t0, c0, t;
	unsigned long long pages = 0;
	int opt, sig, wait = 0;
	sigset_t set;

	while ((opt = getopt(argc, argv, "wd:")) != -1) {
		if (opt == 'w')
			wait = 1;
		else if (opt == 'd')
			seconds = atof(optarg);
		else
			return 2;
	}
	if (wait) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		sigwait(&set, &sig);
	}
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	do {
		/* 16 maps between clock reads: the clock is not what is timed */
		for (int k = 0; k < 16; k++) {
			char *p = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return 1;
			/* 4 KiB faults, not one huge page per map (THP) */
			madvise(p, MAP, MADV_NOHUGEPAGE);
			for (size_t off = 0; off < MAP; off += PAGE)
				((volatile char *)p)[off] = 1;
			munmap(p, MAP);
			pages += MAP / PAGE;
		}
		t = now(CLOCK_MONOTONIC) - t0;
	} while (t < seconds);
	printf("result pages=%llu seconds=%.6f ns_per_page=%.1f cpu_ns_per_page=%.1f\n", pages, t,
	       t * 1e9 / pages, (now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9 / pages);
	return 0;
}
