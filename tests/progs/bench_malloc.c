// build: -O2 -fno-omit-frame-pointer -pthread
/* Benchmark workload for scripts/bench-user: a malloc/free-heavy loop with
 * a known leak.  Each thread keeps a pool of live blocks (random sizes
 * 16..4096) and replaces a random one per step, so frees do not simply
 * follow their malloc; every LEAK_EVERY-th block comes from leak_alloc()
 * and is never freed.  After the timed phase the pool is freed, so what
 * stays outstanding is exactly the leaked blocks (plus libc's own few
 * allocations), and every leaked block has leak_alloc in its stack.
 *
 *   bench_malloc [-t THREADS] [-d SECONDS | -n PAIRS] [-l LEAK_EVERY]
 *                [-s SEED] [-w] [-H]
 *   -w  wait for SIGUSR1 before the timed phase (a tracer attaches by pid
 *       meanwhile) and, after printing the result, for SIGUSR1/SIGTERM/
 *       SIGINT before exiting (the tracer takes its last report)
 *   -H  after the result, wait for SIGUSR1/SIGTERM/SIGINT (no start wait)
 *
 * Prints one line (stdout, flushed):
 *   result threads=T pairs=N seconds=S ns_per_pair=X cpu_ns_per_pair=C
 *          pairs_per_s=Y leaked_blocks=K leaked_bytes=B
 * pairs counts malloc calls (each freed or leaked); ns_per_pair is thread
 * time per pair (seconds * threads / pairs), comparable across thread
 * counts; cpu_ns_per_pair the same from the threads' CPU clocks (uprobe
 * traps and BPF programs run in the thread, so they count; time other
 * processes take from a shared machine does not); pairs_per_s is the
 * aggregate throughput.  With -w it first
 * prints "ready PID" once the start signal can be sent. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL 64
#define MIN_SIZE 16
#define MAX_SIZE 4096

struct worker {
	pthread_t tid;
	uint64_t seed;
	uint64_t limit;		/* pairs to do; 0 = until stop */
	uint64_t pairs;
	uint64_t leaked_blocks;
	uint64_t leaked_bytes;
	double cpu;		/* thread CPU seconds in the loop */
};

static volatile int stop;
static unsigned long leak_every = 1000;

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Separate, non-inlined call sites: tracers report the leak under
 * leak_alloc and the churn under pool_alloc. */
__attribute__((noinline)) static void *pool_alloc(size_t size)
{
	void *p = malloc(size);

	if (p)
		*(volatile char *)p = 1;
	return p;
}

__attribute__((noinline)) static void *leak_alloc(size_t size)
{
	void *p = malloc(size);

	if (p)
		*(volatile char *)p = 2;
	return p;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* Returns the signal taken: SIGUSR1 goes on, SIGTERM/SIGINT mean quit. */
static void *run(void *arg)
{
	struct worker *w = arg;
	void *pool[POOL] = { 0 };
	uint64_t n = 0;
	double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	int i;

	while (w->limit ? n < w->limit : !stop) {
		uint64_t r = xorshift(&w->seed);
		size_t size = MIN_SIZE + (r >> 8) % (MAX_SIZE - MIN_SIZE + 1);

		n++;
		if (n % leak_every == 0) {
			void *p = leak_alloc(size);

			if (!p)
				break;
			/* p is dropped here: this is the leak. */
			w->leaked_blocks++;
			w->leaked_bytes += size;
			continue;
		}
		i = r % POOL;
		free(pool[i]);
		pool[i] = pool_alloc(size);
		if (!pool[i])
			break;
	}
	for (i = 0; i < POOL; i++)
		free(pool[i]);
	w->pairs = n;
	w->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return NULL;
}

static int wait_signal(sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	return sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_malloc [-t THREADS] [-d SECONDS | -n PAIRS] "
		"[-l LEAK_EVERY] [-s SEED] [-w] [-H]\n");
}

int main(int argc, char **argv)
{
	unsigned long threads = 1, pairs = 0, seed = 1;
	double seconds = 2, t0, t1;
	int opt, wait_start = 0, hold = 0;
	struct worker *w;
	uint64_t total = 0, lb = 0, lbytes = 0;
	double cpu = 0;
	sigset_t set;
	unsigned long i;

	while ((opt = getopt(argc, argv, "t:d:n:l:s:wHh")) != -1) {
		char *end;

		errno = 0;
		switch (opt) {
		case 't': threads = strtoul(optarg, &end, 10); break;
		case 'd': seconds = strtod(optarg, &end); break;
		case 'n': pairs = strtoul(optarg, &end, 10); break;
		case 'l': leak_every = strtoul(optarg, &end, 10); break;
		case 's': seed = strtoul(optarg, &end, 10); break;
		case 'w': wait_start = hold = 1; continue;
		case 'H': hold = 1; continue;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (errno || *end || end == optarg) {
			fprintf(stderr, "bench_malloc: bad value for -%c: %s\n", opt, optarg);
			return 2;
		}
	}
	if (threads < 1 || threads > 256 || leak_every < 1 || seconds <= 0 || seed == 0) {
		usage(stderr);
		return 2;
	}

	/* Block the control signals in every thread; the main thread takes
	 * them with sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	w = calloc(threads, sizeof(*w));
	if (!w)
		return 1;
	if (wait_start) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (wait_signal(&set) != SIGUSR1)
			return 0;
	}

	t0 = now();
	for (i = 0; i < threads; i++) {
		/* Distinct, fixed seeds: identical work with or without a tracer. */
		w[i].seed = seed * 0x9E3779B97F4A7C15ull + i + 1;
		w[i].limit = pairs ? pairs / threads + (i < pairs % threads) : 0;
		if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "bench_malloc: pthread_create failed\n");
			return 1;
		}
	}
	if (!pairs) {
		/* Sleep out the run, but a SIGTERM/SIGINT ends it at once. */
		double end = t0 + seconds, left;

		while ((left = end - now()) > 0) {
			struct timespec ts = { (time_t)left,
					       (long)((left - (time_t)left) * 1e9) };
			int sig = sigtimedwait(&set, NULL, &ts);

			if (sig == SIGTERM || sig == SIGINT) {
				hold = 0;
				break;
			}
		}
		stop = 1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].pairs;
		lb += w[i].leaked_blocks;
		lbytes += w[i].leaked_bytes;
		cpu += w[i].cpu;
	}
	t1 = now();

	printf("result threads=%lu pairs=%llu seconds=%.6f ns_per_pair=%.1f "
	       "cpu_ns_per_pair=%.1f pairs_per_s=%.0f leaked_blocks=%llu "
	       "leaked_bytes=%llu\n",
	       threads, (unsigned long long)total, t1 - t0,
	       total ? (t1 - t0) * threads * 1e9 / total : 0.0,
	       total ? cpu * 1e9 / total : 0.0,
	       (t1 - t0) > 0 ? total / (t1 - t0) : 0.0,
	       (unsigned long long)lb, (unsigned long long)lbytes);
	fflush(stdout);
	free(w);
	if (hold)
		wait_signal(&set);
	return 0;
}
