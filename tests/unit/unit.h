/* Tiny unit-test harness: each CHECK prints "PASS: name" or "FAIL: name". */
#ifndef MEMLEAKBPF_UNIT_H
#define MEMLEAKBPF_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failures;

#define CHECK(name, cond)                                                     \
	do {                                                                  \
		if (cond) {                                                   \
			printf("PASS: unit: %s\n", name);                     \
		} else {                                                      \
			printf("FAIL: unit: %s (%s:%d: %s)\n", name, __FILE__, \
			       __LINE__, #cond);                              \
			unit_failures++;                                      \
		}                                                             \
	} while (0)

#define CHECK_STR(name, want, got)                                            \
	do {                                                                  \
		const char *w_ = (want), *g_ = (got);                         \
		if (w_ && g_ && strcmp(w_, g_) == 0) {                        \
			printf("PASS: unit: %s\n", name);                     \
		} else {                                                      \
			printf("FAIL: unit: %s (want '%s', got '%s')\n", name, \
			       w_ ? w_ : "(null)", g_ ? g_ : "(null)");       \
			unit_failures++;                                      \
		}                                                             \
	} while (0)

/* A suite registers itself before main runs, so test files never edit a
 * shared list:  UNIT_SUITE(json) { CHECK(...); }  */
struct unit_suite {
	const char *name;
	void (*run)(void);
	struct unit_suite *next;
};
void unit_register(struct unit_suite *s);

#define UNIT_SUITE(sname)                                                     \
	static void unit_run_##sname(void);                                   \
	static struct unit_suite unit_suite_##sname = { #sname, unit_run_##sname, 0 }; \
	__attribute__((constructor)) static void unit_reg_##sname(void)        \
	{                                                                     \
		unit_register(&unit_suite_##sname);                           \
	}                                                                     \
	static void unit_run_##sname(void)

#endif
