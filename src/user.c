/* placeholder: user-space leak tracing (issue 2) */
#include "common.h"
#include "modes.h"

int cmd_user(int argc, char **argv)
{
	err_msg("user mode not built yet");
	return EXIT_RUNTIME;
}
