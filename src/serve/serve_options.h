/* Command line of `memleakbpf serve`: one struct of options with defaults. */
#ifndef MEMLEAKBPF_SERVE_OPTIONS_H
#define MEMLEAKBPF_SERVE_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* The modes serve can run, one bit each. */
enum serve_mode { SERVE_SHMEM, SERVE_KERNEL, SERVE_OOM, SERVE_WHY, SERVE_USER, SERVE_NR_MODES };

struct serve_env {
	double interval;		/* seconds between collections */
	const char *listen;		/* "ADDR:PORT", as given */
	struct sockaddr_storage addr;	/* parsed */
	socklen_t addrlen;
	unsigned int top;		/* label sets per family */
	unsigned int modes;		/* 1 << SERVE_*; -p adds user */
	int pid;			/* -p: user mode's target */
	bool growth;			/* --growth: -p in growth mode, not exact */
	const char *textfile;		/* --textfile DIR */
	const char *why_proc_root;	/* hidden: why mode's /proc (fixtures) */
};

const char *serve_mode_name(enum serve_mode m);
/* "127.0.0.1:9435", "[::1]:9435" into a socket address; false when not an
 * address literal with a port 1..65535. */
bool serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* The return rule of lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int serve_parse_args(int argc, char **argv, struct serve_env *env);

#endif
