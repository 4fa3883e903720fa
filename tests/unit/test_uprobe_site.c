/* Unit tests: uprobe placement over instruction bytes from glibc 2.36. */
#include "user/uprobe_site.h"
#include "unit.h"

UNIT_SUITE(uprobe_site)
{
	/* malloc: push %r12 */
	static const unsigned char malloc_[] = { 0x41, 0x54, 0x55, 0x53 };
	/* free: test %rdi,%rdi; je ... */
	static const unsigned char free_[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0 };
	/* posix_memalign: cmpb $0x0,0x140201(%rip); push %r12 */
	static const unsigned char pm[] = { 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54 };
	/* reallocarray: mov %rsi,%rax (writes a register: never skipped) */
	static const unsigned char ra[] = { 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2 };
	/* endbr64; push %rbp */
	static const unsigned char cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	/* test %rdi,%rdi at the end of the buffer: truncated */
	static const unsigned char cut[] = { 0x48, 0x85 };

	CHECK("malloc entry is a push: no skip", uprobe_fast_skip(malloc_, sizeof(malloc_)) == 0);
	CHECK("free skips test to je", uprobe_fast_skip(free_, sizeof(free_)) == 3);
	CHECK("posix_memalign skips rip-relative cmpb", uprobe_fast_skip(pm, sizeof(pm)) == 7);
	CHECK("register write is never skipped", uprobe_fast_skip(ra, sizeof(ra)) == 0);
	CHECK("endbr64 skipped", uprobe_fast_skip(cet, sizeof(cet)) == 4);
	CHECK("truncated input stays at entry", uprobe_fast_skip(cut, sizeof(cut)) == 0);
}
