/* Unit tests: the procfs readers every mode shares (maps, the process
 * record; test_why_procfs.c has the others), on tests/fixtures/why. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs/cgroup.h"
#include "procfs/procfs.h"
#include "unit.h"

#define FX "tests/fixtures/why/"

UNIT_SUITE(procfs_maps)
{
	const struct maps_entry *e;
	struct maps m;

	CHECK("maps 6.1 parses", procfs_read_maps(FX "maps.6.1", &m) == 0);
	CHECK("maps 6.1: every line a mapping", m.n == 17 && m.bad_lines == 0);
	if (m.n == 17) {
		e = &m.e[1];
		CHECK("maps: range, offset", e->start == 0x55d0c0a02000ULL && e->end == 0x55d0c0a07000ULL &&
					     e->offset == 0x2000);
		CHECK_STR("maps: perms", "r-xp", e->perms);
		CHECK("maps: dev and inode", e->major == 0xfe && e->minor == 0 && e->inode == 247134);
		CHECK_STR("maps: path after the padding", "/usr/bin/leaky", e->path);
		CHECK("maps: a file is not deleted", !e->deleted && e->name_len == strlen(e->path));
		e = &m.e[4];
		CHECK_STR("maps: [heap]", "[heap]", e->path);
		e = &m.e[5];
		CHECK_STR("maps: memfd path as printed", "/memfd:cache (deleted)", e->path);
		CHECK("maps: memfd is deleted, name without the suffix",
		      e->deleted && e->name_len == strlen("/memfd:cache") && e->minor == 1 && e->inode == 4242);
		CHECK_STR("maps: shared perms", "rw-s", e->perms);
		CHECK_STR("maps: blank inside a path", "/dev/shm/my file", m.e[8].path);
		e = &m.e[9];
		CHECK("maps: anonymous has an empty path", e->path[0] == '\0' && e->inode == 0 &&
							  e->name_len == 0 && !e->deleted);
		e = &m.e[12];
		CHECK("maps: three-digit major", e->major == 0x103 && e->minor == 5);
		CHECK("maps: deleted library", e->deleted && e->name_len == strlen("/opt/plugin.so"));
		CHECK("maps: [vsyscall] top of the address space", m.e[16].start == 0xffffffffff600000ULL);
	}
	maps_free(&m);

	CHECK("maps hostile parses", procfs_read_maps(FX "maps.hostile", &m) == 0);
	CHECK("maps hostile: good lines kept, broken ones counted", m.n == 8 && m.bad_lines == 8);
	if (m.n == 8) {
		CHECK_STR("maps hostile: first", "/bin/ok", m.e[0].path);
		CHECK("maps hostile: no path and no padding", m.e[1].path[0] == '\0' && m.e[1].inode == 7);
		CHECK("maps hostile: a NUL byte ends the path",
		      !strcmp(m.e[2].path, "/has") && m.e[2].name_len == 4);
		CHECK("maps hostile: only the last \" (deleted)\" is the suffix",
		      m.e[3].deleted && m.e[3].name_len == strlen("/a (deleted)/b"));
		CHECK_STR("maps hostile: blanks kept as printed", "/name with  blanks  ", m.e[4].path);
		CHECK("maps hostile: \"(deleted)\" without a blank is a name",
		      !m.e[5].deleted && !strcmp(m.e[5].path, "(deleted)"));
		CHECK("maps hostile: upper-case hex", m.e[6].major == 0xfd && m.e[6].minor == 0xa);
		CHECK_STR("maps hostile: last line without newline", "/no/newline/at/end", m.e[7].path);
	}
	maps_free(&m);

	CHECK("maps empty (kernel thread) is no mapping", procfs_parse_maps("", 0, &m) == 0 && m.n == 0);
	maps_free(&m);
	CHECK("maps garbage is an error and leaves nothing to free",
	      procfs_parse_maps("hello\n", 6, &m) != 0 && !m.e && !m.text);
	CHECK("maps missing file is -ENOENT", procfs_read_maps(FX "no-such-maps", &m) == -ENOENT);
}

UNIT_SUITE(procfs_proc_record)
{
	struct proc_record rec;

	CHECK("record: pid 100 of the fixture tree",
	      procfs_read_proc_record(FX "proc", 100, &rec) == 0);
	CHECK("record: pid, uid, name", rec.pid == 100 && rec.uid == 1000 && !strcmp(rec.comm, "big"));
	CHECK("record: sizes in bytes", rec.vm_size == 100000ULL * 1024 && rec.rss == 400000ULL * 1024 &&
					rec.rss_anon == 400000ULL * 1024 && rec.rss_file == 0 &&
					rec.rss_shmem == 0 && rec.swap == 0 && rec.pgtables == 400ULL * 1024);
	CHECK("record: a user process", rec.has_mm && !rec.kthread && rec.has_rss_split);
	CHECK("record: start time from stat", rec.start_time == 500);
	CHECK("record: a kernel thread (no stat file: start time 0)",
	      procfs_read_proc_record(FX "proc", 2, &rec) == 0 && rec.kthread && !rec.has_mm &&
		      !strcmp(rec.comm, "kthreadd") && rec.start_time == 0);
	CHECK("record: a process gone is -ENOENT", procfs_read_proc_record(FX "proc", 99, &rec) == -ENOENT);

	CHECK("pid of \"4242\"", procfs_pid_of("4242") == 4242);
	CHECK("pid of self, 0, 12a, -1, 2^31 is none",
	      procfs_pid_of("self") < 0 && procfs_pid_of("0") < 0 && procfs_pid_of("12a") < 0 &&
	      procfs_pid_of("-1") < 0 && procfs_pid_of("2147483648") < 0 && procfs_pid_of("") < 0);
}

UNIT_SUITE(procfs_cgroup_procs)
{
	static const char buf[] = "12\n7\nnot-a-pid\n0\n99999999999\n\n3";
	int *pids = NULL;
	size_t n = 0;

	CHECK("cgroup.procs: the pids, junk and 0 skipped",
	      cgroup_parse_procs(buf, sizeof(buf) - 1, &pids, &n) == 0 && n == 3 && pids[0] == 12 &&
		      pids[1] == 7 && pids[2] == 3);
	CHECK("cgroup.procs: appended to what is there",
	      cgroup_parse_procs("5\n", 2, &pids, &n) == 0 && n == 4 && pids[3] == 5);
	free(pids);
	pids = NULL;
	n = 0;
	CHECK("cgroup.procs: empty", cgroup_parse_procs("", 0, &pids, &n) == 0 && n == 0);
	CHECK("cgroup_pids: a missing directory", cgroup_pids("/nonexistent-cg-z", &pids, &n) < 0 && n == 0);
}

UNIT_SUITE(procfs_comm)
{
	char comm[16] = "x", small[4] = "x";

	CHECK("comm: this process's is read", procfs_read_comm(getpid(), comm, sizeof(comm)));
	CHECK("comm: without its newline", comm[0] && !strchr(comm, '\n'));
	CHECK("comm: cut to the buffer", procfs_read_comm(getpid(), small, sizeof(small)) &&
						 strlen(small) <= 3 && !strchr(small, '\n'));
	/* pid_max is at most 2^22: this pid cannot exist */
	CHECK("comm: a gone process is false, buffer empty",
	      !procfs_read_comm(1 << 23, comm, sizeof(comm)) && comm[0] == '\0');
}
