/* Shared userspace plumbing: exit codes, logging, signals, start-up checks. */
#ifndef MEMLEAKBPF_COMMON_H
#define MEMLEAKBPF_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* One exit-code convention for every mode. */
enum exit_code {
	EXIT_OK = 0,      /* report(s) printed */
	EXIT_RUNTIME = 1, /* could not trace: permissions, BTF, probes, target */
	EXIT_USAGE = 2,   /* bad command line */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* -v count: 0 quiet, 1 hooks and decisions, 2 libbpf debug output. */
extern int verbosity;
/* Set by SIGINT/SIGTERM; every main loop polls it. */
extern volatile sig_atomic_t exiting;

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* SIGINT/SIGTERM set `exiting`; a second signal kills (handler resets). */
void install_signal_handlers(void);
/* An environment switch (benchmarks' knobs): set, not "" and not "0". */
bool env_flag(const char *name);
/* Flush a report.  On a write error (reader gone: EPIPE; disk full) it
 * sets `exiting`, so the mode's loop ends and detaches its probes, and
 * remembers the error for finish_output(); false then. */
bool report_flush(FILE *out);
/* A mode's exit status after its output: 1 with one message when any
 * report could not be written, else rc. */
int finish_output(int rc);
/* Replaces `path` with `data` atomically: written to a temporary file in
 * the same directory, then renamed over it, so a reader (a dashboard, a
 * browser reloading) never sees a half-written file.  0 or negative errno. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* libbpf messages go through vlog: warnings always, debug with -vv. */
void setup_libbpf_logging(void);
/* Around a load that may fail for a reason worth one line: libbpf's
 * warnings are held (shown as well at -vv); _end returns into OUT the line
 * naming the cause (missing kfunc or field, missing attach target, the
 * verifier's last words), "" when libbpf said nothing. */
void libbpf_capture_begin(void);
const char *libbpf_capture_end(char *out, size_t len);
/* After libbpf_capture_begin() and a failed skeleton load: err_msg("cannot
 * load the WHAT: <errno>: <cause>"), pointing at -vv for the whole log. */
void load_error(const char *what, int err);
/* Root or CAP_BPF+CAP_PERFMON, and kernel BTF: one clear line and false. */
bool check_bpf_prereqs(void);

/* Strict number parsing: whole string, range-checked. */
bool parse_u64(const char *s, unsigned long long *out);
bool parse_size(const char *s, unsigned long long *out); /* 4096, 4k, 2M, 1G */
bool parse_seconds(const char *s, double *out);

/* Monotonic nanoseconds (same clock as bpf_ktime_get_ns). */
unsigned long long now_ns(void);
/* The local "HH:MM:SS" of an epoch timestamp into buf (printers take the
 * time from their model, never from the clock). */
const char *wall_time(long long timestamp, char *buf, size_t len);
/* "123 B", "1.5 MiB", ... into buf (binary units, one decimal). */
const char *fmt_bytes(char *buf, size_t len, unsigned long long bytes);
/* A signed amount, "-1.5 MiB"; with `plus`, growth reads "+1.5 MiB" (and
 * "+0 B"). */
const char *fmt_bytes_signed(char *buf, size_t len, long long bytes, bool plus);
/* Copy `in` to `out` with visible, unambiguous escapes, as `ls -b` does:
 * \n \t \r \\ and \xNN for other control bytes (C0, DEL, C1 in raw or
 * UTF-8 form) and invalid UTF-8; valid UTF-8 text is kept.  A control
 * byte cannot reach the terminal or forge a line; truncation never cuts
 * an escape or a character in half. */
void sanitize_text(char *out, size_t outlen, const char *in);
/* Length of the valid UTF-8 sequence starting at p (2..4), or 0. */
int utf8_len(const unsigned char *p);

#endif
