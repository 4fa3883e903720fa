# shmem on a long run: a writer whose process has exited and whose pages
# are all gone leaves the writer table, so short-lived writers (a process
# per write, as a shell loop makes) do not fill --max-writers in a run of
# weeks.  31 dd processes write through a table with room for 16: without
# pruning, 15 of them would find it full (drop_writer_table_full) and the
# last one's pages would be unattributed.
source tests/lib.sh
MNT=$TMP/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=16m tmpfs "$MNT" || { fail "mount a tmpfs"; exit 0; }
on_exit "umount -l $MNT"

"$MEMLEAKBPF" shmem --json --mount "$MNT" --max-writers 16 0.5 >"$TMP/s.json" 2>"$TMP/s.err" &
tracer=$!
on_exit "kill -9 $tracer"
# with --stacks, each dd's stack (its own addresses: ASLR) goes with it
"$MEMLEAKBPF" shmem --json --stacks --mount "$MNT" --max-writers 16 0.5 >"$TMP/st.json" 2>"$TMP/st.err" &
stracer=$!
on_exit "kill -9 $stracer"
# every dd gone before its /proc/PID/maps is read: its frames' files come
# from the mappings BPF read at the write (include/shmem.h)
MEMLEAKBPF_SHMEM_TEST_WAIT_GONE=dd "$MEMLEAKBPF" shmem --json --stacks --mount "$MNT" 0.5 \
	>"$TMP/gone.json" 2>"$TMP/gone.err" &
gtracer=$!
on_exit "kill -9 $gtracer"
wait_line "$TMP/s.json" '"mode"' 20 || fail "first report" "$(cat "$TMP/s.err")"
wait_line "$TMP/st.json" '"mode"' 20 || fail "--stacks: first report" "$(cat "$TMP/st.err")"
wait_line "$TMP/gone.json" '"mode"' 20 || fail "gone writers: first report" "$(cat "$TMP/gone.err")"

# pruned SINCE: the writers pruned so far, once past SINCE (20 reports at most)
pruned_past() {
	local i
	for ((i = 0; i < 20; i++)); do
		[ "$(jq_get "$TMP/s.json" .counters.writers_pruned)" -ge "$1" ] && break
		wait_reports "$TMP/s.json" 1
	done
	jq_get "$TMP/s.json" .counters.writers_pruned
}
for batch in 1 2 3; do
	for i in $(seq 1 10); do
		dd if=/dev/zero of="$MNT/f$i" bs=4k count=4 status=none
		rm -f "$MNT/f$i"
	done
	check_ge "batch $batch: its 10 exited writers without pages are pruned" $((batch * 10)) \
		"$(pruned_past $((batch * 10)))"
done
dd if=/dev/zero of="$MNT/keep" bs=4k count=8 status=none
wait_reports "$TMP/s.json" 2
check_eq "no writer found the table full" 0 "$(jq_get "$TMP/s.json" .counters.drop_writer_table_full)"
check_eq "the last writer's file: 32768 bytes, all by dd" "32768 dd 32768" \
	"$(jq_get "$TMP/s.json" '.inodes[] | select(.path | endswith("/keep")) | "\(.bytes) \(.writers[0].comm) \(.writers[0].bytes)"')"
# the last writer owns a page: it stays whatever its process does
n=$(jq_get "$TMP/s.json" .counters.writers_pruned)
wait_reports "$TMP/s.json" 3
check_eq "a writer that owns pages is never pruned" "$n" "$(jq_get "$TMP/s.json" .counters.writers_pruned)"
check_eq "... and still named" "dd" "$(jq_get "$TMP/s.json" '.inodes[] | select(.path | endswith("/keep")) | .writers[0].comm')"
check_ge "--stacks: the pruned writers' stacks are pruned" 20 "$(jq_get "$TMP/st.json" .counters.stacks_pruned)"
check_eq "--stacks: no writer found the table full" 0 "$(jq_get "$TMP/st.json" .counters.drop_writer_table_full)"
# (dd has no frame pointers: its stack is the write in libc)
check_eq "--stacks: the last writer keeps its stack" true \
	"$(jq_get "$TMP/st.json" '[.inodes[] | select(.path | endswith("/keep")) | .writers[0].stack[] | test("write")] | any')"
check_eq "\"dropped\" lists drops only, not the pruned counts" "" \
	"$(jq_get "$TMP/st.json" '[.dropped | keys[] | select(test("pruned"))] | join(",")')"
kill -INT $gtracer
wait $gtracer
check_eq "gone writers: exit status" 0 $?
# 31 dd processes, each gone (reaped) before the tracer looked (the 30
# pruned ones were resolved too: the counter would say otherwise)
check_eq "gone writers: the last writer's stack names libc's write" true \
	"$(jq_get "$TMP/gone.json" '[.inodes[] | select(.path | endswith("/keep")) | .writers[0].stack[] | test("write.*libc")] | any')"
# (a writer whose event found the ring full has no mappings at all)
check_eq "gone writers: none had a frame left unresolved (maps, events)" "0 0" \
	"$(jq_get "$TMP/gone.json" '"\(.counters.drop_writer_maps) \(.counters.drop_writer_events)"')"

# A writer gone as fast, with frames in its own binary, which no process
# maps any more: those frames keep the file's name and offset (read by
# BPF at the write), and the writer is counted as not fully named.
MEMLEAKBPF_SHMEM_TEST_WAIT_GONE=gone_writer "$MEMLEAKBPF" shmem --json --stacks --mount "$MNT" 0.5 \
	>"$TMP/bin.json" 2>"$TMP/bin.err" &
btracer=$!
on_exit "kill -9 $btracer"
wait_line "$TMP/bin.json" '"mode"' 20 || fail "binary frames: first report" "$(cat "$TMP/bin.err")"
cp "$PROGS/shmem_writer" "$TMP/gone_writer"
"$TMP/gone_writer" write "$MNT/bin" 4096 >/dev/null
rm -f "$TMP/gone_writer"
wait_reports "$TMP/bin.json" 2
kill -INT $btracer
wait $btracer
check_eq "binary frames: exit status" 0 $?
check_eq "binary frames: libc's write named, main's frame is gone_writer+offset" "true true" \
	"$(jq_get "$TMP/bin.json" '[.inodes[] | select(.path | endswith("/bin")) | .writers[0].stack] | .[0] | "\(any(.[]; test("write.*libc"))) \(any(.[]; test("^0x[0-9a-f]+ \\[gone_writer\\+0x[0-9a-f]+\\]$")))"')"
check_eq "binary frames: the writer is counted (drop_writer_maps)" 1 \
	"$(jq_get "$TMP/bin.json" .counters.drop_writer_maps)"
kill -INT $tracer $stracer
wait $tracer
check_eq "exit status" 0 $?
wait $stracer
check_eq "--stacks: exit status" 0 $?
