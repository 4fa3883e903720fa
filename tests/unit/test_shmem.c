/* Unit tests: the /proc parsers behind memleakbpf shmem, and cgroup paths. */
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procfs/cgroup.h"
#include "shmem/shmem_int.h"
#include "unit.h"

UNIT_SUITE(shmem_parsers)
{
	char mnt[PATH_MAX], fs[64], path[] = "/tmp/shmem-mountinfo.XXXXXX";
	unsigned int maj = 0, min = 0;
	unsigned long long key = 0, rss = 0;
	long long shmid = 0;
	struct sh_mount *m = NULL;
	size_t n = 0;
	FILE *f;
	int fd;

	CHECK("mountinfo: tmpfs line",
	      sh_parse_mountinfo_line("36 25 0:32 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs "
				      "tmpfs rw,inode64\n", mnt, sizeof(mnt), fs, sizeof(fs),
				      &maj, &min));
	CHECK_STR("mountinfo: mount point", "/dev/shm", mnt);
	CHECK_STR("mountinfo: fstype", "tmpfs", fs);
	CHECK("mountinfo: device", maj == 0 && min == 32);
	CHECK("mountinfo: escaped blank",
	      sh_parse_mountinfo_line("40 25 0:50 / /mnt/my\\040dir rw - tmpfs none rw\n", mnt,
				      sizeof(mnt), fs, sizeof(fs), &maj, &min));
	CHECK_STR("mountinfo: \\040 unescaped", "/mnt/my dir", mnt);
	CHECK("mountinfo: no separator is malformed",
	      !sh_parse_mountinfo_line("36 25 0:32 / /dev/shm rw tmpfs\n", mnt, sizeof(mnt), fs,
				       sizeof(fs), &maj, &min));
	CHECK("mountinfo: garbage is malformed",
	      !sh_parse_mountinfo_line("garbage\n", mnt, sizeof(mnt), fs, sizeof(fs), &maj, &min));

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	      "36 25 0:32 / /dev/shm rw - tmpfs tmpfs rw\n"
	      "37 25 0:32 / /mnt/bind rw - tmpfs tmpfs rw\n"
	      "broken line\n"
	      "38 25 0:33 / /run rw - tmpfs tmpfs rw\n", f);
	fclose(f);
	CHECK("mounts: read fixture", sh_read_mounts(path, &m, &n) == 0);
	unlink(path);
	CHECK("mounts: tmpfs only, bind mount once", n == 2);
	if (n == 2) {
		CHECK_STR("mounts: first", "/dev/shm", m[0].mountpoint);
		CHECK("mounts: dev", m[1].dev == makedev(0, 33));
	}
	free(m);
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
