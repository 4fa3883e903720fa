/* Holds known kernel allocations for the kernel-mode tests.
 *   kernel_hold N [ROUNDS]
 * Prints "waiting PID", then on each SIGUSR1 moves to the next step:
 *   1. opens N eventfds, N pipes, N AF_UNIX sockets and starts N threads
 *      parked in read() (each a vmalloc'ed kernel stack): prints "held"
 *   2. closes everything and joins the threads: prints "released"
 *   (1 and 2 again, ROUNDS times in all; default 1)
 *   3. exits.
 * Before the N threads it starts EXTRA drainer threads: the kernel keeps a
 * few freed thread stacks per CPU and hands them out before vmalloc'ing new
 * ones; the drainers take those, so each of the N threads gets a fresh
 * stack the tracer sees.  They are released with the rest. */
// build: -lpthread
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXTRA 8 /* >= 2 cached stacks per CPU on the test machines */

static void *parked(void *arg)
{
	int fd = *(int *)arg;
	char c;

	/* Returns when the write end closes. */
	while (read(fd, &c, 1) > 0)
		;
	return NULL;
}

static void wait_usr1(const sigset_t *set)
{
	int sig;

	sigwait(set, &sig);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, rounds = argc > 2 ? atoi(argv[2]) : 1, i, nthreads;
	int *efd, (*pipes)[2], *sock, (*parks)[2], r;
	pthread_t *threads;
	pthread_attr_t attr;
	sigset_t set;

	if (n <= 0 || n > 10000 || rounds <= 0) {
		fprintf(stderr, "usage: kernel_hold N (1..10000) [ROUNDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	efd = calloc(n, sizeof(*efd));
	pipes = calloc(n, sizeof(*pipes));
	sock = calloc(n, sizeof(*sock));
	threads = calloc(n + EXTRA, sizeof(*threads));
	/* Each round's park pipe, made before tracing starts: the rounds
	 * then hold exactly N pipes. */
	parks = calloc(rounds, sizeof(*parks));
	if (!efd || !pipes || !sock || !threads || !parks)
		return 1;
	for (i = 0; i < rounds; i++)
		if (pipe(parks[i]))
			return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);

	printf("waiting %d\n", getpid());
	for (r = 0; r < rounds; r++) {
		wait_usr1(&set);
		nthreads = 0;
		for (i = 0; i < n + EXTRA; i++)
			if (pthread_create(&threads[nthreads], &attr, parked, &parks[r][0]) == 0)
				nthreads++;
		for (i = 0; i < n; i++) {
			efd[i] = eventfd(0, 0);
			if (pipe(pipes[i]))
				pipes[i][0] = pipes[i][1] = -1;
			sock[i] = socket(AF_UNIX, SOCK_STREAM, 0);
			if (efd[i] < 0 || pipes[i][0] < 0 || sock[i] < 0) {
				perror("kernel_hold: open");
				return 1;
			}
		}
		printf("held %d threads\n", nthreads);

		wait_usr1(&set);
		for (i = 0; i < n; i++) {
			close(efd[i]);
			close(pipes[i][0]);
			close(pipes[i][1]);
			close(sock[i]);
		}
		close(parks[r][1]);
		for (i = 0; i < nthreads; i++)
			pthread_join(threads[i], NULL);
		close(parks[r][0]);
		printf("released\n");
	}

	wait_usr1(&set);
	free(efd);
	free(pipes);
	free(sock);
	free(threads);
	free(parks);
	return 0;
}
