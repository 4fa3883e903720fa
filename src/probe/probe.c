/* Kernel feature probes (see probe.h). */
#define _GNU_SOURCE /* unshare() */
#include "probe/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/common.h"
#include "probe/uprobe_multi.h"

/* Silence libbpf while probing: failures are the expected answer here. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

bool probe_fentry(const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },                         /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	int id, fd, link;

	id = libbpf_find_vmlinux_btf_id(func, BPF_TRACE_FENTRY);
	libbpf_set_print(old);
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "probe_fentry", "GPL", insns,
			   ARRAY_SIZE(insns), &opts);
	if (fd < 0)
		return false;
	/* Loading is not enough: 6.1's x86 trampoline refuses functions with
	 * more than 6 arguments (__vmalloc_node_range has 9) only at attach,
	 * with ENOTSUPP.  An empty program attached for an instant is harmless. */
	link = bpf_raw_tracepoint_open(NULL, fd);
	close(fd);
	if (link < 0)
		return false;
	close(link);
	return true;
}

static bool kallsyms_has(const char *func)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*c %255s", name) == 1 && strcmp(name, func) == 0)
			found = true;
	fclose(f);
	return found;
}

bool probe_kprobe(const char *func)
{
	/* Without CONFIG_KPROBES there is no kprobe PMU to open. */
	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) != 0)
		return false;
	return kallsyms_has(func);
}


bool ensure_tracefs(void)
{
	/* AT_EACCESS: with capabilities and no root uid (CAP_DAC_READ_SEARCH
	 * for the 0700 tracefs), plain access() checks the real uid and says
	 * no to a directory we can read. */
	if (faccessat(AT_FDCWD, "/sys/kernel/tracing/events", R_OK | X_OK, AT_EACCESS) == 0 ||
	    faccessat(AT_FDCWD, "/sys/kernel/debug/tracing/events", R_OK | X_OK, AT_EACCESS) == 0)
		return true;
	/* Classic tracepoints are found by their tracefs id; some systems
	 * boot without tracefs mounted.  Mount it for the run in a mount
	 * namespace of our own, so that it is gone when we are, even after
	 * SIGKILL, and nobody else sees it.  A -c command was forked before
	 * and stays in the caller's namespace. */
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		vlog(1, "cannot make a private mount namespace for tracefs: %s", strerror(errno));
		return false;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) {
		vlog(1, "cannot mount tracefs at /sys/kernel/tracing: %s", strerror(errno));
		return false;
	}
	vlog(1, "mounted tracefs at /sys/kernel/tracing for this run (private mount namespace)");
	return true;
}

void release_tracefs(void)
{
	/* Nothing to undo: the mount lives in our private namespace. */
}

void probe_report(const char *what, const char *how, const char *why)
{
	vlog(1, "hook %s: %s%s%s%s", what, how, why ? " (" : "", why ? why : "", why ? ")" : "");
}

bool probe_uprobe_multi(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },                         /* exit */
	};
	/* BPF_TRACE_UPROBE_MULTI (Linux 6.6).  Loading is not a test: before
	 * 6.6 a kprobe program's expected_attach_type is not checked, so 6.1
	 * loads it and only refuses the link.  Creating a link on "/" (not a
	 * regular file) fails with EBADF where uprobe_multi links exist and
	 * with EINVAL where the attach type is unknown, without probing
	 * anything (libbpf's own probe does the same). */
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = ML_BPF_TRACE_UPROBE_MULTI);
	unsigned long offset = 0;
	int fd, link;

	/* Tests force the per-probe path that older kernels take. */
	if (getenv("MEMLEAKBPF_NO_UPROBE_MULTI"))
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probe_umulti", "GPL", insns, ARRAY_SIZE(insns), &opts);
	if (fd < 0)
		return false;
	link = uprobe_multi_attach(fd, "/", &offset, NULL, 1, 0, false);
	if (link >= 0)
		close(link);
	close(fd);
	return link == -EBADF;
}

const char *probe_fentry_any(const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (probe_fentry(names[i]))
			return names[i];
	return NULL;
}

/* Follows typedefs and modifiers to the underlying type id. */
static __u32 skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

bool probe_btf_struct(const char *name)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	libbpf_set_print(old);
	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
	btf__free(btf);
	return ok;
}

bool probe_tp_btf_arg_struct(const char *tp, int idx, const char *struct_name)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	char name[256];
	bool ok = false;
	__s32 id;

	libbpf_set_print(old);
	if (!btf)
		return false;
	/* A tracepoint's tp_btf arguments are its btf_trace_<tp> typedef, a
	 * pointer to a function whose first parameter is the context. */
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		goto out;
	t = btf__type_by_id(btf, skip_mods(btf, id));
	if (!t || !btf_is_ptr(t))
		goto out;
	t = btf__type_by_id(btf, skip_mods(btf, t->type));
	if (!t || !btf_is_func_proto(t) || idx + 1 >= btf_vlen(t))
		goto out;
	t = btf__type_by_id(btf, skip_mods(btf, btf_params(t)[idx + 1].type));
	if (!t || !btf_is_ptr(t))
		goto out;
	if (!struct_name) {
		ok = true; /* any pointer will do */
		goto out;
	}
	t = btf__type_by_id(btf, skip_mods(btf, t->type));
	ok = t && btf_is_struct(t) && strcmp(btf__name_by_offset(btf, t->name_off), struct_name) == 0;
out:
	btf__free(btf);
	return ok;
}

/* NAME in vmlinux BTF as what attach type TYPE looks up (a btf_trace_
 * typedef for raw tracepoints, a function for fentry). */
static bool vmlinux_btf_has(const char *name, enum bpf_attach_type type)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	int id = libbpf_find_vmlinux_btf_id(name, type);

	libbpf_set_print(old);
	return id > 0;
}

bool probe_tp_btf(const char *name)
{
	return vmlinux_btf_has(name, BPF_TRACE_RAW_TP);
}

bool probe_memcg_enabled(void)
{
	char line[256], name[64];
	int hier, num, enabled;
	bool on = false;
	FILE *f = fopen("/proc/cgroups", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 &&
		    strcmp(name, "memory") == 0)
			on = enabled == 1;
	fclose(f);
	return on;
}

bool probe_btf_func(const char *func)
{
	return vmlinux_btf_has(func, BPF_TRACE_FENTRY);
}
