/* memleakbpf shmem --stacks: name the frames of a writer's user stack.
 *
 * Writers are usually gone by report time, and with them /proc/PID/maps.
 * So when BPF first reports a writer (struct shmem_writer_event) its
 * mappings are copied and their files held (sym/procsyms.c), to symbolize
 * its frames later whatever became of the process.
 *
 * A writer such as dd lives about a millisecond after its first write, and
 * the main loop may be building a report for a hundred: the new writers
 * come on a ring of their own, read by a thread that does nothing else.
 * A writer can be gone all the same: the event carries the mappings of
 * its frames, read by BPF at the write (start, end, offset, device, inode,
 * file name), and the file is then found by device and inode among the
 * files already held, or in a mapping of any process.  Frames whose file
 * is found nowhere stay addresses, and their writer is counted
 * (drop_writer_maps). */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"
#include "procfs/procfs.h"
#include "shmem/shmem_int.h"
#include "sym/procsyms.h"

static atomic_ullong maps_missed;

/* Notes writer e: its mappings from /proc while it lives, and from the
 * event for the frames /proc no longer shows. */
void sh_stacks_note_writer(const struct shmem_writer_event *e)
{
	__u32 i, nvma = e->nvma < SHMEM_WRITER_VMAS ? e->nvma : SHMEM_WRITER_VMAS;
	bool lost = false;

	/* Its first writer event: the whole of its maps, once. */
	if (!procsyms_known((pid_t)e->tgid))
		procsyms_note((pid_t)e->tgid, false);
	for (i = 0; i < nvma; i++) {
		const struct shmem_vma *v = &e->vma[i];
		char name[SHMEM_VMA_NAME + 1];
		struct procsyms_vma pv = { .start = v->start, .end = v->end, .off = v->off,
					   .ino = v->ino, .dev = v->dev, .name = name };

		snprintf(name, sizeof(name), "%.*s", (int)strnlen(v->name, sizeof(v->name)), v->name);
		lost |= !procsyms_add_vma((pid_t)e->tgid, &pv);
	}
	if (lost)
		maps_missed++;
}

unsigned long long sh_stacks_missed(void)
{
	return maps_missed;
}

/* ---- the watcher thread ---- */

static struct ring_buffer *watch_rb;
static pthread_t watch_thread;
static atomic_bool watch_stop;
static bool watching;
/* MEMLEAKBPF_SHMEM_TEST_WAIT_GONE=COMM[,COMM...]: tests make every writer
 * of those names gone (its /proc entry reaped, up to 10 s) before its maps
 * are read, to test the mappings the event carries whatever the machine's
 * speed.  Only those names: any other writer on the machine (another
 * tracer's libbpf faulting in its shared-anonymous global data) lives on,
 * and a 10 s wait for each let the test's writers overflow the ring. */
static const char *wait_gone;

static bool waited_for(pid_t tgid)
{
	const char *p = wait_gone;
	char comm[32];
	size_t n, len;

	if (!procfs_read_comm(tgid, comm, sizeof(comm)))
		return false; /* gone already */
	n = strlen(comm);
	while (*p) {
		len = strcspn(p, ",");
		if (len == n && strncmp(p, comm, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void wait_until_gone(pid_t tgid)
{
	char dir[32];
	int i;

	if (!waited_for(tgid))
		return;
	snprintf(dir, sizeof(dir), "/proc/%d", tgid);
	for (i = 0; i < 1000 && access(dir, F_OK) == 0; i++)
		usleep(10000);
}

static int on_writer(void *ctx, void *data, size_t len)
{
	const struct shmem_writer_event *e = data;

	(void)ctx;
	if (len < sizeof(*e) || e->type != SHMEM_EV_WRITER)
		return 0;
	if (wait_gone)
		wait_until_gone((pid_t)e->tgid);
	sh_stacks_note_writer(e);
	return 0;
}

static void *watch(void *arg)
{
	(void)arg;
	/* Each new writer wakes the poll; the timeout only bounds the stop. */
	while (!watch_stop)
		if (ring_buffer__poll(watch_rb, 50) < 0 && errno != EINTR)
			break;
	return NULL;
}

int sh_stacks_watch_start(int ring_fd)
{
	int err;

	wait_gone = getenv("MEMLEAKBPF_SHMEM_TEST_WAIT_GONE");
	if (wait_gone && !*wait_gone)
		wait_gone = NULL;
	watch_rb = ring_buffer__new(ring_fd, on_writer, NULL, NULL);
	if (!watch_rb)
		return -errno;
	watch_stop = false;
	err = pthread_create(&watch_thread, NULL, watch, NULL);
	if (err) {
		ring_buffer__free(watch_rb);
		watch_rb = NULL;
		return -err;
	}
	watching = true;
	return 0;
}

void sh_stacks_watch_stop(void)
{
	if (!watching)
		return;
	watch_stop = true;
	pthread_join(watch_thread, NULL);
	/* Writers the thread had not come to yet, while some may live. */
	ring_buffer__consume(watch_rb);
	ring_buffer__free(watch_rb);
	watch_rb = NULL;
	watching = false;
}

bool sh_stack_frame_name(pid_t tgid, unsigned long long ip, bool is_return, char *buf,
			 size_t len)
{
	return procsyms_frame_name(tgid, ip, is_return, buf, len);
}

void sh_stacks_free(void)
{
	sh_stacks_watch_stop();
	maps_missed = 0;
	procsyms_free();
}
