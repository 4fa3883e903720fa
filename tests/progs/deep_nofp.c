/* Built -O2 without frame pointers: only .eh_frame unwinding recovers the
 * chain main -> level1 -> level2 -> level3 -> leaf.  leaf leaks 4 x 333 B. */
// build: -O2 -fomit-frame-pointer -fno-optimize-sibling-calls
#include <stdlib.h>

void *volatile sink[8];

__attribute__((noinline)) void leaf(int i)
{
	char buf[64];

	buf[i & 63] = (char)i; /* a stack frame of its own */
	sink[i] = malloc(333 + (buf[i & 63] & 0)); /* LEAK_LEAF */
}

__attribute__((noinline)) void level3(int i) { leaf(i); asm volatile(""); }
__attribute__((noinline)) void level2(int i) { level3(i); asm volatile(""); }
__attribute__((noinline)) void level1(int i) { level2(i); asm volatile(""); }

int main(void)
{
	for (int i = 0; i < 4; i++)
		level1(i);
	return 0;
}
