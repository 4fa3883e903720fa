/* Shared userspace plumbing: exit codes, logging, signals, start-up checks. */
#include "common.h"

#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

int verbosity;
volatile sig_atomic_t exiting;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "memleakbpf: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void vlog(int level, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	exiting = 1;
	/* A second Ctrl-C must not wait for a slow report. */
	signal(sig, SIG_DFL);
}

void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* EPIPE instead of death: report_flush() then stops the mode, which
	 * detaches its probes and exits 1. */
	signal(SIGPIPE, SIG_IGN);
}

static int output_errno;

bool report_flush(FILE *out)
{
	if (fflush(out) == 0 && !ferror(out))
		return true;
	if (!output_errno)
		output_errno = errno ? errno : EIO;
	exiting = 1;
	return false;
}

int finish_output(int rc)
{
	/* A report nobody can read is a failure, never a silent rc 0. */
	if (fflush(stdout) != 0 && !output_errno)
		output_errno = errno ? errno : EIO;
	if (!output_errno && ferror(stdout))
		output_errno = EIO;
	if (output_errno) {
		err_msg("cannot write the report to standard output: %s", strerror(output_errno));
		if (rc == EXIT_OK)
			rc = EXIT_RUNTIME;
	}
	return rc;
}

/* Why the last load failed, kept from libbpf's warnings even when they are
 * not shown: "program P: <the verifier's last words>", or libbpf's own last
 * warning (an extern not found, a CO-RE relocation). */
static char load_failure[320];

/* A verifier log line that is a program dump, not a reason. */
static bool verifier_dump_line(const char *l, size_t n)
{
	return n == 0 || (l[0] >= '0' && l[0] <= '9') || l[0] == ';' || l[0] == ' ' ||
	       strncmp(l, "processed ", 10) == 0 || strncmp(l, "from ", 5) == 0 ||
	       strncmp(l, "last_idx", 8) == 0 || strncmp(l, "Validating ", 11) == 0 ||
	       strncmp(l, "Func#", 5) == 0;
}

static void note_load_failure(const char *msg)
{
	const char *log = strstr(msg, "-- BEGIN PROG LOAD LOG --\n");
	const char *reasons[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	const char *l, *nl, *q;

	if (!log) {
		/* libbpf's summaries after the real reason ("failed to load
		 * object", "... skeleton") would hide it. */
		if (strstr(msg, "failed to load"))
			return;
		if (strncmp(msg, "libbpf: ", 8) == 0)
			msg += 8;
		snprintf(load_failure, sizeof(load_failure), "%.*s", (int)strcspn(msg, "\n"), msg);
		return;
	}
	/* The verifier's last two non-dump lines say why. */
	for (l = log + strlen("-- BEGIN PROG LOAD LOG --\n"); *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl || strncmp(l, "-- END PROG LOAD LOG --", 23) == 0)
			break;
		if (verifier_dump_line(l, nl - l))
			continue;
		reasons[0] = reasons[1];
		lens[0] = lens[1];
		reasons[1] = l;
		lens[1] = nl - l;
	}
	q = strstr(msg, "prog '");
	snprintf(load_failure, sizeof(load_failure), "program %.*s: %.*s%s%.*s",
		 q ? (int)strcspn(q + 6, "'") : 1, q ? q + 6 : "?",
		 (int)lens[0], reasons[0] ? reasons[0] : "",
		 reasons[0] ? "; " : "", (int)lens[1], reasons[1] ? reasons[1] : "");
}

const char *bpf_load_failure(void)
{
	return load_failure;
}

void load_error(const char *what, int err)
{
	if (load_failure[0])
		err_msg("cannot load the %s: %s: %s (-vv shows the whole verifier log)", what,
			strerror(err < 0 ? -err : err), load_failure);
	else
		err_msg("cannot load the %s: %s (-vv shows libbpf's log)", what,
			strerror(err < 0 ? -err : err));
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char msg[4096];
		va_list cp;

		va_copy(cp, ap);
		vsnprintf(msg, sizeof(msg), fmt, cp);
		va_end(cp);
		note_load_failure(msg);
	}
	if (level == LIBBPF_DEBUG && verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && verbosity < 1)
		return 0;
	/* Probes that are expected to fail (fentry here) warn at -v only. */
	if (level == LIBBPF_WARN && verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void setup_libbpf_logging(void)
{
	libbpf_set_print(libbpf_print);
}

static bool has_caps(unsigned long long need)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff;

	if (syscall(SYS_capget, &hdr, data))
		return false;
	eff = data[0].effective | ((unsigned long long)data[1].effective << 32);
	return (eff & need) == need;
}

bool check_bpf_prereqs(void)
{
	/* Tests point this elsewhere to play a kernel without BTF. */
	const char *btf = getenv("MEMLEAKBPF_BTF_PATH") ? getenv("MEMLEAKBPF_BTF_PATH") : "/sys/kernel/btf/vmlinux";
	struct stat st;
	unsigned long long bpf_perfmon = (1ULL << 39 /* CAP_BPF */) | (1ULL << 38 /* CAP_PERFMON */);

	if (geteuid() != 0 && !has_caps(bpf_perfmon) && !has_caps(1ULL << 21 /* CAP_SYS_ADMIN */)) {
		err_msg("need root (or CAP_BPF and CAP_PERFMON) to load BPF programs: run with sudo");
		return false;
	}
	if (stat(btf, &st) != 0) {
		err_msg("kernel has no BTF (%s missing): "
			"a kernel built with CONFIG_DEBUG_INFO_BTF=y is required", btf);
		return false;
	}
	return true;
}

bool parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

bool parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': mul = 1ULL << 10; end++; break;
	case 'm': mul = 1ULL << 20; end++; break;
	case 'g': mul = 1ULL << 30; end++; break;
	default: return false;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (v && mul > ~0ULL / v))
		return false;
	*out = v * mul;
	return true;
}

bool parse_seconds(const char *s, double *out)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && *end == '\0' && *out >= 0 && *out < 1e9;
}

unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *wall_time(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	return buf;
}

int utf8_len(const unsigned char *p)
{
	int n, i;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void sanitize_text(char *out, size_t outlen, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0;
	char esc[8];
	int n;

	if (!outlen)
		return;
	for (; *p; p++) {
		n = *p >= 0x80 ? utf8_len(p) : 0;
		/* U+0080..U+009F (C2 80..C2 9F) are C1 controls: a terminal may
		 * act on them (CSI) just as on raw 0x9b, so they are escaped too. */
		if (n > 0 && !(p[0] == 0xc2 && p[1] < 0xa0)) {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '\n': strcpy(esc, "\\n"); break;
		case '\t': strcpy(esc, "\\t"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\\': strcpy(esc, "\\\\"); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
			else
				esc[0] = (char)*p, esc[1] = '\0';
		}
		n = (int)strlen(esc);
		if (o + n >= outlen)
			break;	/* never half an escape */
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
}

const char *fmt_bytes(char *buf, size_t len, unsigned long long b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", b);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}
