/* Loaded with dlopen by dlopener: leaks 3 x 555 B from dl_leak(). */
// build: -shared -fPIC
#include <stdlib.h>

void *dl_keep[3];

__attribute__((noinline)) void dl_leak(void)
{
	for (int i = 0; i < 3; i++)
		dl_keep[i] = malloc(555); /* LEAK_DL */
}
