/* Unit tests: the /proc parsers behind memleakbpf shmem, and cgroup paths. */
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procfs/cgroup.h"
#include "shmem/shmem_int.h"
#include "unit.h"

#define FX "tests/fixtures/why/"

UNIT_SUITE(shmem_parsers)
{
	unsigned long long key = 0, rss = 0;
	long long shmid = 0;
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

	CHECK("sysv: header is skipped",
	      !sh_parse_sysv_line("       key      shmid perms                  size  cpid  lpid "
				  "nattch   uid   gid  cuid  cgid      atime      dtime      ctime "
				  "                  rss                  swap\n", &key, &shmid, &rss));
	CHECK("sysv: entry",
	      sh_parse_sysv_line(" 1296826369         12   600                196608  1234  1234 "
				 "     0     0     0     0     0 1700000000 1700000001 1700000000 "
				 "               196608                     0\n", &key, &shmid, &rss));
	CHECK("sysv: key, shmid, rss", key == 0x4d4c0001 && shmid == 12 && rss == 196608);
	CHECK("sysv: negative key is the same 32 bits",
	      sh_parse_sysv_line(" -1 5 600 4096 1 1 0 0 0 0 0 0 0 0 4096 0\n", &key, &shmid,
				 &rss) && key == 0xffffffffULL);

	CHECK("dev: kernel encoding", sh_dev_from_kernel((0x103u << 20) | 0x45) == makedev(0x103, 0x45));
	CHECK("dev: small", sh_dev_from_kernel(39) == makedev(0, 39));

	CHECK("cgroup: itself", cgroup_path_within("/a/b", "/a/b"));
	CHECK("cgroup: below", cgroup_path_within("/a/b/c", "/a/b"));
	CHECK("cgroup: sibling prefix is not below", !cgroup_path_within("/a/bc", "/a/b"));
	CHECK("cgroup: root holds all", cgroup_path_within("/x", "/"));
	CHECK("cgroup: unknown path", !cgroup_path_within(NULL, "/a"));
	CHECK_STR("kind names", "shared_anon", sh_kind_name(SH_SHARED_ANON));
}
