/* Several targets (-p PID,PID..., --cgroup PATH): a tracer process each.
 *
 * Each target gets user mode's whole single-target tracer (user_run), in a
 * child process of its own: its uprobes are attached with the target's pid,
 * so no other process traps, and its maps, module cache and report are its
 * own.  The parent starts them, follows the cgroup (a process that joins
 * is traced from when it is seen), forwards Ctrl-C/SIGTERM once, and waits.
 * Reports go to the shared stdout whole, one at a time (user_out_lock). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/common.h"
#include "modes.h"
#include "procfs/cgroup.h"
#include "user/user_options.h"

int user_out_lock = -1;

struct child {
	pid_t target, tracer;
	bool ended;
	int rc;
};

static struct child kids[USER_MAX_TARGETS];
static int nkids;
static bool any_failed; /* a tracer ended with a failure (its slot may be reused) */

/* A target already traced, or one of our own tracers: run inside the
 * cgroup it follows, they are members too. */
static bool seen(pid_t pid)
{
	for (int i = 0; i < nkids; i++)
		if (!kids[i].ended && (kids[i].target == pid || kids[i].tracer == pid))
			return true;
	return false;
}

/* A slot for a new tracer: an ended one's (a cgroup's processes come and
 * go; the limit is on those traced at once), else a new one. */
static struct child *slot(void)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i].ended)
			return &kids[i];
	return nkids < USER_MAX_TARGETS ? &kids[nkids++] : NULL;
}

/* A flock belongs to an open file description, which fork shares: each
 * tracer opens the lock file anew, or they would all hold it at once. */
static void reopen_lock(void)
{
	char path[64];
	int fd;

	if (user_out_lock < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", user_out_lock);
	fd = open(path, O_RDWR | O_CLOEXEC);
	close(user_out_lock);
	user_out_lock = fd; /* -1: reports unlocked, never lost */
}

/* Starts target's tracer.  0, or -errno (fork failed). */
static int start(const struct user_env *e, struct mode_sink *s, pid_t target)
{
	struct user_env one = *e;
	struct child *k = slot();
	pid_t pid;

	if (!k)
		return -EAGAIN;

	one.pid = target;
	one.pids[0] = target;
	one.npids = 1;
	one.cgroup = NULL;
	one.output = NULL; /* stdout is -o's file already */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Its own process group: a terminal's ^C reaches the parent
		 * only, which passes it on once (a second one kills).  Gone
		 * with the parent, so no probe outlives a SIGKILLed run. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(EXIT_RUNTIME);
		reopen_lock();
		_exit(finish_output(user_run(&one, s)));
	}
	*k = (struct child){ .target = target, .tracer = pid };
	vlog(1, "pid %d: traced by tracer process %d", (int)target, (int)pid);
	return 0;
}

/* --cgroup: its processes not traced yet get a tracer. */
static void follow(const struct user_env *e, struct mode_sink *s, unsigned long long *over)
{
	int *pids = NULL, err;
	size_t n = 0, i;

	if (cgroup_pids(e->cgroup, &pids, &n))
		return; /* the cgroup went away: its tracers report the exits */
	for (i = 0; i < n; i++) {
		if (seen(pids[i]) || pids[i] == getpid())
			continue;
		err = start(e, s, pids[i]);
		if (err == -EAGAIN) {
			if (!(*over)++)
				warn_msg("more than %d processes in %s at once: the others are not traced",
					 USER_MAX_TARGETS, e->cgroup);
		} else if (err) {
			warn_msg("pid %d: cannot start its tracer: %s", pids[i], strerror(-err));
		}
	}
	free(pids);
}

static int reap(bool block)
{
	int status, alive = 0;

	for (int i = 0; i < nkids; i++) {
		if (kids[i].ended)
			continue;
		if (waitpid(kids[i].tracer, &status, block ? 0 : WNOHANG) == kids[i].tracer) {
			kids[i].ended = true;
			kids[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUNTIME;
			any_failed |= kids[i].rc != 0;
		} else {
			alive++;
		}
	}
	return alive;
}

int user_run_many(const struct user_env *e, struct mode_sink *s)
{
	unsigned long long over = 0, next_scan = 0;
	char lockname[] = "/tmp/memleakbpf-out.XXXXXX";
	int i, rc = EXIT_OK;

	/* Every listed process must exist: a typo would trace nothing. */
	for (i = 0; i < e->npids; i++)
		if (kill(e->pids[i], 0) != 0 && errno == ESRCH) {
			err_msg("no process with PID %d", (int)e->pids[i]);
			return EXIT_RUNTIME;
		}
	if (e->cgroup) {
		int *pids = NULL;
		size_t n = 0;
		int err = cgroup_pids(e->cgroup, &pids, &n);

		free(pids);
		if (err) {
			err_msg("cannot read cgroup %s: %s", e->cgroup, strerror(-err));
			return EXIT_RUNTIME;
		}
	}
	/* -o: opened once here; a tracer each opening it would truncate the
	 * others' reports */
	if (e->output) {
		int fd = open(e->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			err_msg("-o %s: %s", e->output, strerror(errno));
			if (fd >= 0)
				close(fd);
			return EXIT_RUNTIME;
		}
		close(fd);
	}
	user_out_lock = mkstemp(lockname);
	if (user_out_lock >= 0)
		unlink(lockname);
	install_signal_handlers();
	nkids = 0;
	any_failed = false;
	for (i = 0; i < e->npids && !exiting; i++) {
		int err = start(e, s, e->pids[i]);

		if (err) {
			err_msg("cannot start a tracer for pid %d: %s", (int)e->pids[i], strerror(-err));
			rc = EXIT_RUNTIME;
			exiting = 1;
		}
	}
	while (!exiting) {
		if (e->cgroup && now_ns() >= next_scan) {
			follow(e, s, &over);
			next_scan = now_ns() + 500000000ULL;
		}
		/* -p: done when every target's tracer is; --cgroup: until
		 * Ctrl-C, or COUNT reports of every process seen */
		if (!reap(false) && (!e->cgroup || (e->count && nkids)))
			break;
		usleep(100000);
	}
	for (i = 0; i < nkids; i++)
		if (!kids[i].ended)
			kill(kids[i].tracer, SIGINT); /* their final reports */
	reap(true);
	if (any_failed)
		rc = EXIT_RUNTIME;
	if (user_out_lock >= 0)
		close(user_out_lock);
	user_out_lock = -1;
	return rc;
}
