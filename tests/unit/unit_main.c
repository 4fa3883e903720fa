/* Unit test runner: runs every suite registered with UNIT_SUITE. */
#include "unit.h"

int unit_failures;
static struct unit_suite *suites;

void unit_register(struct unit_suite *s)
{
	s->next = suites;
	suites = s;
}

int main(void)
{
	struct unit_suite *s;

	for (s = suites; s; s = s->next)
		s->run();
	return unit_failures ? 1 : 0;
}
