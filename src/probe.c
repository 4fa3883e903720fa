/* Kernel feature probes (see probe.h). */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

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
	int id, fd;

	id = libbpf_find_vmlinux_btf_id(func, BPF_TRACE_FENTRY);
	libbpf_set_print(old);
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "probe_fentry", "GPL", insns,
			   ARRAY_SIZE(insns), &opts);
	if (fd < 0)
		return false;
	close(fd);
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

static bool tracefs_mounted_by_us;

static void unmount_tracefs(void)
{
	if (tracefs_mounted_by_us && umount2("/sys/kernel/tracing", MNT_DETACH) == 0)
		tracefs_mounted_by_us = false;
}

bool ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", R_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", R_OK) == 0)
		return true;
	/* Classic tracepoints are found by their tracefs id; some systems
	 * boot without tracefs mounted.  Mount it for the run, unmount at exit. */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) {
		vlog(1, "cannot mount tracefs at /sys/kernel/tracing: %s", strerror(errno));
		return false;
	}
	vlog(1, "mounted tracefs at /sys/kernel/tracing for this run");
	tracefs_mounted_by_us = true;
	atexit(unmount_tracefs);
	return true;
}

void release_tracefs(void)
{
	unmount_tracefs();
}

bool probe_tracepoint(const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	char path[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s/id", roots[i], category, name);
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
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
	/* 48: BPF_TRACE_UPROBE_MULTI (Linux 6.6); older kernels refuse it. */
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = 48);
	int fd;

	/* Tests force the per-probe path that older kernels take. */
	if (getenv("MEMLEAKBPF_NO_UPROBE_MULTI"))
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probe_umulti", "GPL", insns, ARRAY_SIZE(insns), &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
