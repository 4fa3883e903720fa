/* Unit tests: the /proc parsers on fixtures (tests/fixtures/why), including
 * old kernels and hostile content. */
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"
#include "unit.h"

#define FX "tests/fixtures/why/"
#define KB 1024ULL

static char *fixture(const char *name, size_t *len)
{
	char *buf = NULL;

	if (procfs_read_file(name, 1 << 24, &buf, len, NULL))
		return NULL;
	return buf;
}

UNIT_SUITE(why_meminfo)
{
	struct meminfo mi = {};
	unsigned long long v = 0;
	size_t len;
	char *buf;

	buf = fixture(FX "meminfo.3.10", &len);
	CHECK("meminfo 3.10 parses", buf && procfs_parse_meminfo(buf, len, &mi) == 0);
	CHECK("meminfo kB counters become bytes", meminfo_get(&mi, "MemTotal", &v) && v == 1016436 * KB);
	CHECK("meminfo Active(file) keeps its parentheses",
	      meminfo_get(&mi, "Active(file)", &v) && v == 273664 * KB);
	CHECK("meminfo counts stay counts", meminfo_get(&mi, "HugePages_Total", &v) && v == 0 &&
					   !mi.f[mi.n - 4].kb);
	CHECK("meminfo absent counter (old kernel) is absent", !meminfo_get(&mi, "Percpu", &v));
	CHECK("meminfo every counter kept", mi.n == 42 && mi.bad_lines == 0);
	meminfo_free(&mi);
	free(buf);

	buf = fixture(FX "meminfo.hostile", &len);
	CHECK("meminfo hostile parses", buf && procfs_parse_meminfo(buf, len, &mi) == 0);
	CHECK("meminfo duplicate: first wins", meminfo_get(&mi, "MemTotal", &v) && v == 1048576 * KB);
	CHECK("meminfo overflowing numbers are dropped",
	      !meminfo_get(&mi, "Huge", &v) && !meminfo_get(&mi, "Overflow", &v));
	CHECK("meminfo last line without newline", meminfo_get(&mi, "Tail", &v) && v == 3 * KB);
	CHECK("meminfo counters after NUL bytes still read",
	      meminfo_get(&mi, "HugePages_Total", &v) && v == 4);
	CHECK("meminfo bad lines counted", mi.bad_lines >= 6);
	meminfo_free(&mi);
	free(buf);
	CHECK("meminfo empty buffer is an error", procfs_parse_meminfo("", 0, &mi) != 0);
	CHECK("meminfo failing leaves nothing to free",
	      procfs_parse_meminfo("X: 18446744073709551615 kB\n", 27, &mi) != 0 && !mi.f);

	/* Kernel mode's summary reads these too: a unit other than kB must not
	 * turn "12 MB" into 12. */
	buf = fixture(FX "meminfo.units", &len);
	CHECK("meminfo units parses", buf && procfs_parse_meminfo(buf, len, &mi) == 0);
	CHECK("meminfo another unit is malformed",
	      !meminfo_get(&mi, "Slab", &v) && !meminfo_get(&mi, "Percpu", &v) &&
	      !meminfo_get(&mi, "Shmem", &v) && mi.bad_lines == 3);
	CHECK("meminfo trailing blanks are fine", meminfo_get(&mi, "Cached", &v) && v == 5 * KB &&
						  meminfo_get(&mi, "HugePages_Free", &v) && v == 7);
	CHECK("meminfo units: good line kept", meminfo_get(&mi, "KernelStack", &v) && v == 1234 * KB);
	meminfo_free(&mi);
	free(buf);
}

UNIT_SUITE(why_status)
{
	struct proc_status ps;
	unsigned long long st = 0;
	size_t len;
	char *buf;

	buf = fixture(FX "status.escaped", &len);
	CHECK("status parses", buf && procfs_parse_status(buf, len, &ps) == 0);
	CHECK_STR("status escaped name kept on one line", "evil\\nName:\\tfake", ps.name);
	CHECK("status ids", ps.tgid == 4242 && ps.ppid == 1 && ps.uid == 1000);
	CHECK("status memory in bytes", ps.has_mm && ps.vm_rss == 150000 * KB &&
					     ps.rss_anon == 100000 * KB && ps.rss_file == 30000 * KB &&
					     ps.rss_shmem == 20000 * KB && ps.vm_swap == 1000 * KB &&
					     ps.vm_pte == 400 * KB && ps.has_rss_split && !ps.kthread);
	free(buf);

	buf = fixture(FX "status.hostile", &len);
	CHECK("status hostile parses", buf && procfs_parse_status(buf, len, &ps) == 0);
	CHECK_STR("status: the first Name wins", "a", ps.name);
	CHECK("status: overflowing and non-numeric fields are bad lines, not values",
	      ps.tgid == -1 && !ps.has_mm && ps.bad_lines >= 3 && ps.rss_anon == 12 * KB);
	free(buf);

	buf = fixture(FX "status.kthread", &len);
	CHECK("status kthread", buf && procfs_parse_status(buf, len, &ps) == 0 && ps.kthread && !ps.has_mm);
	free(buf);

	buf = fixture(FX "stat.parens", &len);
	CHECK("stat: comm with ') ' does not shift the fields",
	      buf && procfs_parse_stat_starttime(buf, len, &st) == 0 && st == 123456);
	free(buf);
	CHECK("stat: truncated line is an error", procfs_parse_stat_starttime("1 (x) S 1 2", 11, &st) != 0);
}

UNIT_SUITE(why_smaps)
{
	struct smaps_totals st;
	size_t len;
	char *buf;

	buf = fixture(FX "smaps.synthetic", &len);
	CHECK("smaps parses", buf && procfs_parse_smaps(buf, len, &st) == 0);
	CHECK("smaps sums every mapping", st.vmas == 6 && st.rss == 11848 * KB &&
						 st.anonymous == 8060 * KB && st.swap == 512 * KB);
	CHECK("smaps MAP_SHARED resident bytes", st.rss_shared_map == 3348 * KB);
	CHECK("smaps private file minus copied-on-write pages", st.rss_private_file == 440 * KB);
	CHECK("smaps bad value counted", st.bad_lines == 1);
	free(buf);

	buf = fixture(FX "smaps_rollup.6.18", &len);
	CHECK("smaps_rollup parses as one mapping",
	      buf && procfs_parse_smaps(buf, len, &st) == 0 && st.vmas == 1 && st.rss > 0 &&
		      st.has_pss_split && st.pss <= st.rss);
	free(buf);
	CHECK("smaps garbage is an error", procfs_parse_smaps("x\ny\n", 4, &st) != 0);
}

UNIT_SUITE(why_slabinfo)
{
	const char *v1 = "slabinfo - version: 1.1\nf 1 1 1 1 1 : t 0 : slabdata 1 1 0\n";
	struct slabinfo si;
	size_t len, i;
	char *buf;
	bool found = false;

	buf = fixture(FX "slabinfo.6.18", &len);
	CHECK("slabinfo parses", buf && procfs_parse_slabinfo(buf, len, 4096, &si) == 0 && si.n == 5);
	CHECK("slabinfo version 2.1 header seen", si.version_ok && si.bad_lines == 0);
	for (i = 0; i < si.n; i++)
		found |= !strcmp(si.c[i].name, "dentry") &&
			 si.c[i].bytes == si.c[i].num_slabs * si.c[i].pages_per_slab * 4096;
	CHECK("slabinfo bytes = slabs * pages per slab * page size", found);
	slabinfo_free(&si);
	free(buf);

	buf = fixture(FX "slabinfo.hostile", &len);
	CHECK("slabinfo hostile parses", buf && procfs_parse_slabinfo(buf, len, 4096, &si) == 0);
	CHECK("slabinfo hostile: good line kept, overflow and broken lines dropped",
	      si.n == 2 && !strcmp(si.c[0].name, "ok") && si.c[0].bytes == 4096 && si.bad_lines >= 4);
	slabinfo_free(&si);
	free(buf);
	CHECK("slabinfo version 1 refused", procfs_parse_slabinfo("slabinfo - version: 1.1\n", 24, 4096, &si) != 0);
	CHECK("slabinfo version 1 with caches is not version_ok",
	      procfs_parse_slabinfo(v1, strlen(v1), 4096, &si) == 0 && si.n == 1 && !si.version_ok);
	slabinfo_free(&si);
	CHECK("slabinfo failing leaves nothing to free",
	      procfs_parse_slabinfo("slabinfo - version: 1.1\nbad\n", 28, 4096, &si) != 0 && !si.c);
}

UNIT_SUITE(why_sysvipc)
{
	struct sysv_shm sh;
	size_t len;
	char *buf;

	buf = fixture(FX "sysvipc_shm.6.18", &len);
	CHECK("sysvipc parses", buf && procfs_parse_sysvipc_shm(buf, len, &sh) == 0 && sh.n == 3);
	CHECK("sysvipc orphan row", sh.n == 3 && sh.s[0].shmid == 3 && sh.s[0].size == 33554432 &&
					   sh.s[0].rss == 33554432 && sh.s[0].nattch == 0 &&
					   sh.s[0].has_nattch && sh.s[0].cpid == 5001 && sh.s[0].has_rss);
	CHECK("sysvipc signed keys", sh.n == 3 && sh.s[1].key == 1234567890 && sh.s[2].key == -559038737);
	sysv_shm_free(&sh);
	free(buf);

	buf = fixture(FX "sysvipc_shm.2.6", &len);
	CHECK("sysvipc without rss/swap columns",
	      buf && procfs_parse_sysvipc_shm(buf, len, &sh) == 0 && sh.n == 1 && !sh.s[0].has_rss &&
		      sh.s[0].size == 1048576);
	sysv_shm_free(&sh);
	free(buf);
	CHECK("sysvipc header without shmid refused",
	      procfs_parse_sysvipc_shm("a b c\n1 2 3\n", 12, &sh) != 0);
}

UNIT_SUITE(why_mountinfo)
{
	struct mountinfo mi;
	size_t len;
	char *buf, *s;

	buf = fixture(FX "mountinfo.escaped", &len);
	CHECK("mountinfo parses", buf && procfs_parse_mountinfo(buf, len, &mi) == 0);
	CHECK("mountinfo: good lines kept, broken ones counted", mi.n == 6 && mi.bad_lines == 2);
	if (mi.n == 6) {
		CHECK_STR("mountinfo optional fields skipped", "tmpfs", mi.m[1].fstype);
		CHECK("mountinfo dev", mi.m[1].major == 0 && mi.m[1].minor == 23);
		CHECK_STR("mountinfo \\040 is a space", "/mnt/with space", mi.m[2].mountpoint);
		CHECK_STR("mountinfo source unescaped", "my src", mi.m[2].source);
		CHECK_STR("mountinfo \\012 and \\011", "/mnt/new\nline\ttab", mi.m[3].mountpoint);
		CHECK_STR("mountinfo \\134 is a backslash", "/sub\\dir", mi.m[3].root);
		CHECK_STR("mountinfo broken escapes kept literally", "/mnt/bad\\9escape\\04", mi.m[4].mountpoint);
	}
	mountinfo_free(&mi);
	free(buf);
	CHECK("mountinfo failing leaves nothing to free",
	      procfs_parse_mountinfo("garbage\n", 8, &mi) != 0 && !mi.m);
	s = procfs_unescape_octal("a\\", 2);
	CHECK_STR("unescape: trailing backslash", "a\\", s);
	free(s);
}

UNIT_SUITE(why_vmallocinfo)
{
	struct vmallocinfo vi;
	size_t len;
	char *buf;

	buf = fixture(FX "vmallocinfo.6.18", &len);
	CHECK("vmallocinfo parses", buf && procfs_parse_vmallocinfo(buf, len, 4096, &vi) == 0);
	CHECK("vmallocinfo counts only vmalloc'ed pages", vi.areas == 7 && vi.vmalloc_bytes == 72 * 4096);
	CHECK("vmallocinfo finds vmapped kernel stacks", vi.stack_bytes == 8 * 4096);
	CHECK("vmallocinfo sums per caller", vi.n == 2);
	vmallocinfo_free(&vi);
	free(buf);
	buf = fixture(FX "vmallocinfo.hostile", &len);
	CHECK("vmallocinfo hostile parses without wrapping",
	      buf && procfs_parse_vmallocinfo(buf, len, 4096, &vi) == 0 && vi.bad_lines >= 2 &&
		      vi.vmalloc_bytes >= 4096);
	vmallocinfo_free(&vi);
	free(buf);
}
