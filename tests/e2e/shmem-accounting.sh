#!/usr/bin/env bash
# memleakbpf shmem end to end: every case of issue 3 against ground truth
# (st_blocks*512 per file, /proc/sysvipc/shm rss, bytes touched for shared
# anonymous memory), with the writer already exited at check time.
# One JSON tracer (a report every 0.5 s) watches all cases; a second one in
# text mode checks the output stays free of control bytes; a third has a
# 16-page table and must count its drops; a fourth has the smallest ring
# buffer, so adds are lost: those pages are "dropped", never "before
# tracing".
. "$(dirname "$0")/../lib.sh"

W=$PROGS/shmem_writer
MNT=$TMP/mnt
HUGE=$TMP/huge
KEY=$(printf '0x4d4c%04x' $(($$ & 0xffff)))
DEVSHM=/dev/shm/memleakbpf-test-$$
EVIL=$'\e[31mEVIL\a\n'
mkdir -p "$MNT" "$HUGE"
mount -t tmpfs -o size=512m tmpfs "$MNT" || { fail "mount tmpfs"; exit 1; }
on_exit "umount -l '$MNT'"
mount -t tmpfs -o size=256m,huge=always tmpfs "$HUGE" || { fail "mount tmpfs huge=always"; exit 1; }
on_exit "umount -l '$HUGE'"
on_exit "rm -f '$DEVSHM'"
on_exit "ipcrm -M $KEY"
MDEV=$(stat -c '%Hd:%Ld' "$MNT")
HDEV=$(stat -c '%Hd:%Ld' "$HUGE")
SDEV=$(stat -c '%Hd:%Ld' /dev/shm)

# Resident before tracing: reported as such, never given a writer.
"$W" write "$MNT/pre" 40960 >/dev/null

# Other tools may load BPF concurrently: count only this mode's programs.
our_progs() { bpftool prog list 2>/dev/null | grep -cE 'name (tp_lruvec_state|tp_page_alloc|tp_delete|tp_lru_insertion|fx_add_to_page_c|fe_remove_folio|fe_writeout|fx_swapin_folio)\b'; }
progs_before=$(our_progs)
"$MEMLEAKBPF" shmem -v --json 0.5 >"$TMP/a.json" 2>"$TMP/a.err" &
A=$!
"$MEMLEAKBPF" shmem >"$TMP/b.txt" 2>"$TMP/b.err" &
B=$!
"$MEMLEAKBPF" shmem --json --max-pages 16 >"$TMP/c.json" 2>"$TMP/c.err" &
C=$!
"$MEMLEAKBPF" shmem --json --ring-size 4k --mount "$MNT" 0.5 >"$TMP/d.json" 2>"$TMP/d.err" &
D=$!
on_exit "kill -KILL $A $B $C $D"
# Start-up takes ~1 s here, far longer under emulation (TCG): poll.
for f in a b c d; do wait_line "$TMP/$f.err" '^Tracing' 120; done
check "tracers started" grep -q '^Tracing' "$TMP/a.err" "$TMP/b.err" "$TMP/c.err" "$TMP/d.err"
# The hook set in use is the first of fentry, tracepoint, lru that loads
# (SHMEM_HOOKS=SET pins it for a run); every set before it is named at -v
# with the reason it was passed over.
SET=$(sed -n 's/^memleakbpf: hook set \([a-z]*\): in use.*/\1/p' "$TMP/a.err")
echo "hook set in use: ${SET:-none}"
if [ -n "${SHMEM_HOOKS:-}" ]; then
	check_eq "-v: the hook set SHMEM_HOOKS forces is in use" "$SHMEM_HOOKS" "$SET"
else
	check "-v names the hook set in use" test -n "$SET"
	# SHMEM_EXPECT_HOOKS (tests/vm, per stock kernel): what probing must pick
	[ -n "${SHMEM_EXPECT_HOOKS:-}" ] &&
		check_eq "-v: probing picked $SHMEM_EXPECT_HOOKS here" "$SHMEM_EXPECT_HOOKS" "$SET"
	for s in fentry tracepoint lru; do
		[ "$s" = "$SET" ] && break
		check "-v: $s passed over with its reason" grep -qE "hook set $s: rejected \(.+\)" "$TMP/a.err"
	done
fi
[ "$SET" = tracepoint ] &&
	check "-v names the tracepoint hooks in use" grep -q 'mod_memcg_lruvec_state (NR_SHMEM): in use' "$TMP/a.err"
[ "$SET" = fentry ] &&
	check "-v names the fentry hooks in use" grep -q 'fexit/shmem_add_to_page_cache: in use' "$TMP/a.err"

# run VAR ARGS...: runs the writer, sets VAR_pid/VAR_ino/VAR_holder/VAR_shmid
# (RUNNER: a command to run it under, e.g. taskset).
run() {
	local var=$1 out k v
	shift
	out=$(${RUNNER:-} "$W" "$@") || fail "writer $*"
	for k in pid ino holder shmid; do
		v=$(grep -o "$k=[0-9]*" <<<"$out" | head -n 1 | cut -d= -f2)
		printf -v "${var}_$k" '%s' "$v"
		[ "$k" = holder ] && [ -n "$v" ] && on_exit "kill $v"
	done
}

run write write "$MNT/write" 1000000
run pwrite pwrite "$MNT/pwrite" 1048576 65536
run writev writev "$MNT/writev" 307200
run mmap mmap "$MNT/mmap" 2097152 1048576
run falloc falloc "$MNT/falloc" 0 1048576
run fkeep falloc "$MNT/fkeep" 0 524288 keep
run punch write "$MNT/punch" 1048576
"$W" punch "$MNT/punch" 262144 262144 >/dev/null
run trunc write "$MNT/trunc" 1048576
"$W" truncate "$MNT/trunc" 300000 >/dev/null
run madv write "$MNT/madv" 1048576
"$W" madv_remove "$MNT/madv" 0 262144 >/dev/null
run first write "$MNT/over" 262144
run second pwrite "$MNT/over" 131072 262144
run unl unlink_hold "$MNT/unlinked" 204800
run huge write "$HUGE/h" 4202496
run hsplit write "$HUGE/split" 4202496
"$W" truncate "$HUGE/split" 3149824 >/dev/null
run devshm write "$DEVSHM" 102400
run memfd memfd mlbpf-test 307200
run shanon shanon 262144
run sysv sysv "$KEY" 196608
run compact write "$MNT/compact" 33554432
run evil -n "$EVIL" write "$MNT/evil" 8192
# Adds are sent in runs (one per CPU, pending until a page does not extend
# it); deletes at once.  A delete that reaches the tracer before the run
# holding its page's add must still win: truncate and punch on another CPU
# right after the write (20 rounds), unlink on another CPU, and writes that
# alternate between two files so that no run grows.
run race race "$MNT/race" 1048576 20
run runl race_unlink "$MNT/runl" 1048576
run ilv interleave "$MNT/ilv1" "$MNT/ilv2" 524288
# One run of pages on one CPU whose writer key changes halfway: the comm
# (a thread renamed between two 256 KiB writes), then the process (a second
# writer appending where the first stopped, on the same CPU).  Pages that
# extend a pending run are decided from the run alone (fentry), so these
# must still split the run.
run ren rename "$MNT/ren" 262144 renamed-writer
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')
RUNNER="taskset -c $cpu" run app1 pwrite "$MNT/app" 0 262144
RUNNER="taskset -c $cpu" run app2 pwrite "$MNT/app" 262144 262144
ilv2_ino=$(stat -c %i "$MNT/ilv2")

# snapshot: wait for a report that started after this call, keep it.
snapshot() {
	local n m
	n=$(wc -l <"$TMP/a.json")
	for _ in $(seq 600); do
		m=$(wc -l <"$TMP/a.json")
		[ "$m" -ge $((n + 2)) ] && break
		sleep 0.1
	done
	sed -n "${m}p" "$TMP/a.json" >"$TMP/snap.json"
}
ino_q() { # DEV INO FILTER
	jq -r --arg d "$1" --argjson i "$2" \
		"[.inodes[] | select(.dev == \$d and .ino == \$i)][0] | $3" "$TMP/snap.json" 2>/dev/null
}
blocks() { echo $(($(stat -L -c '%b' "$1") * 512)); }

# check_file TAG DEV INO TRUTH_BYTES PID [COMM]: exact bytes, sole writer.
check_file() {
	local tag=$1 dev=$2 ino=$3 truth=$4 pid=$5 comm=${6:-shmem_writer}
	check_eq "$tag: bytes == ground truth" "$truth" "$(ino_q "$dev" "$ino" .bytes)"
	check_eq "$tag: one writer" 1 "$(ino_q "$dev" "$ino" '.writers | length')"
	check_eq "$tag: writer pid" "$pid" "$(ino_q "$dev" "$ino" '.writers[0].pid')"
	check_eq "$tag: writer comm" "$comm" "$(ino_q "$dev" "$ino" '.writers[0].comm')"
}

check_all() {
	local when=$1 rss
	snapshot
	check_file "write ($when)" "$MDEV" "$write_ino" "$(blocks "$MNT/write")" "$write_pid"
	check_file "pwrite ($when)" "$MDEV" "$pwrite_ino" "$(blocks "$MNT/pwrite")" "$pwrite_pid"
	check_file "writev ($when)" "$MDEV" "$writev_ino" "$(blocks "$MNT/writev")" "$writev_pid"
	check_file "mmap writes ($when)" "$MDEV" "$mmap_ino" "$(blocks "$MNT/mmap")" "$mmap_pid"
	check_file "fallocate ($when)" "$MDEV" "$falloc_ino" "$(blocks "$MNT/falloc")" "$falloc_pid"
	check_file "fallocate KEEP_SIZE ($when)" "$MDEV" "$fkeep_ino" "$(blocks "$MNT/fkeep")" "$fkeep_pid"
	check_file "PUNCH_HOLE ($when)" "$MDEV" "$punch_ino" "$(blocks "$MNT/punch")" "$punch_pid"
	check_file "ftruncate ($when)" "$MDEV" "$trunc_ino" "$(blocks "$MNT/trunc")" "$trunc_pid"
	check_file "MADV_REMOVE ($when)" "$MDEV" "$madv_ino" "$(blocks "$MNT/madv")" "$madv_pid"
	check_file "huge=always ($when)" "$HDEV" "$huge_ino" "$(blocks "$HUGE/h")" "$huge_pid"
	check_file "huge=always, split by ftruncate ($when)" "$HDEV" "$hsplit_ino" \
		"$(blocks "$HUGE/split")" "$hsplit_pid"
	check_file "compaction target ($when)" "$MDEV" "$compact_ino" "$(blocks "$MNT/compact")" "$compact_pid"
	check_file "/dev/shm ($when)" "$SDEV" "$devshm_ino" "$(blocks "$DEVSHM")" "$devshm_pid"
	check_file "deletes on another CPU before the run was sent ($when)" "$MDEV" "$race_ino" \
		"$(blocks "$MNT/race")" "$race_pid"
	check_eq "unlink on another CPU before the run was sent ($when)" "" \
		"$(ino_q "$MDEV" "$runl_ino" .bytes | grep -v null)"
	check_file "interleaved writes, first file ($when)" "$MDEV" "$ilv_ino" "$(blocks "$MNT/ilv1")" "$ilv_pid"
	check_file "interleaved writes, second file ($when)" "$MDEV" "$ilv2_ino" "$(blocks "$MNT/ilv2")" "$ilv_pid"
	check_eq "one run, renamed halfway ($when): bytes per comm" \
		"renamed-writer $ren_pid 262144,shmem_writer $ren_pid 262144" \
		"$(ino_q "$MDEV" "$ren_ino" '[.writers[] | "\(.comm) \(.pid) \(.bytes)"] | sort | join(",")')"
	check_eq "one run, a second process appends on the same CPU ($when): bytes per pid" \
		"$(printf '%s\n' "$app1_pid 262144" "$app2_pid 262144" | LC_ALL=C sort | paste -sd,)" \
		"$(ino_q "$MDEV" "$app1_ino" '[.writers[] | "\(.pid) \(.bytes)"] | sort | join(",")')"
	check_eq "overwrite ($when): bytes == ground truth" "$(blocks "$MNT/over")" \
		"$(ino_q "$MDEV" "$first_ino" .bytes)"
	check_eq "overwrite ($when): first writer keeps its pages" "$first_pid 262144" \
		"$(ino_q "$MDEV" "$first_ino" '.writers[] | select(.pid == '"$first_pid"') | "\(.pid) \(.bytes)"')"
	check_eq "overwrite ($when): second writer has only the extension" "$second_pid 131072" \
		"$(ino_q "$MDEV" "$first_ino" '.writers[] | select(.pid == '"$second_pid"') | "\(.pid) \(.bytes)"')"
	check_file "unlink while open ($when)" "$MDEV" "$unl_ino" \
		"$(blocks "/proc/$unl_holder/fd/3")" "$unl_pid"
	check_eq "unlink while open ($when): marked deleted, held by the child" "true $unl_holder" \
		"$(ino_q "$MDEV" "$unl_ino" '"\(.deleted) \(.holders | join(","))"')"
	check_eq "memfd ($when): kind and name" "memfd memfd:mlbpf-test" \
		"$(jq -r --argjson i "$memfd_ino" '[.inodes[] | select(.ino == $i and .kind == "memfd")][0] | "\(.kind) \(.path)"' "$TMP/snap.json")"
	check_eq "memfd ($when): bytes == ground truth, writer" \
		"$(blocks "/proc/$memfd_holder/fd/3") $memfd_pid shmem_writer" \
		"$(jq -r --argjson i "$memfd_ino" '[.inodes[] | select(.ino == $i and .kind == "memfd")][0] | "\(.bytes) \(.writers[0].pid) \(.writers[0].comm)"' "$TMP/snap.json")"
	check_eq "shared anon ($when): bytes touched, writer" "262144 $shanon_pid shmem_writer" \
		"$(jq -r --argjson i "$shanon_ino" '[.inodes[] | select(.ino == $i and .kind == "shared_anon")][0] | "\(.bytes) \(.writers[0].pid) \(.writers[0].comm)"' "$TMP/snap.json")"
	rss=$(awk -v id="$sysv_shmid" '$2 == id { print $15 }' /proc/sysvipc/shm)
	check_eq "SysV ($when): bytes == /proc/sysvipc/shm rss, writer" "$rss $sysv_pid shmem_writer" \
		"$(jq -r --argjson i "$sysv_shmid" '[.inodes[] | select(.kind == "sysv" and .sysv_shmid == $i)][0] | "\(.bytes) \(.writers[0].pid) \(.writers[0].comm)"' "$TMP/snap.json")"
	check_eq "SysV ($when): path names key and shmid" "SYSV key=$KEY shmid=$sysv_shmid" \
		"$(jq -r --argjson i "$sysv_shmid" '[.inodes[] | select(.kind == "sysv" and .sysv_shmid == $i)][0] | .path' "$TMP/snap.json")"
}

# The ground truth must be what the cases claim, or the checks prove little.
check_eq "huge=always really used huge pages" 6291456 "$(blocks "$HUGE/h")"
check_eq "PUNCH_HOLE really punched" 786432 "$(blocks "$MNT/punch")"
check_eq "fallocate KEEP_SIZE kept size 0" 0 "$(stat -c %s "$MNT/fkeep")"
check_all "after the writers exited"
check_ge "a delete overtook the run of its add (the case is staged)" 1 \
	"$(jq -r .counters.early_deleted_pages "$TMP/snap.json")"

# Compaction moves pages only from where it scans: retry until some of the
# file's pages really moved, so the check after it means something.
"$PROGS/shmem_pfns" "$MNT/compact" >"$TMP/pfn.before"
for _ in 1 2 3 4 5; do
	echo 1 >/proc/sys/vm/compact_memory
	"$PROGS/shmem_pfns" "$MNT/compact" >"$TMP/pfn.after"
	moved=$(paste "$TMP/pfn.before" "$TMP/pfn.after" | awk '$1 != $2' | wc -l)
	[ "$moved" -gt 0 ] && break
done
if [ "$moved" -gt 0 ]; then
	pass "compaction moved $moved pages of the traced file"
else
	echo "SKIP: $TEST_NAME: compaction moved none of the traced file's pages in 5 tries"
fi
check_all "after compaction"

check_eq "before tracing: bytes, no writer" "40960 40960 0" \
	"$(jq -r --arg d "$MDEV" '[.inodes[] | select(.dev == $d and (.path | endswith("/pre")))][0] | "\(.bytes) \(.bytes_before_tracing) \(.writers | length)"' "$TMP/snap.json")"
check_eq "mount: used - tracked == the bytes from before tracing" 40960 \
	"$(jq -r --arg m "$MNT" '.mounts[] | select(.mountpoint == $m) | .bytes_used - .bytes_tracked' "$TMP/snap.json")"
check_eq "per-writer total across inodes" "$(blocks "$MNT/write")" \
	"$(jq -r --argjson p "$write_pid" '.writers[] | select(.pid == $p) | .bytes' "$TMP/snap.json")"
check_eq "escaped comm survives in JSON" "$(printf '%s' "$EVIL" | head -c 15)" \
	"$(jq -j --arg d "$MDEV" --argjson i "$evil_ino" '[.inodes[] | select(.dev == $d and .ino == $i)][0] | .writers[0].comm' "$TMP/snap.json")"

# Owners gone: memfd, shared anon, the unlinked file and SysV drop to 0.
kill "$unl_holder" "$memfd_holder" "$shanon_holder"
ipcrm -m "$sysv_shmid"
# A holder's files are released before it turns zombie (its reaper may
# be slow or absent in a VM): wait until each is gone or a zombie.
for p in "$unl_holder" "$memfd_holder" "$shanon_holder"; do
	for _ in $(seq 600); do
		st=$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && break
		sleep 0.1
	done
done
snapshot
check_eq "unlinked file freed when its holder exits" "" "$(ino_q "$MDEV" "$unl_ino" .bytes | grep -v null)"
check_eq "memfd freed when its holder exits" 0 \
	"$(jq --argjson i "$memfd_ino" '[.inodes[] | select(.ino == $i and .kind == "memfd")] | length' "$TMP/snap.json")"
check_eq "shared anon freed when its holder exits" 0 \
	"$(jq --argjson i "$shanon_ino" '[.inodes[] | select(.ino == $i and .kind == "shared_anon")] | length' "$TMP/snap.json")"
check_eq "SysV freed by IPC_RMID" 0 \
	"$(jq --argjson i "$sysv_shmid" '[.inodes[] | select(.kind == "sysv" and .sysv_shmid == $i)] | length' "$TMP/snap.json")"
rm -f "$MNT/write"
# Whole huge folios leave in one delete each (order 9).
"$W" truncate "$HUGE/h" 2097152 >/dev/null
snapshot
check_eq "unlink of a closed file frees it" "" "$(ino_q "$MDEV" "$write_ino" .bytes | grep -v null)"
check_file "huge=always, whole huge folios truncated away" "$HDEV" "$huge_ino" \
	"$(blocks "$HUGE/h")" "$huge_pid"

# The 4 KiB ring (about 100 events): 64 MiB written at once, alternating
# between two files so that every page is a run of its own (16384 adds),
# cannot all fit between two drains, however fast or slow the machine.
run drops interleave "$MNT/drops" "$MNT/drops2" 33554432
n=$(wc -l <"$TMP/d.json")
for _ in $(seq 600); do [ "$(wc -l <"$TMP/d.json")" -ge $((n + 2)) ] && break; sleep 0.1; done
drops_q() { jq_get "$TMP/d.json" "[.inodes[] | select(.dev == \"$MDEV\" and .ino == $drops_ino)][0] | $1"; }
check_ge "small ring: adds were lost (the case is staged)" 1 "$(jq_get "$TMP/d.json" .dropped.events)"
check_eq "small ring: none of it called 'before tracing'" 0 "$(drops_q .bytes_before_tracing)"
check_eq "small ring: tracked + dropped == ground truth" "$(blocks "$MNT/drops")" \
	"$(drops_q '([.writers[].bytes] | add // 0) + .bytes_dropped')"
check_eq "small ring: bytes == ground truth" "$(blocks "$MNT/drops")" "$(drops_q .bytes)"
check_ge "small ring: the mount says how much was dropped" 1 \
	"$(jq_get "$TMP/d.json" "[.mounts[] | select(.mountpoint == \"$MNT\")][0].bytes_dropped")"
rm -f "$MNT/drops" "$MNT/drops2"

kill -INT "$A"
kill -TERM "$B"
kill -INT "$C"
kill -INT "$D"
wait "$A"; check_eq "SIGINT: exit 0" 0 $?
wait "$B"; check_eq "SIGTERM: exit 0" 0 $?
wait "$C"
# Every NR_SHMEM rise found its fresh folio (system-wide, this run).
check_eq "no add went unmatched" "0 0 0" \
	"$(jq_get "$TMP/a.json" '.counters | "\(.drop_no_matching_alloc) \(.drop_alloc_mismatch) \(.drop_events)"')"
check "every JSON line parses" jq -e . "$TMP/a.json"
check_eq "no raw control bytes in the text report" 0 \
	"$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/b.txt")"
check "text report shows the escaped comm" grep -qF '\x1b[31mEVIL\x07\n' "$TMP/b.txt"
check "text report names the writer of /dev/shm" grep -qE "pid $devshm_pid shmem_writer" "$TMP/b.txt"
check_ge "full page table: drops counted" 1 "$(jq_get "$TMP/c.json" .counters.drop_page_table_full)"
check_ge "full page table: dropped reported" 1 "$(jq_get "$TMP/c.json" .dropped.page_table_full)"
check_ge "full page table: at most 16 pages tracked" 0 \
	"$((65536 - $(jq_get "$TMP/c.json" '[.inodes[].writers[].bytes] | add // 0')))"
check_eq "no BPF programs left behind" "$progs_before" "$(our_progs)"
