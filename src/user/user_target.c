/* The traced process (see user_target.h). */
#define _GNU_SOURCE
#include "user/user_target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/common.h"
#include "procfs/procfs.h"
#include "sym/elf_util.h"

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};

static void add_module(struct target *t, const char *path)
{
	int i;

	for (i = 0; i < t->nmodules; i++)
		if (strcmp(t->modules[i], path) == 0)
			return;
	if (t->nmodules < MAX_TARGET_MODULES && (t->modules[t->nmodules] = strdup(path)))
		t->nmodules++;
}

/* Same file under two paths (/lib and /usr/lib, a preload naming a
 * linked library): probed once. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void add_allocator(struct target *t, const char *path)
{
	int i;

	for (i = 0; i < t->nallocators; i++)
		if (strcmp(t->allocators[i], path) == 0 || same_file(t->allocators[i], path))
			return;
	if (t->nallocators == USER_MAX_ALLOCATORS) {
		vlog(0, "more than %d allocator modules: %s is not traced", USER_MAX_ALLOCATORS, path);
		return;
	}
	if ((t->allocators[t->nallocators] = strdup(path)))
		t->nallocators++;
}

/* The allocators: --lib if given; else every module that defines malloc
 * and free, libc and the allocator that interposes on it alike: a call
 * reaches whichever defines the function (reallocarray is libc's in a
 * jemalloc program), and one allocator may hand a call to another. */
static int pick_allocators(struct target *t, const char *lib, const char *prefix)
{
	int i;

	if (t->no_allocators)
		return 0; /* growth: no allocator probe (a static Go binary is fine) */
	if (lib) {
		if (access(lib, R_OK) != 0) {
			err_msg("--lib %s: %s", lib, strerror(errno));
			return -ENOENT;
		}
		add_allocator(t, lib);
		return t->nallocators ? 0 : -ENOMEM;
	}
	for (i = 0; i < t->nmodules; i++)
		if (user_module_is_allocator(t->modules[i], strcmp(t->modules[i], t->exe) == 0, prefix))
			add_allocator(t, t->modules[i]);
	if (t->nallocators)
		return 0;
	err_msg("no allocator found in pid %d: no module defines malloc and free (use --lib PATH)",
		t->pid);
	return -ENOENT;
}


int target_attach_pid(struct target *t, pid_t pid, const char *lib, const char *prefix)
{
	char path[64], full[PATH_MAX + 64], exe[PATH_MAX];
	const struct maps_entry *e;
	struct maps maps;
	ssize_t n;
	size_t i;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->release_fd = t->exec_err_fd = t->pidfd = -1;
	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
		err_msg("no process with pid %d", pid);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0) {
		int e = errno; /* err_msg may change errno */
		err_msg("cannot read %s: %s (a kernel thread, or no permission)", path, strerror(e));
		return -e;
	}
	exe[n] = '\0';
	/* Through /proc/PID/root the files are right for containers too. */
	snprintf(t->exe, sizeof(t->exe), "/proc/%d/root%s", pid, exe);
	if (access(t->exe, R_OK) != 0)
		snprintf(t->exe, sizeof(t->exe), "%s", path);
	procfs_read_comm(t->pid, t->comm, sizeof(t->comm));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = procfs_read_maps(path, &maps);
	/* -EINVAL (no mapping line in it) leaves the executable alone */
	if (err && err != -EINVAL) {
		err_msg("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	add_module(t, t->exe);
	for (i = 0; i < maps.n; i++) {
		e = &maps.e[i];
		if (e->perms[2] != 'x' || e->path[0] != '/')
			continue;
		snprintf(full, sizeof(full), "/proc/%d/root%s", pid, e->path);
		/* A mount only the target's namespace has (a container's
		 * overlay, a private tmpfs): the kernel's own reference. */
		if (access(full, R_OK) != 0)
			snprintf(full, sizeof(full), "/proc/%d/map_files/%llx-%llx", pid, e->start,
				 e->end);
		add_module(t, access(full, R_OK) == 0 ? full : e->path);
	}
	maps_free(&maps);
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	return pick_allocators(t, lib, prefix);
}

char **split_command(const char *s)
{
	size_t len = strlen(s), nargs = 0, i;
	char **argv, *buf, *w;
	char quote = 0;
	bool in_word = false;

	/* argv pointers (at most len/2+2) and the words share one block. */
	argv = malloc((len / 2 + 2) * sizeof(char *) + len + 1);
	if (!argv)
		return NULL;
	buf = w = (char *)(argv + len / 2 + 2);
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (quote) {
			if (c == '\0')
				goto bad;
			if (c == quote)
				quote = 0;
			else if (c == '\\' && quote == '"' && (s[i + 1] == '"' || s[i + 1] == '\\'))
				*w++ = s[++i];
			else
				*w++ = c;
			continue;
		}
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				*w++ = '\0';
				in_word = false;
			}
			continue;
		}
		if (!in_word) {
			argv[nargs++] = w;
			in_word = true;
		}
		if (c == '\'' || c == '"')
			quote = c;
		else if (c == '\\' && s[i + 1])
			*w++ = s[++i];
		else
			*w++ = c;
	}
	if (!nargs)
		goto bad;
	(void)buf;
	argv[nargs] = NULL;
	return argv;
bad:
	free(argv);
	return NULL;
}

bool resolve_on_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *colon;
	char cand[PATH_MAX];

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) == 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = colon + 1) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(colon - p), colon == p ? "." : p, name);
		if (access(cand, X_OK) == 0) {
			snprintf(out, len, "%s", cand);
			return true;
		}
		if (!*colon)
			break;
	}
	return false;
}

struct needed_ctx {
	struct target *t;
	const char *runpath;
};

static void find_lib(const char *name, void *arg)
{
	struct needed_ctx *c = arg;
	char cand[PATH_MAX], dirs[PATH_MAX * 2];
	const char *env = getenv("LD_LIBRARY_PATH");
	char *dir, *save = NULL;
	size_t i;

	/* A name with a slash is a path, searched nowhere (as ld.so does):
	 * what linking against "dir/libx.so" without a soname records. */
	if (strchr(name, '/')) {
		if (access(name, R_OK) == 0)
			add_module(c->t, name);
		else
			vlog(1, "library %s not found: its frames unwind once it is mapped", name);
		return;
	}
	snprintf(dirs, sizeof(dirs), "%s:%s", env ? env : "", c->runpath ? c->runpath : "");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof(cand), "%s/%s", dir, name);
		if (access(cand, R_OK) == 0) {
			add_module(c->t, cand);
			return;
		}
	}
	for (i = 0; i < ARRAY_SIZE(lib_dirs); i++) {
		snprintf(cand, sizeof(cand), "%s/%s", lib_dirs[i], name);
		if (access(cand, R_OK) == 0) {
			add_module(c->t, cand);
			return;
		}
	}
	vlog(1, "library %s not found: its frames unwind once it is mapped", name);
}

/* The executable's interpreter and DT_NEEDED closure, in load order. */
static void collect_modules(struct target *t)
{
	char runpath[PATH_MAX], interp[PATH_MAX];
	struct elf_file ef;
	struct needed_ctx c = { .t = t, .runpath = runpath };
	const char *pre = getenv("LD_PRELOAD");
	int i;

	add_module(t, t->exe);
	if (pre && *pre) {
		char buf[PATH_MAX], *tok, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", pre);
		for (tok = strtok_r(buf, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save))
			if (access(tok, R_OK) == 0)
				add_module(t, tok);
	}
	for (i = 0; i < t->nmodules; i++) {
		if (!elf_file_open(&ef, t->modules[i]))
			continue;
		if (i == 0 && elf_interp(&ef, interp, sizeof(interp)))
			add_module(t, interp);
		elf_needed(&ef, find_lib, runpath, sizeof(runpath), &c);
		elf_file_close(&ef);
	}
}

/* The program image that will run for the command file `path`: the file
 * itself, or for a "#!" script its interpreter (whose allocator is the one
 * traced).  A directory, a 32-bit ELF or an unreadable file is one clear
 * message here rather than "no allocator found" later. */
static int command_image(const char *path, char *image, size_t len)
{
	unsigned char head[PATH_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		err_msg("-c: %s is a directory, not a program", path);
		return -EISDIR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno; /* err_msg may change errno */
		err_msg("-c: cannot read %s: %s", path, strerror(e));
		return -e;
	}
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	head[n] = 0;
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		char *p = (char *)head + 2, *end;

		p += strspn(p, " \t");
		end = p + strcspn(p, " \t\n");
		*end = 0;
		if (!*p) {
			err_msg("-c: %s: a script without an interpreter on its #! line", path);
			return -ENOEXEC;
		}
		snprintf(image, len, "%s", p);
		vlog(1, "%s is a script: tracing its interpreter %s", path, image);
		return 0;
	}
	if (n >= 5 && memcmp(head, "\177ELF", 4) == 0 && head[4] != 2) {
		err_msg("-c: %s is a 32-bit program: only 64-bit programs can be traced", path);
		return -ENOEXEC;
	}
	snprintf(image, len, "%s", path);
	return 0;
}

int target_spawn(struct target *t, const char *cmdline, const char *lib, const char *prefix)
{
	int release[2] = { -1, -1 }, errp[2] = { -1, -1 }, err;
	char **argv = split_command(cmdline);
	char c;
	pid_t pid, parent;
	char run[PATH_MAX];

	memset(t, 0, sizeof(*t));
	t->release_fd = t->exec_err_fd = t->pidfd = -1;
	if (!argv) {
		err_msg("-c: empty command or unterminated quote: %s", cmdline);
		return -EINVAL;
	}
	if (!resolve_on_path(argv[0], run, sizeof(run))) {
		err_msg("-c: %s: command not found or not executable", argv[0]);
		free(argv);
		return -ENOENT;
	}
	snprintf(t->comm, sizeof(t->comm), "%.15s", strrchr(run, '/') ? strrchr(run, '/') + 1 : run);
	err = command_image(run, t->exe, sizeof(t->exe));
	if (err) {
		free(argv);
		return err;
	}
	collect_modules(t);
	err = pick_allocators(t, lib, prefix);
	if (err) {
		free(argv);
		return err;
	}
	if (pipe2(release, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		err_msg("pipe: %s", strerror(errno));
		goto fail;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		err_msg("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* The command dies with the tracer, even by SIGKILL, as the man
		 * page promises: the signal survives exec (not of set-id
		 * programs).  A parent already gone before prctl is caught by
		 * the getppid() check. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			_exit(127);
		/* Held until the parent attached every probe (or died). */
		close(release[1]);
		close(errp[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (read(release[0], &c, 1) != 1)
			_exit(127);
		execv(run, argv);
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(release[0]);
	close(errp[1]);
	t->pid = pid;
	t->spawned = true;
	t->release_fd = release[1];
	t->exec_err_fd = errp[0];
	free(argv);
	return 0;
fail:
	if (release[0] >= 0) {
		close(release[0]);
		close(release[1]);
	}
	if (errp[0] >= 0) {
		close(errp[0]);
		close(errp[1]);
	}
	free(argv);
	return err;
}

int target_release(struct target *t)
{
	int e = 0;
	ssize_t n;

	if (!t->spawned || t->release_fd < 0)
		return 0;
	if (write(t->release_fd, "g", 1) != 1)
		return -errno;
	close(t->release_fd);
	t->release_fd = -1;
	n = read(t->exec_err_fd, &e, sizeof(e)); /* EOF: exec closed it */
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (n == sizeof(e)) {
		err_msg("-c: cannot execute %s: %s", t->exe, strerror(e));
		return -e;
	}
	return 0;
}

bool target_alive(struct target *t, int *status)
{
	if (t->spawned) {
		pid_t r = waitpid(t->pid, status, WNOHANG);

		if (r == t->pid) {
			t->spawned = false; /* reaped */
			return false;
		}
		return r == 0;
	}
	if (t->pidfd >= 0) {
		struct timeval tv = { 0, 0 };
		fd_set fds;

		FD_ZERO(&fds);
		FD_SET(t->pidfd, &fds);
		return select(t->pidfd + 1, &fds, NULL, NULL, &tv) == 0;
	}
	return kill(t->pid, 0) == 0 || errno != ESRCH;
}

void target_cleanup(struct target *t, bool kill_child)
{
	int i, status;

	if (t->release_fd >= 0)
		close(t->release_fd); /* a held child reads EOF and exits */
	if (t->exec_err_fd >= 0)
		close(t->exec_err_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->spawned && t->pid > 0) {
		if (kill_child)
			kill(t->pid, SIGTERM);
		waitpid(t->pid, &status, 0);
	}
	for (i = 0; i < t->nmodules; i++)
		free(t->modules[i]);
	t->nmodules = 0;
	for (i = 0; i < t->nallocators; i++)
		free(t->allocators[i]);
	t->nallocators = 0;
	t->release_fd = t->exec_err_fd = t->pidfd = -1;
}
