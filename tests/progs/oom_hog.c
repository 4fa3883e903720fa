/* OOM test subject: sets its own oom_score_adj, optionally joins a cgroup,
 * then touches MIB mebibytes of anonymous memory page by page (so the
 * memcg charge, not the mmap, hits the limit) and waits to be killed.
 *   oom_hog ADJ MIB [CGROUP_PROCS_FILE]
 * Prints "ready PID" on stdout once the memory is touched (or "hold PID"
 * while waiting); exits 0 only if it survived, which the tests treat as
 * failure to provoke the OOM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f) {
		perror(path);
		return -1;
	}
	ok = fputs(text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		perror(path);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char buf[32];
	size_t len, off;
	char *p;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ADJ MIB [CGROUP_PROCS_FILE]\n", argv[0]);
		return 2;
	}
	if (write_file("/proc/self/oom_score_adj", argv[1]))
		return 1;
	if (argc > 3) {
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		if (write_file(argv[3], buf))
			return 1;
	}
	len = strtoul(argv[2], NULL, 10) << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("ready %d\n", getpid());
	fflush(stdout);
	pause();
	return 0;
}
