/* memleakbpf growth -a: resident growth of every process (growth_all.c). */
#ifndef MEMLEAKBPF_GROWTH_ALL_H
#define MEMLEAKBPF_GROWTH_ALL_H

#include "modes.h"
#include "user/user_options.h"

/* The loop of growth -a on parsed options; an exit status. */
int growth_all_run(const struct user_env *env, struct mode_sink *sink);

#endif
