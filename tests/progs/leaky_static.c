/* Statically linked: malloc lives in the executable.  3 x 700 B leaked. */
// build: -static
#include <stdlib.h>

static void *keep[3];

__attribute__((noinline)) void leak_static(void)
{
	for (int i = 0; i < 3; i++)
		keep[i] = malloc(700); /* LEAK_STATIC */
}

int main(void)
{
	leak_static();
	free(malloc(50));
	return 0;
}
