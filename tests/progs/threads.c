/* 4 threads, each leaks 25 blocks of 4096 bytes from thread_leak():
 * 100 blocks, 409600 bytes; each thread also frees 1000 blocks. */
// build: -pthread
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define LEAKS 25

__attribute__((noinline)) static void *thread_leak(void)
{
	return malloc(4096); /* LEAK_THREAD */
}

static void *worker(void *arg)
{
	void **keep = arg;

	for (int i = 0; i < 1000; i++)
		free(malloc(64 + i));
	for (int i = 0; i < LEAKS; i++)
		keep[i] = thread_leak();
	return NULL;
}

int main(void)
{
	static void *keep[THREADS][LEAKS];
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, keep[i]);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
