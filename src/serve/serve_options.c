/* Command line of `memleakbpf serve` (see serve_options.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "serve/serve_options.h"

static const char *const mode_names[SERVE_NR_MODES] = {
	[SERVE_SHMEM] = "shmem", [SERVE_KERNEL] = "kernel", [SERVE_OOM] = "oom",
	[SERVE_WHY] = "why", [SERVE_USER] = "user",
};

const char *serve_mode_name(enum serve_mode m)
{
	return m < SERVE_NR_MODES ? mode_names[m] : "?";
}

static const struct serve_env defaults = {
	.interval = 15,
	.listen = "127.0.0.1:9435",
	.top = 10,
	.modes = (1U << SERVE_SHMEM) | (1U << SERVE_KERNEL) | (1U << SERVE_OOM) | (1U << SERVE_WHY),
};

static const char usage[] =
"Usage: memleakbpf serve [OPTIONS] [INTERVAL]\n"
"Export the modes' reports as OpenMetrics (Prometheus) metrics on\n"
"http://ADDR:PORT/metrics: shmem bytes per writer and mount, kernel bytes\n"
"per kind and cache, OOM kills, the why tree, and with -p a process's\n"
"outstanding bytes.  The modes run side by side and report every INTERVAL\n"
"seconds (default 15); a scrape is served from the last reports, never\n"
"waiting for one.\n"
"\n"
"  -l, --listen ADDR:PORT  where to serve (default 127.0.0.1:9435; [::1]:PORT\n"
"                          for IPv6; 0.0.0.0:PORT exposes it to the network)\n"
"  -m, --modes LIST        modes to run, comma-separated from shmem, kernel,\n"
"                          oom, why (default all four)\n"
"  -p, --pid PID           also trace PID's user-space allocations (user mode)\n"
"      --growth            with -p: growth mode (a trap per page first\n"
"                          written, no allocator probe) instead of exact mode\n"
"  -T, --top N             label sets per metric family, the rest summed\n"
"                          under the value \"other\" (default 10)\n"
"      --textfile DIR      also write DIR/memleakbpf.prom at each report\n"
"                          (node_exporter's textfile collector)\n"
"  -v, --verbose           each mode's hooks, and why a mode did not start\n"
"  -h, --help              this text\n"
"  -V, --version           version, git commit, libbpf and elfutils versions\n"
"\n"
"A mode that cannot start (hooks missing on this kernel) is logged and\n"
"exported as memleakbpf_mode_up{mode=\"...\"} 0; the others run.  SIGTERM or\n"
"Ctrl-C detaches everything and exits 0.\n"
"\n"
"EXAMPLES\n"
"  sudo memleakbpf serve                      all four modes on 127.0.0.1:9435\n"
"  sudo memleakbpf serve -l 0.0.0.0:9435 30   for a remote Prometheus, every 30 s\n"
"  sudo memleakbpf serve -m shmem,oom -p 1234 two modes and one process\n"
"  sudo memleakbpf serve --textfile /var/lib/prometheus/node-exporter\n";

bool serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long long port;
	bool bracketed;
	size_t hl;

	if (!colon || colon == s || !parse_u64(colon + 1, &port) || port < 1 || port > 65535)
		return false;
	hl = colon - s;
	bracketed = s[0] == '[';
	if (bracketed) {	/* [v6]:port */
		if (hl < 3 || s[hl - 1] != ']')
			return false;
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	/* "::1:80" is ambiguous: IPv6 takes brackets */
	if (!bracketed && strchr(host, ':'))
		return false;
	if (getaddrinfo(host, colon + 1, &hints, &res) || !res)
		return false;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

static int opt_listen(const struct cli_mode *m, const char *arg, void *dest)
{
	struct serve_env *e = dest;

	if (!serve_parse_listen(arg, &e->addr, &e->addrlen))
		return cli_usage_error(m, "invalid --listen '%s' (ADDR:PORT: an IPv4 or [IPv6] "
				       "address and a port 1..65535)", arg);
	e->listen = arg;
	return 0;
}

static int opt_modes(const struct cli_mode *m, const char *arg, void *dest)
{
	struct serve_env *e = dest;
	char buf[128], *save = NULL, *w;
	int i;

	if (strlen(arg) >= sizeof(buf))
		return cli_usage_error(m, "invalid --modes '%s'", arg);
	strcpy(buf, arg);
	e->modes = 0;
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < SERVE_USER; i++)
			if (!strcmp(w, mode_names[i]))
				break;
		if (i == SERVE_USER)
			return cli_usage_error(m, "invalid --modes '%s': unknown mode '%s' "
					       "(shmem, kernel, oom, why; -p adds user)", arg, w);
		e->modes |= 1U << i;
	}
	if (!e->modes)
		return cli_usage_error(m, "invalid --modes '%s': no mode", arg);
	return 0;
}

static int opt_dir(const struct cli_mode *m, const char *arg, void *dest)
{
	struct stat st;

	if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
		return cli_usage_error(m, "--textfile %s: not a directory", arg);
	*(const char **)dest = arg;
	return 0;
}

int serve_parse_args(int argc, char **argv, struct serve_env *e)
{
	const struct cli_opt opts[] = {
		CLI_CALL("listen", 'l', opt_listen, e),
		CLI_CALL("modes", 'm', opt_modes, e),
		CLI_PID(e->pid),
		CLI_FLAG("growth", 0, e->growth),
		CLI_NUM("top", 'T', e->top, 1, 10000, "1..10000"),
		CLI_CALL("textfile", 0, opt_dir, &e->textfile),
		/* Not in --help: why mode's /proc (fixture trees in tests). */
		CLI_STRING("why-proc-root", 0, e->why_proc_root),
		CLI_COMMAND_IS_USER_MODE,
		{},
	};
	const struct cli_operands ops = { .interval = &e->interval, .min_interval = 0.5,
					   .count = NULL };
	const struct cli_mode mode = { "serve", usage, opts, &ops };
	int rc;

	*e = defaults;
	if (!serve_parse_listen(e->listen, &e->addr, &e->addrlen))
		return EXIT_USAGE;
	rc = cli_parse(&mode, argc, argv);
	if (rc)
		return rc;
	if (e->growth && !e->pid)
		return cli_usage_error(&mode, "--growth needs -p PID");
	if (e->pid)
		e->modes |= 1U << SERVE_USER;
	return CLI_RUN;
}
