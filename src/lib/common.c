/* Shared userspace plumbing: exit codes, logging, signals, start-up checks. */
#include "lib/common.h"

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

int write_file_atomic(const char *path, const void *data, size_t len)
{
	char *target = NULL, *tmp;
	const char *p = data;
	struct stat st;
	mode_t mask;
	size_t n;
	int fd, err = 0;
	ssize_t w;

	/* A symbolic link stays: the file it names is replaced. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		target = realpath(path, NULL);
		if (target)
			path = target;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(target);
		return -EINVAL;
	}
	n = strlen(path);
	tmp = malloc(n + sizeof(".XXXXXX"));
	if (!tmp) {
		free(target);
		return -ENOMEM;
	}
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		free(target);
		return err;
	}
	while (len && !err) {
		w = write(fd, p, len);
		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			p += w, len -= w;
	}
	/* mkstemp makes it 0600; the file gets the mode any created file
	 * gets (0666 less the umask). */
	mask = umask(0);
	umask(mask);
	if (!err && fchmod(fd, 0666 & ~mask) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	free(target);
	return err;
}

/* While a load is expected to fail (a hook set tried before a fallback),
 * libbpf's warnings are kept here instead of printed, to name the cause in
 * one line (libbpf_capture_end).  Per thread: `serve` loads several modes
 * at once, and libbpf calls back in the loading thread. */
static __thread char *capture_buf;
static __thread size_t capture_len;
#define CAPTURE_MAX (256 * 1024)

static void capture(const char *fmt, va_list ap)
{
	char line[4096];
	size_t n;
	char *p;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (capture_len + n + 1 > CAPTURE_MAX)
		return;
	p = realloc(capture_buf, capture_len + n + 1);
	if (!p)
		return;
	capture_buf = p;
	memcpy(capture_buf + capture_len, line, n + 1);
	capture_len += n;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (capture_buf && level == LIBBPF_WARN) {
		va_list copy;

		va_copy(copy, ap);
		capture(fmt, copy);
		va_end(copy);
		/* -vv still shows everything, verifier logs included. */
		if (verbosity < 2)
			return 0;
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

void load_error(const char *what, int err)
{
	char why[320];

	libbpf_capture_end(why, sizeof(why));
	if (why[0])
		err_msg("cannot load the %s: %s: %s (-vv shows the whole verifier log)", what,
			strerror(err < 0 ? -err : err), why);
	else
		err_msg("cannot load the %s: %s (-vv shows libbpf's log)", what,
			strerror(err < 0 ? -err : err));
}

void setup_libbpf_logging(void)
{
	libbpf_set_print(libbpf_print);
}

void libbpf_capture_begin(void)
{
	free(capture_buf);
	capture_buf = calloc(1, 1);
	capture_len = 0;
}

/* The line of a capture that says why a load failed, in order of how
 * specific it is; "prog 'X': " kept where libbpf gives it. */
static const char *const cause_marks[] = {
	"extern (",				/* a kfunc or ksym the kernel lacks */
	"failed to resolve CO-RE relocation",	/* a field or type the kernel lacks */
	"failed to find kernel BTF type ID",	/* attach target missing */
	"failed to find BTF for extern",
};

static void copy_line(char *out, size_t len, const char *start)
{
	size_t n = strcspn(start, "\n");

	if (strncmp(start, "libbpf: ", 8) == 0) {
		start += 8;
		n -= 8;
	}
	snprintf(out, len, "%.*s", (int)n, start);
}

static const char *line_start(const char *buf, const char *p)
{
	while (p > buf && p[-1] != '\n')
		p--;
	return p;
}

const char *libbpf_capture_end(char *out, size_t len)
{
	const char *buf = capture_buf, *p, *end, *q;
	size_t i;

	if (!out || !len)
		goto done;
	out[0] = '\0';
	if (!buf || !*buf)
		goto done;
	for (i = 0; i < ARRAY_SIZE(cause_marks); i++) {
		p = strstr(buf, cause_marks[i]);
		if (p) {
			copy_line(out, len, line_start(buf, p));
			goto done;
		}
	}
	/* A verifier rejection: its log's last words before the end marker,
	 * past the statistics lines. */
	end = strstr(buf, "-- END PROG LOAD LOG --");
	if (end) {
		q = line_start(buf, end);
		while (q > buf) {
			p = line_start(buf, q - 1);
			if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
			    strncmp(p, "stack depth", 11) && strncmp(p, "-- BEGIN", 8) && q - p > 1) {
				char v[512];

				copy_line(v, sizeof(v), p);
				p = strstr(buf, "prog '");
				if (p) {
					q = strchr(p + 6, '\'');
					snprintf(out, len, "verifier rejected %.*s: %s",
						 q ? (int)(q - p - 6) : 0, p + 6, v);
				} else {
					snprintf(out, len, "verifier: %s", v);
				}
				goto done;
			}
			q = p;
		}
	}
	p = strstr(buf, "BPF program load failed");
	if (p) {
		copy_line(out, len, line_start(buf, p));
		goto done;
	}
	/* The last line libbpf printed. */
	q = buf + strlen(buf);
	while (q > buf && q[-1] == '\n')
		q--;
	copy_line(out, len, line_start(buf, q));
done:
	free(capture_buf);
	capture_buf = NULL;
	capture_len = 0;
	return out;
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

const char *wall_time(long long timestamp, char *buf, size_t len)
{
	time_t t = (time_t)timestamp;
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

const char *fmt_bytes_signed(char *buf, size_t len, long long bytes, bool plus)
{
	/* The magnitude in unsigned arithmetic: -LLONG_MIN does not fit. */
	unsigned long long mag = bytes < 0 ? 0ULL - (unsigned long long)bytes : (unsigned long long)bytes;
	char tmp[32];

	fmt_bytes(tmp, sizeof(tmp), mag);
	snprintf(buf, len, "%s%s", bytes < 0 ? "-" : plus ? "+" : "", tmp);
	return buf;
}

bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}
