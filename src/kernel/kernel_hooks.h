/* Kernel mode's hook table: hook -> program -> kinds, and vmalloc's fallbacks. */

/* probe/ answers the kernel questions; the choice is made here. */
#ifndef MEMLEAKBPF_KERNEL_HOOKS_H
#define MEMLEAKBPF_KERNEL_HOOKS_H

#include <stdbool.h>

struct kmem_bpf;
struct bpf_program;
struct bpf_link;
struct kernel_hook_def;

#define KERNEL_MAX_HOOKS 17

/* One hook of the table, bound to a skeleton. */
struct kernel_hook {
	const char *name;		/* in -v lines and recursion misses */
	struct bpf_program *prog;
	struct bpf_link **link;		/* where its link goes */
	const char *kfunc;		/* kprobes: the function attached to */
	bool used;
	const struct kernel_hook_def *def;
};

/* Binds the table to SKEL in HOOKS (KERNEL_MAX_HOOKS of room) and decides
 * every hook before load: a kind whose tracepoint this kernel lacks is
 * dropped with a reason rather than sinking the whole object; vmalloc by
 * fexit/fentry, else kretprobe/kprobe, else the vmap-area tracepoints,
 * else not at all; --exact-stacks turns the syscall hooks off.  Programs
 * not used are not loaded.  -v says every decision.  *kinds: in, the kinds
 * asked for; out, the kinds traced; *missing: those this kernel cannot
 * trace.  Returns the number of hooks, or a negative errno after one
 * error line. */
int kernel_hooks_select(struct kmem_bpf *skel, struct kernel_hook *hooks, unsigned int *kinds,
			bool exact_stacks, unsigned int *missing);
/* Attaches every used hook after load; one error line naming the hook and
 * a negative errno when one cannot be. */
int kernel_hooks_attach(struct kernel_hook *hooks, int n);

#endif
