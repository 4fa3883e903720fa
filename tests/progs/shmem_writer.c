/* Ground-truth writer for the shmem e2e tests: one operation per run, then
 * exit (or hand the object to a child that holds it until killed).
 * Prints "pid=P ino=I [holder=H]" so the test knows who wrote what.
 *
 *   shmem_writer [-n COMM] [-l] OP ARGS...
 *   write PATH BYTES            write() in 4 KiB chunks
 *   pwrite PATH OFF BYTES       pwrite() at an offset (no truncation)
 *   writev PATH BYTES           writev() of 4 KiB iovecs
 *   mmap PATH SIZE TOUCH        MAP_SHARED, store to the first TOUCH bytes
 *   falloc PATH OFF LEN [keep]  fallocate (FALLOC_FL_KEEP_SIZE with keep)
 *   punch PATH OFF LEN          fallocate PUNCH_HOLE
 *   truncate PATH LEN           ftruncate
 *   madv_remove PATH OFF LEN    map the file, MADV_REMOVE a range
 *   unlink_hold PATH BYTES      write, unlink, child holds the fd
 *   memfd NAME BYTES            memfd_create + write, child holds the fd
 *   shanon BYTES                MAP_SHARED|MAP_ANONYMOUS, child holds it
 *   sysv KEY BYTES              shmget+shmat, store, detach, leave it
 *   rename PATH BYTES COMM      write BYTES, rename the thread COMM, write
 *                               BYTES more: one run of pages on one CPU, two
 *                               writer keys (the comm is part of the key)
 *   interleave PATH PATH2 BYTES 4 KiB writes to the two files in turn (no
 *                               two consecutive adds extend one run)
 *   race PATH BYTES ROUNDS      per round: write BYTES on one CPU, then on
 *                               the next CPU truncate to BYTES/4, punch two
 *                               pages at BYTES/8, pwrite three at BYTES/2
 *                               (deletes of pages whose adds are still in
 *                               the first CPU's pending run)
 *   race_unlink PATH BYTES      write on one CPU, unlink on the next
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char buf[4096];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void report(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	printf("pid=%d ino=%llu\n", getpid(), (unsigned long long)st.st_ino);
}

/* The child keeps the object alive after the writer exits. */
static void hold_in_child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_NAME, "shmem_holder");
		/* Let the test's $(...) see end of file. */
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(1);
		/* Outlive the writer, not the test: the test kills it; this is
		 * the net if the test dies first.  Generous, since one run of
		 * shmem-accounting takes ~8 minutes in an emulated VM (TCG). */
		alarm(3600);
		for (;;)
			pause();
	}
	printf("holder=%d\n", pid);
}

static void write_all(int fd, long long bytes)
{
	while (bytes > 0) {
		size_t n = bytes < (long long)sizeof(buf) ? (size_t)bytes : sizeof(buf);

		if (write(fd, buf, n) != (ssize_t)n)
			die("write");
		bytes -= n;
	}
}

/* Run on CPU n (modulo the CPUs we may use): the shmem tracer keeps one
 * pending run per CPU. */
static void pin(int n)
{
	cpu_set_t all, one;
	int cpu, k = 0, cnt;

	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity");
	cnt = CPU_COUNT(&all);
	n %= cnt;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all) && k++ == n)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity");
}

static void pwrite_pages(int fd, long long off, int pages)
{
	for (; pages > 0; pages--, off += 4096)
		if (pwrite(fd, buf, 4096, off) != 4096)
			die("pwrite");
}

int main(int argc, char **argv)
{
	const char *op;
	int fd;

	memset(buf, 'x', sizeof(buf));
	int linger = 0;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		prctl(PR_SET_NAME, argv[2]);
		argv += 2;
		argc -= 2;
	}
	/* -l: stay 300 ms after the work, as a daemon would. */
	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		linger = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: see the source\n");
		return 2;
	}
	op = argv[1];
	if (strcmp(op, "write") == 0 && argc == 4) {
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		write_all(fd, atoll(argv[3]));
		report(fd);
	} else if (strcmp(op, "pwrite") == 0 && argc == 5) {
		long long off = atoll(argv[3]), left = atoll(argv[4]);

		fd = open(argv[2], O_RDWR | O_CREAT, 0600);
		if (fd < 0)
			die("open");
		while (left > 0) {
			size_t n = left < 4096 ? (size_t)left : 4096;

			if (pwrite(fd, buf, n, off) != (ssize_t)n)
				die("pwrite");
			off += n;
			left -= n;
		}
		report(fd);
	} else if (strcmp(op, "writev") == 0 && argc == 4) {
		struct iovec iov[8];
		long long left = atoll(argv[3]);
		int i;

		for (i = 0; i < 8; i++) {
			iov[i].iov_base = buf;
			iov[i].iov_len = sizeof(buf);
		}
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		while (left >= (long long)sizeof(iov) / (long long)sizeof(iov[0]) * 4096) {
			if (writev(fd, iov, 8) != 8 * 4096)
				die("writev");
			left -= 8 * 4096;
		}
		write_all(fd, left);
		report(fd);
	} else if (strcmp(op, "mmap") == 0 && argc == 5) {
		long long size = atoll(argv[3]), touch = atoll(argv[4]), i;
		char *p;

		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, size))
			die("open/ftruncate");
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (i = 0; i < touch; i += 4096)
			p[i] = 1;
		report(fd);
	} else if (strcmp(op, "falloc") == 0 && (argc == 5 || argc == 6)) {
		int mode = argc == 6 ? FALLOC_FL_KEEP_SIZE : 0;

		fd = open(argv[2], O_RDWR | O_CREAT, 0600);
		if (fd < 0 || fallocate(fd, mode, atoll(argv[3]), atoll(argv[4])))
			die("fallocate");
		report(fd);
	} else if (strcmp(op, "punch") == 0 && argc == 5) {
		fd = open(argv[2], O_RDWR);
		if (fd < 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					atoll(argv[3]), atoll(argv[4])))
			die("punch");
		report(fd);
	} else if (strcmp(op, "truncate") == 0 && argc == 4) {
		fd = open(argv[2], O_RDWR);
		if (fd < 0 || ftruncate(fd, atoll(argv[3])))
			die("ftruncate");
		report(fd);
	} else if (strcmp(op, "madv_remove") == 0 && argc == 5) {
		struct stat st;
		char *p;

		fd = open(argv[2], O_RDWR);
		if (fd < 0 || fstat(fd, &st))
			die("open");
		p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || madvise(p + atoll(argv[3]), atoll(argv[4]), MADV_REMOVE))
			die("madvise");
		report(fd);
	} else if (strcmp(op, "unlink_hold") == 0 && argc == 4) {
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		write_all(fd, atoll(argv[3]));
		report(fd);
		if (unlink(argv[2]))
			die("unlink");
		hold_in_child();
	} else if (strcmp(op, "memfd") == 0 && argc == 4) {
		fd = memfd_create(argv[2], 0);
		if (fd < 0)
			die("memfd_create");
		write_all(fd, atoll(argv[3]));
		report(fd);
		hold_in_child();
	} else if (strcmp(op, "shanon") == 0 && argc == 3) {
		long long size = atoll(argv[2]), i;
		char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);
		char line[512];
		FILE *f;

		if (p == MAP_FAILED)
			die("mmap");
		for (i = 0; i < size; i += 4096)
			p[i] = 1;
		/* The region's inode number, from our own maps. */
		f = fopen("/proc/self/maps", "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long start;
			unsigned long long ino;

			if (sscanf(line, "%lx-%*x %*s %*x %*x:%*x %llu", &start, &ino) == 2 &&
			    start == (unsigned long)p)
				printf("pid=%d ino=%llu\n", getpid(), ino);
		}
		if (f)
			fclose(f);
		hold_in_child();
	} else if (strcmp(op, "sysv") == 0 && argc == 4) {
		long long size = atoll(argv[3]), i;
		int id = shmget((key_t)strtol(argv[2], NULL, 0), size, IPC_CREAT | 0600);
		char *p;

		if (id < 0)
			die("shmget");
		p = shmat(id, NULL, 0);
		if (p == (void *)-1)
			die("shmat");
		for (i = 0; i < size; i += 4096)
			p[i] = 1;
		shmdt(p);
		printf("pid=%d shmid=%d\n", getpid(), id);
	} else if (strcmp(op, "rename") == 0 && argc == 5) {
		pin(0);
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		write_all(fd, atoll(argv[3]));
		prctl(PR_SET_NAME, argv[4]);
		write_all(fd, atoll(argv[3]));
		report(fd);
	} else if (strcmp(op, "interleave") == 0 && argc == 5) {
		long long left = atoll(argv[4]), off;
		struct stat st;
		int fd2;

		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		fd2 = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || fd2 < 0)
			die("open");
		for (off = 0; off < left; off += 4096) {
			pwrite_pages(fd, off, 1);
			pwrite_pages(fd2, off, 1);
		}
		if (fstat(fd2, &st))
			die("fstat");
		printf("ino2=%llu\n", (unsigned long long)st.st_ino);
		report(fd);
	} else if (strcmp(op, "race") == 0 && argc == 5) {
		long long bytes = atoll(argv[3]);
		int r, rounds = atoi(argv[4]);

		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		for (r = 0; r < rounds; r++) {
			pin(r);
			if (lseek(fd, 0, SEEK_SET))
				die("lseek");
			write_all(fd, bytes);
			pin(r + 1);
			if (ftruncate(fd, bytes / 4) ||
			    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      bytes / 8 / 4096 * 4096, 8192))
				die("truncate/punch");
			pwrite_pages(fd, bytes / 2 / 4096 * 4096, 3);
		}
		report(fd);
	} else if (strcmp(op, "race_unlink") == 0 && argc == 4) {
		pin(0);
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open");
		write_all(fd, atoll(argv[3]));
		report(fd);
		close(fd);
		pin(1);
		if (unlink(argv[2]))
			die("unlink");
	} else {
		fprintf(stderr, "unknown operation or arguments\n");
		return 2;
	}
	if (linger) {
		fflush(stdout);
		usleep(300000);
	}
	return 0;
}
