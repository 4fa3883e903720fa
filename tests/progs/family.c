/* A process that forks 3 children; each of the 4 waits for SIGUSR1, then
 * leaks (i + 1) blocks of 100000 B, written, from family_leak() (i: 0 for
 * the parent, 1..3 for the children), prints "leaked I PID", waits for
 * SIGUSR1 again and exits (the parent after its children). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void wait_usr1(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
}

__attribute__((noinline)) void family_leak(int i)
{
	for (int k = 0; k <= i; k++) {
		char *p = malloc(100000); /* FAMILY_LEAK */

		memset(p, k + 1, 100000);
		*(void *volatile *)&(void *){ 0 } = p;
	}
}

int main(void)
{
	sigset_t set;
	int i = 0, c;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (c = 1; c <= 3; c++)
		if (fork() == 0) {
			i = c;
			break;
		}
	wait_usr1();
	family_leak(i);
	printf("leaked %d %d\n", i, (int)getpid());
	wait_usr1();
	if (i == 0)
		while (wait(NULL) > 0)
			;
	return 0;
}
