/* dlopen()s the library named in argv[1] (not known before it runs) and
 * calls its dl_leak(): 3 x 555 B. */
// build: -ldl
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	void (*leak)(void);

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	leak = (void (*)(void))dlsym(h, "dl_leak");
	if (!leak)
		return 1;
	leak();
	return 0;
}
