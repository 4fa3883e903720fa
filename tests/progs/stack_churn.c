/* Many distinct allocation stacks, used once and then idle: the test of
 * stack pruning (a long run must not fill --max-stacks).
 *   stack_churn LEVELS
 * A path of LEVELS calls, each through left() or right(), reaches malloc:
 * 2^LEVELS distinct stacks.  Prints "waiting PID", then on each SIGUSR1:
 *   1. one 64-byte block from every path of phase_one(), freed at once:
 *      prints "churned"
 *   2. one 100-byte block from every path of phase_two(), held: prints
 *      "held" (ground truth: 2^LEVELS blocks, 100 * 2^LEVELS bytes, every
 *      stack through phase_two)
 *   3. exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *walk(unsigned int bits, int level, size_t size);

__attribute__((noinline)) static void *left(unsigned int bits, int level, size_t size)
{
	return walk(bits, level, size);
}

__attribute__((noinline)) static void *right(unsigned int bits, int level, size_t size)
{
	return walk(bits, level, size);
}

__attribute__((noinline)) static void *walk(unsigned int bits, int level, size_t size)
{
	if (level == 0)
		return malloc(size);
	return bits & 1 ? right(bits >> 1, level - 1, size) : left(bits >> 1, level - 1, size);
}

__attribute__((noinline)) static void phase_one(int levels)
{
	for (unsigned int b = 0; b < 1U << levels; b++)
		free(walk(b, levels, 64));
}

__attribute__((noinline)) static void **phase_two(int levels)
{
	void **held = calloc(1U << levels, sizeof(*held));

	for (unsigned int b = 0; held && b < 1U << levels; b++)
		held[b] = walk(b, levels, 100);
	return held;
}

int main(int argc, char **argv)
{
	int levels = argc > 1 ? atoi(argv[1]) : 8, sig;
	sigset_t set;
	void **held;

	if (levels < 1 || levels > 16) {
		fprintf(stderr, "usage: stack_churn LEVELS (1-16)\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("waiting %d\n", getpid());
	sigwait(&set, &sig);
	phase_one(levels);
	printf("churned\n");
	sigwait(&set, &sig);
	held = phase_two(levels);
	printf("held\n");
	sigwait(&set, &sig);
	free(held);
	return 0;
}
