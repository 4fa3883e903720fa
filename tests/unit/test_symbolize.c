/* Unit tests: symbolizing this very binary (built -O2 -g, so the inlining
 * below is real): function, file, line, inlined frames; demangling. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf_util.h"
#include "sym/symbolize.h"
#include "unit.h"

static unsigned long long load_bias;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	load_bias = info->dlpi_addr; /* the executable comes first */
	return 1;
}

__attribute__((noinline)) void *unit_where(void)
{
	return __builtin_return_address(0);
}

static int inlined_line;
static inline __attribute__((always_inline)) void *unit_inlined(void)
{
	inlined_line = __LINE__ + 1;
	return unit_where();
}

static int caller_line;
__attribute__((noinline)) void *unit_caller(void)
{
	void *p;

	caller_line = __LINE__ + 1;
	p = unit_inlined();
	asm volatile("" ::: "memory");
	return p;
}

UNIT_SUITE(symbolize)
{
	struct sym_module *m = sym_module_open("/proc/self/exe");
	struct sym_frame f[SYM_MAX_INLINE];
	unsigned long long ret;
	char *d;
	int n;

	CHECK("open own executable", m != NULL);
	dl_iterate_phdr(first_object, NULL);
	ret = (unsigned long long)unit_caller() - load_bias;
	n = sym_module_lookup(m, ret, true, f, SYM_MAX_INLINE);
	CHECK("inlined frame first, then its caller", n == 2);
	if (n == 2) {
		CHECK_STR("inlined function name", "unit_inlined", f[0].function);
		CHECK("inlined flag", f[0].inlined && !f[1].inlined);
		CHECK("inlined frame line", f[0].line == inlined_line);
		CHECK_STR("caller name", "unit_caller", f[1].function);
		CHECK("caller line is the inlined call site", f[1].line == caller_line);
		CHECK("file name", f[1].file && strstr(f[1].file, "test_symbolize.c") != NULL);
	}
	CHECK("PIE: file offset 0 is vaddr 0", sym_module_vaddr(m, 0) == 0);
	n = sym_module_lookup(m, 1, true, f, SYM_MAX_INLINE);
	CHECK("address with nothing there", n == 0);
	sym_module_close(m);
	CHECK("open missing file fails", sym_module_open("/nonexistent") == NULL);

	/* From a descriptor of a file deleted since (a library replaced on
	 * disk under a running process): still symbolized, with the name
	 * given for it; the descriptor stays the caller's. */
	{
		char tmpl[] = "/tmp/unit-symbolize-XXXXXX", buf[65536];
		int in = open("/proc/self/exe", O_RDONLY), out = mkstemp(tmpl), fd;
		ssize_t got;
		bool copied = in >= 0 && out >= 0;

		while (copied && (got = read(in, buf, sizeof(buf))) > 0)
			copied = write(out, buf, got) == got;
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		fd = open(tmpl, O_RDONLY);
		unlink(tmpl);
		CHECK("copy of own executable", copied && fd >= 0);
		m = fd >= 0 ? sym_module_open_fd(fd, "/gone/unit_tests") : NULL;
		CHECK("open a deleted file by descriptor", m != NULL);
		n = m ? sym_module_lookup(m, ret, true, f, SYM_MAX_INLINE) : 0;
		CHECK("deleted file: caller named", n == 2 && f[1].function && !strcmp(f[1].function, "unit_caller"));
		CHECK("deleted file: has debug info", sym_module_has_debuginfo(m));
		sym_module_close(m);
		CHECK("descriptor still the caller's", fd >= 0 && fcntl(fd, F_GETFD) >= 0);
		if (fd >= 0)
			close(fd);
	}
	d = sym_demangle("_ZN5store5Cache4growEm");
	CHECK_STR("demangle C++", "store::Cache::grow(unsigned long)", d);
	free(d);
	CHECK("C names are not demangled", sym_demangle("malloc") == NULL);
	CHECK("bad mangling rejected", sym_demangle("_Zxx") == NULL);
}
