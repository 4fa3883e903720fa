/* Unit tests: the /proc parsers behind memleakbpf shmem, and cgroup paths. */
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procfs/cgroup.h"
#include "procfs/procfs.h"
#include "shmem/shmem_int.h"
#include "unit.h"

#define FX "tests/fixtures/why/"

UNIT_SUITE(shmem_parsers)
{
	struct sh_mount *m = NULL;
	size_t n = 0;

	/* The tmpfs mounts, first of each device, from procfs_parse_mountinfo. */
	CHECK("mounts: read fixture", sh_read_mounts(FX "mountinfo.tmpfs", &m, &n) == 0);
	CHECK("mounts: tmpfs only, bind mount once, malformed lines skipped", n == 3);
	if (n == 3) {
		CHECK_STR("mounts: first (optional fields skipped)", "/dev/shm", m[0].mountpoint);
		CHECK("mounts: device", m[0].dev == makedev(0, 32) && m[1].dev == makedev(0, 33));
		CHECK_STR("mounts: \\040 unescaped", "/mnt/my dir", m[2].mountpoint);
	}
	free(m);
	CHECK("mounts: no mount in the file is no tmpfs",
	      sh_read_mounts(FX "maps.6.1", &m, &n) == 0 && n == 0 && !m);
	CHECK("mounts: missing file is an error", sh_read_mounts("/nonexistent/x", &m, &n) < 0);

	CHECK("dev: kernel encoding", sh_dev_from_kernel((0x103u << 20) | 0x45) == makedev(0x103, 0x45));
	CHECK("dev: small", sh_dev_from_kernel(39) == makedev(0, 39));

	CHECK("cgroup: itself", cgroup_path_within("/a/b", "/a/b"));
	CHECK("cgroup: below", cgroup_path_within("/a/b/c", "/a/b"));
	CHECK("cgroup: sibling prefix is not below", !cgroup_path_within("/a/bc", "/a/b"));
	CHECK("cgroup: root holds all", cgroup_path_within("/x", "/"));
	CHECK("cgroup: unknown path", !cgroup_path_within(NULL, "/a"));
	CHECK_STR("kind names", "shared_anon", sh_kind_name(SH_SHARED_ANON));
}

UNIT_SUITE(shmem_sysv_names)
{
	struct sh_inode in[5] = {
		{ .dev = makedev(0, 1), .ino = 7 },
		{ .dev = makedev(0, 1), .ino = 11 },
		{ .dev = makedev(0, 1), .ino = 3, .kind = SH_MEMFD, .resolved = true },
		{ .dev = makedev(0, 40), .ino = 3 },
		{ .dev = makedev(0, 1), .ino = 99, .kind = SH_SYSV, .resolved = true, .sysv_key = 0x1234 },
	};
	struct sh_mount mnt = { .mountpoint = "/dev/shm", .dev = makedev(0, 40) };
	struct sh_report r = { .inodes = in, .ninodes = 5, .mounts = &mnt, .nmounts = 1 };
	struct sysv_shm sh = {};
	size_t len, i;
	char *buf = NULL;

	for (i = 0; i < 5; i++)
		in[i].sysv_shmid = -1;
	if (procfs_read_file(FX "sysvipc_shm.6.18", 1 << 20, &buf, &len, NULL) == 0)
		procfs_parse_sysvipc_shm(buf, len, &sh);
	free(buf);
	CHECK("sysv: fixture parsed", sh.n == 3);
	sh_name_sysv(&r, &sh);
	sysv_shm_free(&sh);
	CHECK_STR("sysv: named by key and shmid", "SYSV key=0x499602d2 shmid=7", in[0].path);
	CHECK("sysv: kind and ids", in[0].kind == SH_SYSV && in[0].resolved && in[0].sysv_shmid == 7);
	CHECK_STR("sysv: negative key is the same 32 bits", "SYSV key=0xdeadbeef shmid=11", in[1].path);
	CHECK("sysv: a resolved memfd keeps its kind", in[2].kind == SH_MEMFD && !in[2].path[0]);
	CHECK("sysv: an inode on a tmpfs mount is a file", in[3].kind == SH_TMPFS && !in[3].resolved);
	CHECK_STR("sysv: known from maps, gone from the table", "SYSV key=0x00001234 shmid=?",
		  in[4].path);
}
