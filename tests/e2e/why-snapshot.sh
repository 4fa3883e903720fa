#!/usr/bin/env bash
# why: a tmpfs (mounted on a path with a space) holding a 64 MiB file with a
# hostile name, a 32 MiB deleted-but-open file held by a sleeping process,
# an orphaned 32 MiB SysV segment and a process whose heap grows: `why
# --json` must list each with its exact size and point to the right next
# command; the tree must add up to MemTotal; --watch must see the heap grow
# and an address-space leak; the text report must stay terminal-safe.
source "$(dirname "$0")/../lib.sh"
MiB=1048576

MNT="$TMP/why mnt"
mkdir -p "$MNT"
mount -t tmpfs -o size=256m memleakbpf-why "$MNT" || { fail "mount tmpfs"; exit 0; }
on_exit "umount -l '$MNT'"
# A name with a newline, an escape sequence and spaces.
BIG="$MNT/big $(printf 'file\n\033[31mred')"
dd if=/dev/zero of="$BIG" bs=1M count=64 status=none
dd if=/dev/zero of="$MNT/deleted" bs=1M count=32 status=none
# The holder is `sleep` under a hostile name: a space, a newline and an
# escape sequence reach its comm.  The file is opened here, before the
# fork, so it is open before it is removed.
HOSTILE="$TMP/ev il"$'\n\e[31mx'
cp "$(command -v sleep)" "$HOSTILE"
exec 3<"$MNT/deleted"
"$HOSTILE" 600 &
HOLDER=$!
exec 3<&-
on_exit "kill $HOLDER"
rm "$MNT/deleted"

read -r SHMID SHMPID < <("$PROGS/why_shm" $((32 * MiB)))
[ -n "$SHMID" ] && on_exit "ipcrm -m $SHMID"

# Started in the background; each prints "ready" after its first step.
wait_ready() { local i; for i in $(seq 100); do grep -q ready "$1" && return; sleep 0.1; done; }
# Their pace is slowed by TEST_TIME_SCALE: under TCG the test reaches
# --watch later, and a grower that already hit its cap would grow no more.
"$PROGS/why_heap" heap $((2 * MiB)) $((100 * SCALE)) $((384 * MiB)) >"$TMP/heap.out" &
HEAPPID=$!
on_exit "kill $HEAPPID"
"$PROGS/why_heap" virt $((64 * MiB)) $((50 * SCALE)) $((16384 * MiB)) >"$TMP/virt.out" &
VIRTPID=$!
on_exit "kill $VIRTPID"
wait_ready "$TMP/heap.out"
wait_ready "$TMP/virt.out"
# The snapshot below wants the heap past 16 MiB: at the scaled pace that
# takes TEST_TIME_SCALE times longer, so wait for it (20 MiB of RssAnon).
for ((i = 0; i < 300 * SCALE; i++)); do
	[ "$(awk '/^RssAnon:/ {print $2}' "/proc/$HEAPPID/status" 2>/dev/null || echo 0)" -ge $((20 * 1024)) ] && break
	sleep 0.1
done
sleep 1

OUT=$TMP/snap.json
"$MEMLEAKBPF" why --json -T 1000 -t 16M >"$OUT" 2>"$TMP/snap.err"
check_eq "exit status 0" 0 $?
check "output is one JSON object" jq -e '.mode == "why"' "$OUT"

m=".tmpfs_mounts[] | select(.mountpoint == \"$MNT\")"
check_eq "tmpfs mount on an escaped path found, used = 64 + 32 MiB (statvfs)" $((96 * MiB)) "$(jq_get "$OUT" "$m | .used")"
check_eq "tmpfs largest file, hostile name intact" "$BIG" "$(jq_get "$OUT" "$m | .top_files[0].path")"
check_eq "tmpfs largest file size exact" $((64 * MiB)) "$(jq_get "$OUT" "$m | .top_files[0].bytes")"
check_eq "tmpfs mount in the tree under shmem" $((96 * MiB)) \
	"$(jq_get "$OUT" ".tree.children[] | select(.name==\"user\") | .children[] | select(.name==\"shmem\") | .children[] | select(.name==\"tmpfs $MNT\") | .bytes")"

s=".sysv_segments[] | select(.shmid == $SHMID)"
check_eq "SysV segment size" $((32 * MiB)) "$(jq_get "$OUT" "$s | .size")"
check_eq "SysV segment rss" $((32 * MiB)) "$(jq_get "$OUT" "$s | .rss")"
check_eq "SysV segment orphaned (nattch 0)" 0 "$(jq_get "$OUT" "$s | .nattch")"
check_eq "SysV segment creator pid" "$SHMPID" "$(jq_get "$OUT" "$s | .creator_pid")"
check_ge "SysV node in the tree" $((32 * MiB)) \
	"$(jq_get "$OUT" '.tree.children[] | select(.name=="user") | .children[] | select(.name=="shmem") | .children[] | select(.name=="SysV shm") | .bytes')"

d=".deleted_open[] | select(.path == \"$MNT/deleted (deleted)\")"
check_eq "deleted-open file size" $((32 * MiB)) "$(jq_get "$OUT" "$d | .bytes")"
check_eq "deleted-open file holder pid" "$HOLDER" "$(jq_get "$OUT" "$d | .holders[0].pid")"
# /proc/PID/status escapes the newline as \n and passes the ESC through.
check_eq "deleted-open file holder comm, as the kernel escapes it" "ev il\\n"$'\e[31mx' \
	"$(jq_get "$OUT" "$d | .holders[0].comm")"

p=".processes[] | select(.pid == $HEAPPID)"
check_ge "growing heap: private anon listed" $((16 * MiB)) "$(jq_get "$OUT" "$p | .private_anon")"
check_eq "growing heap: no shared anon" 0 "$(jq_get "$OUT" "$p | .shared_anon")"
check "growing heap: smaps split present" jq -e "$p | .private_file != null and .pss != null" "$OUT"

next() { jq_get "$OUT" "[.findings[] | select(.next_command == \"$1\")] | length"; }
check_eq "finding: tmpfs mount -> memleakbpf shmem --mount" 1 "$(next "memleakbpf shmem --mount '$MNT'")"
check_eq "finding: orphaned SysV -> ipcrm" 1 "$(next "ipcrm -m $SHMID")"
check_eq "finding: deleted-open -> the holder's fds" 1 "$(next "ls -l /proc/$HOLDER/fd")"
check_eq "finding: heap -> memleakbpf -p" 1 "$(next "memleakbpf -p $HEAPPID")"
check "finding has text and evidence" jq -e "[.findings[] | select(.next_command == \"ipcrm -m $SHMID\") | .text, .evidence | length > 10] | all" "$OUT"

total=$(jq_get "$OUT" .meminfo.MemTotal)
check_eq "tree root is MemTotal" "$total" "$(jq_get "$OUT" .tree.bytes)"
check_eq "tree leaves add up to MemTotal" "$total" \
	"$(jq_get "$OUT" '[.tree | .. | objects | select(has("children") and (.children | length) == 0) | .bytes] | add')"
check "tree: every node is the sum of its children" jq -e \
	'[.tree | .. | objects | select(has("children") and (.children | length) > 0) | .bytes == ([.children[].bytes] | add)] | all' "$OUT"
check "meminfo keys are the kernel's names, in bytes" jq -e \
	".meminfo.Shmem >= $((96 * MiB + 32 * MiB)) and .meminfo[\"Active(file)\"] >= 0 and (.meminfo.HugePages_Total | type) == \"number\"" "$OUT"
check "OOM kill order lists the heap process" jq -e "[.oom_kill_order[].pid] | index($HEAPPID) != null" "$OUT"
check "missing values are null, never absent" jq -e \
	'.processes | all(has("private_file") and has("shared_file") and has("pss") and has("growth"))' "$OUT"

# Text report: same numbers, no raw control bytes from hostile names.
"$MEMLEAKBPF" why -T 1000 -t 16M >"$TMP/snap.txt" 2>/dev/null
check_eq "text report exit 0" 0 $?
check "text report names the next commands" grep -q "next: ipcrm -m $SHMID" "$TMP/snap.txt"
check_eq "text report has no escape bytes" 0 "$(grep -c $'\033' "$TMP/snap.txt")"
check "text report shows the hostile file name sanitized" grep -qF 'big file\n\x1b[31mred' "$TMP/snap.txt"

# --watch: growth per category and trend findings.
# A file on the tmpfs grows by 48 MiB while watching: it starts once the
# first report is out (the first sample is taken) and the watch ends two
# reports after it is written, however slow the machine (a loaded TCG guest
# took longer than one interval to write it).
W=$TMP/watch.json
"$MEMLEAKBPF" why --json -w "$SCALE" -T 1000 -g 8M >"$W" 2>/dev/null &
watcher=$!
wait_line "$W" '"growth"' $((30 * SCALE)) || fail "--watch: first report" "nothing in $((30 * SCALE)) s"
for i in 1 2 3 4 5 6; do dd if=/dev/zero bs=1M count=8 status=none >>"$MNT/grow"; done
n=$(wc -l <"$W")
for _ in $(seq $((300 * SCALE))); do [ "$(wc -l <"$W")" -ge $((n + 2)) ] && break; sleep 0.1; done
kill -INT $watcher
wait $watcher
check_eq "--watch: exit 0 on SIGINT after its reports" 0 $?
check_ge "--watch: at least three reports" 3 "$(wc -l <"$W")"
check "--watch reports elapsed time and growth" jq -e '.elapsed > 1.5 and (.growth | length) > 10' <(tail -n 1 "$W")
check_ge "--watch: heap growth measured" $((16 * MiB)) "$(jq_get "$W" ".processes[] | select(.pid == $HEAPPID) | .growth.private_anon")"
check_eq "--watch: heap leak finding -> memleakbpf -p" 1 \
	"$(jq_get "$W" "[.findings[] | select(.next_command == \"memleakbpf -p $HEAPPID\" and (.text | test(\"heap leak likely\")))] | length")"
check_eq "--watch: address-space leak finding" 1 \
	"$(jq_get "$W" "[.findings[] | select(.next_command == \"memleakbpf -p $VIRTPID\" and (.text | test(\"address-space leak\")))] | length")"
check_eq "--watch: the tmpfs mount grew by the file's 48 MiB" $((48 * MiB)) \
	"$(jq_get "$W" ".growth[] | select(.name == \"MemTotal/user/shmem/tmpfs $MNT\") | .delta")"
check_eq "--watch: the intervals' growth adds up to the growth since the start" $((48 * MiB)) \
	"$(jq -s "[.[].growth[] | select(.name == \"MemTotal/user/shmem/tmpfs $MNT\") | .interval_delta] | add" "$W")"
check_eq "--watch: tmpfs growth finding -> memleakbpf shmem --mount" 1 \
	"$(jq_get "$W" "[.findings[] | select(.next_command == \"memleakbpf shmem --mount '$MNT'\" and (.text | test(\"grew\")))] | length")"

# Ctrl-C ends --watch cleanly, even from a background job (where bash
# starts it with SIGINT ignored).
"$MEMLEAKBPF" why -w 0.5 >"$TMP/int.txt" 2>&1 &
WPID=$!
sleep 1.4
kill -INT $WPID
for _ in $(seq 30); do kill -0 $WPID 2>/dev/null || break; sleep 0.1; done
kill -KILL $WPID 2>/dev/null
wait $WPID
check_eq "--watch exits 0 on SIGINT" 0 $?
check "--watch printed growth reports before SIGINT" grep -q "growth in the last interval" "$TMP/int.txt"

# A fixture /proc (tests/fixtures/why/proc): the same code on known input.
FX=$(cd "$(dirname "$0")/../fixtures/why/proc" && pwd)
"$MEMLEAKBPF" why --json --proc-root "$FX" >"$TMP/fx.json" 2>/dev/null
check_eq "fixture /proc: exit 0" 0 $?
check_eq "fixture /proc: tree root is its MemTotal" $((4096000 * 1024)) "$(jq_get "$TMP/fx.json" .tree.bytes)"
check_eq "fixture /proc: OOM order" "103 100 105 102 101" "$(jq_get "$TMP/fx.json" '[.oom_kill_order[].pid] | join(" ")')"
check_eq "fixture /proc: missing files are reported, not fatal" 1 \
	"$(jq_get "$TMP/fx.json" '[.unreadable[] | select(.what == "mountinfo")] | length')"

# Usage errors and a missing /proc.
check_fails "bad --watch" "--watch" "$MEMLEAKBPF" why -w abc
check_fails "--count without --watch" "needs --watch" "$MEMLEAKBPF" why -n 2
check_fails "stray argument" "unexpected argument" "$MEMLEAKBPF" why 1234
check_fails "no /proc/meminfo" "cannot read .*meminfo" "$MEMLEAKBPF" why --proc-root "$TMP/none"
"$MEMLEAKBPF" why --help | grep -q EXAMPLES
check_eq "--help has EXAMPLES" 0 $?
