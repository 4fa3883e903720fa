/* A target that execs: leaks 7 x 777 B and 1 MiB (written) from
 * before_exec(), prints "before"
 * and waits for SIGUSR1; then execs itself with "after", which leaks
 * 3 x 333 B from after_exec() and one 64 KiB mapping, prints "after" and
 * waits for SIGUSR1 again before it exits.  Exec frees the first image's
 * blocks with its address space: only the second image's are leaks. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *keep[16];

static void wait_usr1(const char *word)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%s\n", word);
	fflush(stdout);
	sigwait(&set, &sig);
}

__attribute__((noinline)) void before_exec(void)
{
	for (int i = 0; i < 7; i++)
		keep[i] = malloc(777); /* BEFORE_EXEC */
	keep[7] = malloc(1 << 20); /* BEFORE_EXEC_BIG: its own mapping */
	memset(keep[7], 1, 1 << 20);
}

__attribute__((noinline)) void after_exec(void)
{
	for (int i = 0; i < 3; i++)
		keep[i] = malloc(333); /* AFTER_EXEC */
	keep[3] = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* AFTER_MMAP */
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		after_exec();
		wait_usr1("after");
		return 0;
	}
	wait_usr1("ready");
	before_exec();
	wait_usr1("before");
	execl("/proc/self/exe", argv[0], "after", (char *)NULL);
	return 1;
}
