/* Arguments: DELAY LIB MODE [HOLD].  Sleeps DELAY s (time to attach -p),
 * leaks 2 x 400 B from late_leak(), dlopen()s LIB; MODE "replace" then
 * deletes LIB and writes another file under its name (an upgrade under a
 * running daemon); calls the library's dl_leak() (3 x 555 B); lives HOLD
 * s more (default 0: exits right away). */
// build: -ldl
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void nap(const char *s)
{
	double d = s ? atof(s) : 0;
	struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };

	if (d > 0)
		nanosleep(&ts, NULL);
}

__attribute__((noinline)) void late_leak(void)
{
	for (int i = 0; i < 2; i++)
		*(void *volatile *)&(void *){ 0 } = malloc(400); /* LEAK_LATE */
}

int main(int argc, char **argv)
{
	void (*leak)(void);
	void *h;
	int fd;

	if (argc < 4)
		return 2;
	nap(argv[1]);
	late_leak();
	h = dlopen(argv[2], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	if (strcmp(argv[3], "replace") == 0) {
		if (unlink(argv[2]) != 0)
			return 1;
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "not the library\n", 16) != 16)
			return 1;
		close(fd);
	}
	leak = (void (*)(void))dlsym(h, "dl_leak");
	if (!leak)
		return 1;
	leak();
	nap(argc > 4 ? argv[4] : NULL);
	return 0;
}
