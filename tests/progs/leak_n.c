/* Arguments: COUNT SIZE [LABEL...].  Leaks COUNT blocks of SIZE bytes from
 * leak_n(); extra arguments (quoting tests) are leaked as strdup copies. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void leak_n(int count, size_t size)
{
	for (int i = 0; i < count; i++)
		*(void *volatile *)&(void *){ 0 } = malloc(size); /* LEAK_N */
}

__attribute__((noinline)) void leak_args(int argc, char **argv)
{
	for (int i = 3; i < argc; i++)
		*(void *volatile *)&(void *){ 0 } = strdup(argv[i]); /* LEAK_ARGS */
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	leak_n(atoi(argv[1]), strtoul(argv[2], NULL, 10));
	leak_args(argc, argv);
	return 0;
}
