/* Benchmark load for scripts/bench-oom: fork N children that exit at once
 * (every exit runs oom's sched_process_exit program) and print the mean
 * fork+exit+wait time in microseconds.
 *   oom_forkloop N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long i, n = argc > 1 ? atol(argv[1]) : 2000;
	double us;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
			perror("fork/wait");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
	printf("%.2f\n", us);
	return 0;
}
