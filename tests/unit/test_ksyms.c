/* Unit tests: kallsyms parsing and lookup on a fixture. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sym/ksyms.h"
#include "unit.h"

UNIT_SUITE(ksyms)
{
	char path[] = "/tmp/ksyms-fixture.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct ksyms *ks;
	const struct ksym *s;

	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81000100 t do_thing\n"
	      "ffffffff81000200 D some_data\n"
	      "0000000000000000 T zero_addr\n"
	      "garbage line\n"
	      "ffffffffc0000000 t mod_func\t[mymod]\n"
	      "ffffffff81000300 T after\n", f);
	fclose(f);
	ks = ksyms_load(path);
	unlink(path);
	CHECK("ksyms loads fixture", ks != NULL);
	s = ksyms_lookup(ks, 0xffffffff81000150ULL);
	CHECK_STR("ksyms lookup inside function", "do_thing", s ? s->name : NULL);
	s = ksyms_lookup(ks, 0xffffffff81000250ULL);
	CHECK_STR("ksyms skips data symbols", "do_thing", s ? s->name : NULL);
	s = ksyms_lookup(ks, 0xffffffffc0000010ULL);
	CHECK_STR("ksyms module name", "mymod", s && s->module ? s->module : NULL);
	CHECK("ksyms below first symbol", ksyms_lookup(ks, 0x1000) == NULL);
	CHECK("ksyms_addr by name", ksyms_addr(ks, "after") == 0xffffffff81000300ULL);
	ksyms_free(ks);
}
