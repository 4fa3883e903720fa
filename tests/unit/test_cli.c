/* Unit tests: the shared command-line layer (lib/cli) and every mode's
 * options on it: defaults, each option, bad values, --help, --version, the
 * exit codes and the one-line error form with its hint. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel_options.h"
#include <linux/types.h>

#include "kmem.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "oom/oom_options.h"
#include "shmem/shmem_options.h"
#include "unit.h"
#include "user/user_options.h"
#include "why/why_options.h"

/* What one parse printed on stderr and stdout. */
static char err_text[4096], out_text[16384];

typedef int (*parse_fn)(int argc, char **argv, void *env);

static int run(parse_fn fn, void *env, const char *mode, va_list ap)
{
	char *argv[32], errf[] = "/tmp/unit-cli-err.XXXXXX", outf[] = "/tmp/unit-cli-out.XXXXXX";
	int argc = 0, rc, saved_err, saved_out, efd, ofd;
	const char *a;
	ssize_t n;

	argv[argc++] = (char *)mode;
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	efd = mkstemp(errf);
	ofd = mkstemp(outf);
	fflush(stderr);
	fflush(stdout);
	saved_err = dup(2);
	saved_out = dup(1);
	dup2(efd, 2);
	dup2(ofd, 1);
	verbosity = 0;
	rc = fn(argc, argv, env);
	fflush(stderr);
	fflush(stdout);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	n = pread(efd, err_text, sizeof(err_text) - 1, 0);
	err_text[n > 0 ? n : 0] = '\0';
	n = pread(ofd, out_text, sizeof(out_text) - 1, 0);
	out_text[n > 0 ? n : 0] = '\0';
	close(efd);
	close(ofd);
	unlink(errf);
	unlink(outf);
	return rc;
}

#define DEFINE_PARSE(name, type, fn, mode)                        \
	static int name(type *e, ...)                             \
	{                                                         \
		va_list ap;                                       \
		int rc;                                           \
		va_start(ap, e);                                  \
		rc = run((parse_fn)fn, e, mode, ap);              \
		va_end(ap);                                       \
		return rc;                                        \
	}
DEFINE_PARSE(user, struct user_env, user_parse_args, "memleakbpf")
DEFINE_PARSE(kernel, struct kernel_env, kernel_parse_args, "kernel")
DEFINE_PARSE(shmem, struct shmem_env, shmem_parse_args, "shmem")
DEFINE_PARSE(oom, struct oom_env, oom_parse_args, "oom")
DEFINE_PARSE(why, struct why_env, why_parse_args, "why")

/* A usage error: exit 2, exactly two lines, the message then the hint. */
static bool usage_error(int rc, const char *msg, const char *mode)
{
	char hint[64], *nl;

	snprintf(hint, sizeof(hint), "Try 'memleakbpf%s%s --help'.\n", *mode ? " " : "", mode);
	nl = strchr(err_text, '\n');
	/* the message is on the first line, the hint is the whole rest */
	return rc == EXIT_USAGE && strncmp(err_text, "memleakbpf: error: ", 19) == 0 && nl &&
	       strstr(err_text, msg) && strstr(err_text, msg) < nl && strcmp(nl + 1, hint) == 0;
}

UNIT_SUITE(cli)
{
	struct user_env u;
	struct kernel_env k;
	struct shmem_env s;
	struct oom_env o;
	struct why_env w;
	int rc;

	/* --help: stdout, nothing on stderr, CLI_HELP -> exit 0 */
	rc = kernel(&k, "--help", NULL);
	CHECK("kernel --help: CLI_HELP, exit 0", rc == CLI_HELP && cli_exit_code(rc) == EXIT_OK);
	CHECK("kernel --help: usage on stdout only",
	      strncmp(out_text, "Usage: memleakbpf kernel", 24) == 0 && !*err_text);
	CHECK("shmem -h", shmem(&s, "-h", NULL) == CLI_HELP && strstr(out_text, "memleakbpf shmem"));
	CHECK("oom -h", oom(&o, "-h", NULL) == CLI_HELP && strstr(out_text, "memleakbpf oom"));
	CHECK("why --help", why(&w, "--help", NULL) == CLI_HELP && strstr(out_text, "memleakbpf why"));
	CHECK("user --help", user(&u, "--help", NULL) == CLI_HELP && strstr(out_text, "-p PID"));
	CHECK("--help wins over missing -p", user(&u, "-h", NULL) == CLI_HELP);
	CHECK("every help lists -v and -h",
	      kernel(&k, "-h", NULL) == CLI_HELP && strstr(out_text, "-v, --verbose") &&
	      strstr(out_text, "-h, --help"));
	/* --version: like --help (stdout, exit 0), in every mode, and before
	 * the checks that follow parsing (user mode's missing -p) */
	rc = user(&u, "--version", NULL);
	CHECK("user --version: CLI_HELP, exit 0, version on stdout only",
	      rc == CLI_HELP && cli_exit_code(rc) == EXIT_OK &&
	      strncmp(out_text, "memleakbpf ", 11) == 0 && strstr(out_text, "\ncommit: ") &&
	      strstr(out_text, "\nbuilt with: libbpf ") && strstr(out_text, ", elfutils 0.") &&
	      !*err_text);
	CHECK("-V in every mode",
	      user(&u, "-V", NULL) == CLI_HELP && kernel(&k, "-V", NULL) == CLI_HELP &&
	      shmem(&s, "-V", NULL) == CLI_HELP && oom(&o, "--version", NULL) == CLI_HELP &&
	      why(&w, "--version", NULL) == CLI_HELP && strncmp(out_text, "memleakbpf ", 11) == 0);
	CHECK("every help lists -V",
	      why(&w, "-h", NULL) == CLI_HELP && strstr(out_text, "-V, --version"));
	CHECK("cli_exit_code keeps other codes", cli_exit_code(EXIT_USAGE) == EXIT_USAGE &&
						   cli_exit_code(CLI_RUN) == EXIT_OK);

	/* kernel: defaults, every option, operands */
	CHECK("kernel: defaults", kernel(&k, NULL) == CLI_RUN && k.interval == 5 && k.top == 10 &&
					  k.count == 0 && k.sample == 1 && k.max_allocs == 262144 &&
					  !k.json && !(k.kinds & (1U << KMEM_PAGE)));
	CHECK("kernel: every option",
	      kernel(&k, "-p", "42", "-T", "0", "-z", "4k", "-Z", "1M", "--older", "2.5", "-k",
		     "kmalloc,vmalloc", "--pages", "-s", "7", "--max-allocs", "64", "--max-stacks", "32",
		     "-j", "--exact-stacks", "-v", "-v", "0.5", "3", NULL) == CLI_RUN &&
		      k.pid == 42 && k.top == 0 && k.min_size == 4096 && k.max_size == 1 << 20 &&
		      k.older == 2.5 && k.kinds == ((1U << KMEM_KMALLOC) | (1U << KMEM_VMALLOC) | (1U << KMEM_PAGE)) &&
		      k.sample == 7 && k.max_allocs == 64 && k.max_stacks == 32 && k.json &&
		      k.exact_stacks && verbosity == 2 && k.interval == 0.5 && k.count == 3);
	CHECK("kernel: options after operands", kernel(&k, "2", "--json", NULL) == CLI_RUN && k.json &&
							  k.interval == 2);
	CHECK("kernel: reparse resets", kernel(&k, NULL) == CLI_RUN && !k.json && k.interval == 5);
	CHECK("kernel: bad kind", usage_error(kernel(&k, "--kind", "bogus", NULL), "unknown kind 'bogus'", "kernel"));
	CHECK("kernel: bad size", usage_error(kernel(&k, "-z", "12q", NULL), "invalid --min-size '12q'", "kernel"));
	CHECK("kernel: long name in the message for -T",
	      usage_error(kernel(&k, "-T", "x", NULL), "invalid --top 'x'", "kernel"));
	CHECK("kernel: tiny map", usage_error(kernel(&k, "--max-allocs", "1", NULL), "invalid --max-allocs '1' (16..16777216)", "kernel"));
	CHECK("kernel: map too big", usage_error(kernel(&k, "--max-stacks", "16777217", NULL), "invalid --max-stacks", "kernel"));
	CHECK("kernel: sample 0", usage_error(kernel(&k, "-s", "0", NULL), "invalid --sample '0'", "kernel"));
	CHECK("kernel: pid junk", usage_error(kernel(&k, "-p", "abc", NULL), "invalid pid 'abc'", "kernel"));
	CHECK("kernel: pid 0", usage_error(kernel(&k, "-p", "0", NULL), "invalid pid '0'", "kernel"));
	CHECK("kernel: negative --older", usage_error(kernel(&k, "--older", "-5", NULL), "invalid --older '-5'", "kernel"));
	CHECK("kernel: interval below 0.1", usage_error(kernel(&k, "0.05", NULL), "invalid interval '0.05'", "kernel"));
	CHECK("kernel: count 0", usage_error(kernel(&k, "1", "0", NULL), "invalid count '0'", "kernel"));
	CHECK("kernel: third operand", usage_error(kernel(&k, "1", "2", "3", NULL), "unexpected argument '3'", "kernel"));
	CHECK("kernel: min > max", usage_error(kernel(&k, "-z", "4k", "-Z", "1k", NULL), "--min-size is larger than --max-size", "kernel"));
	CHECK("kernel: unknown long option", usage_error(kernel(&k, "--frobnicate", NULL), "unrecognized option '--frobnicate'", "kernel"));
	CHECK("kernel: unknown short option", usage_error(kernel(&k, "-x", NULL), "invalid option '-x'", "kernel"));
	CHECK("kernel: missing value", usage_error(kernel(&k, "-T", NULL), "option '-T' needs a value", "kernel"));
	CHECK("kernel: missing long value", usage_error(kernel(&k, "--older", NULL), "option '--older' needs a value", "kernel"));

	/* shmem */
	unsetenv("SHMEM_HOOKS");
	CHECK("shmem: defaults", shmem(&s, NULL) == CLI_RUN && s.interval == 0 && s.count == 0 &&
					 s.max_pages == 4ULL << 20 && s.ring_size == 8ULL << 20 && !s.hooks);
	CHECK("shmem: every option",
	      shmem(&s, "-p", "9", "--mount", "/dev/shm", "--min-bytes", "1M", "--stacks", "-j",
		    "--max-pages", "1k", "--max-writers", "10", "--max-stacks", "20", "--ring-size",
		    "5000", "--hooks", "lru", "10", "2", NULL) == CLI_RUN &&
		      s.pid == 9 && strcmp(s.mount, "/dev/shm") == 0 && s.min_bytes == 1 << 20 &&
		      s.stacks && s.json && s.max_pages == 1024 && s.max_writers == 10 &&
		      s.max_stacks == 20 && s.ring_size == 8192 && s.hooks == SHMEM_HOOKS_LRU &&
		      s.interval == 10 && s.count == 2);
	CHECK("shmem: --cgroup / is the root", shmem(&s, "--cgroup", "/", NULL) == CLI_RUN && s.cgroup);
	CHECK("shmem: no such cgroup", usage_error(shmem(&s, "--cgroup", "/nonexistent-cg-x", NULL),
						   "no such cgroup '/nonexistent-cg-x'", "shmem"));
	CHECK("shmem: bad hook set", usage_error(shmem(&s, "--hooks", "x", NULL), "unknown hook set 'x'", "shmem"));
	setenv("SHMEM_HOOKS", "tracepoint", 1);
	CHECK("shmem: SHMEM_HOOKS pins the set", shmem(&s, NULL) == CLI_RUN && s.hooks == SHMEM_HOOKS_TRACEPOINT);
	CHECK("shmem: --hooks wins over SHMEM_HOOKS", shmem(&s, "--hooks", "fentry", NULL) == CLI_RUN &&
							     s.hooks == SHMEM_HOOKS_FENTRY);
	setenv("SHMEM_HOOKS", "y", 1);
	CHECK("shmem: bad SHMEM_HOOKS", usage_error(shmem(&s, NULL), "unknown hook set 'y'", "shmem"));
	unsetenv("SHMEM_HOOKS");
	CHECK("shmem: table size 0", usage_error(shmem(&s, "--max-pages", "0", NULL), "invalid --max-pages '0'", "shmem"));
	CHECK("shmem: ring too small", usage_error(shmem(&s, "--ring-size", "1k", NULL), "invalid --ring-size '1k'", "shmem"));
	CHECK("shmem: bad size", usage_error(shmem(&s, "--min-bytes", "lots", NULL), "invalid --min-bytes 'lots'", "shmem"));
	CHECK("shmem: bad interval", usage_error(shmem(&s, "abc", NULL), "invalid interval 'abc'", "shmem"));
	CHECK("shmem: empty --mount", usage_error(shmem(&s, "--mount", "", NULL), "--mount: empty value", "shmem"));

	/* oom: -n/--count; -c is the user mode's --command */
	CHECK("oom: defaults", oom(&o, NULL) == CLI_RUN && !o.count && !o.duration && !o.json && !o.rank);
	CHECK("oom: every option",
	      oom(&o, "-n", "2", "-d", "1.5", "-j", "-m", "/a/b", "--no-kmsg", "--no-fentry", NULL) == CLI_RUN &&
		      o.count == 2 && o.duration == 1.5 && o.json && strcmp(o.memcg, "/a/b") == 0 &&
		      o.no_kmsg && o.no_fentry);
	CHECK("oom: --rank --all", oom(&o, "--rank", "--all", "--json", NULL) == CLI_RUN && o.rank && o.all);
	CHECK("oom: -c says -n", usage_error(oom(&o, "-c", "1", NULL), "here the number of reports is -n/--count", "oom"));
	CHECK("oom: count 0", usage_error(oom(&o, "--count", "0", NULL), "invalid --count '0'", "oom"));
	CHECK("oom: duration 0", usage_error(oom(&o, "-d", "0", NULL), "invalid --duration '0'", "oom"));
	CHECK("oom: memcg not absolute", usage_error(oom(&o, "-m", "foo", NULL), "invalid --memcg 'foo'", "oom"));
	CHECK("oom: no operands", usage_error(oom(&o, "bogus", NULL), "unexpected argument 'bogus'", "oom"));
	CHECK("oom: --rank with --count", usage_error(oom(&o, "--rank", "-n", "1", NULL), "do not apply", "oom"));
	CHECK("oom: --all needs --rank", usage_error(oom(&o, "--all", NULL), "--all applies to --rank only", "oom"));

	/* why: -T/--top, -n/--count */
	CHECK("why: defaults", why(&w, NULL) == CLI_RUN && w.o.top == 10 && w.o.top_files == 5 &&
				       w.o.threshold == 16 << 20 && strcmp(w.o.proc_root, "/proc") == 0);
	CHECK("why: every option",
	      why(&w, "-j", "-w", "2", "-n", "3", "-T", "1000", "--files", "0", "-t", "1M", "-g", "8M",
		  "--proc-root", "/x", NULL) == CLI_RUN &&
		      w.json && w.watch == 2 && w.count == 3 && w.o.top == 1000 && w.o.top_files == 0 &&
		      w.o.threshold == 1 << 20 && w.o.grow_min == 8 << 20 && strcmp(w.o.proc_root, "/x") == 0);
	CHECK("why: --count needs --watch", usage_error(why(&w, "-n", "2", NULL), "--count needs --watch", "why"));
	CHECK("why: -c says -n", usage_error(why(&w, "-c", "2", NULL), "-n/--count", "why"));
	CHECK("why: watch too short", usage_error(why(&w, "-w", "0.01", NULL), "invalid --watch '0.01'", "why"));
	CHECK("why: top too big", usage_error(why(&w, "-T", "100001", NULL), "invalid --top '100001'", "why"));
	CHECK("why: bad threshold", usage_error(why(&w, "-t", "big", NULL), "invalid --threshold 'big'", "why"));
	CHECK("why: no operands", usage_error(why(&w, "5", NULL), "unexpected argument '5'", "why"));

	/* user: the hint has no mode word */
	CHECK("user: -j is --json", user(&u, "-p", "1", "-j", NULL) == CLI_RUN && u.format == FORMAT_JSON);
	CHECK("user: hint without a mode", usage_error(user(&u, "-p", "x", NULL), "invalid pid 'x'", ""));
	CHECK("user: -o empty", usage_error(user(&u, "-p", "1", "-o", "", NULL), "-o: empty file name", ""));
	CHECK("user: --json --folded", usage_error(user(&u, "-p", "1", "--json", "--folded", NULL),
						   "--json and --folded exclude each other", ""));
	CHECK("user: --max-depth 33", usage_error(user(&u, "-p", "1", "--max-depth", "33", NULL),
						  "invalid --max-depth '33' (1..32)", ""));
	CHECK("user: --no-mmap", user(&u, "-p", "1", "--no-mmap", NULL) == CLI_RUN && !u.trace_mmap);
}
