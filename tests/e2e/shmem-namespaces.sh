# A tmpfs that exists only in another mount namespace (a container's
# private /dev/shm): its files are named by their path in there, as tmpfs
# (not memfd), not deleted, and its mount is listed with the process it was
# seen through and that process's cgroup, while only the namespace's holder
# is left (the writer exited and closed the file).
source tests/lib.sh

W=$PROGS/shmem_writer
NSM=$TMP/nsmnt
mkdir -p "$NSM"
"$MEMLEAKBPF" shmem --json 0.3 >"$TMP/r.json" 2>"$TMP/r.err" &
tr=$!
"$MEMLEAKBPF" shmem 0.3 >"$TMP/t.txt" 2>"$TMP/t.err" &
tt=$!
on_exit "kill $tr $tt"
wait_line "$TMP/r.err" '^Tracing' 120 || fail "tracer start" "$(cat "$TMP/r.err")"
wait_line "$TMP/t.err" '^Tracing' 120
# The namespace: its own tmpfs on $NSM, 300 KiB written by a writer that
# exits, then `sleep` holds the namespace (as a container's init would).
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=16m tmpfs "$1" || exit 1
	"$2" write "$1/f" 307200 >"$1.out" 2>&1 || exit 1
	cp "$1.out" "$3"
	echo $$ >"$3.pid"
	exec sleep 600' sh "$NSM" "$W" "$TMP/w.out" &
on_exit "kill $!"
for _ in $(seq 300); do [ -s "$TMP/w.out.pid" ] && break; sleep 0.1; done
holder=$(cat "$TMP/w.out.pid" 2>/dev/null)
ino=$(grep -o 'ino=[0-9]*' "$TMP/w.out" | cut -d= -f2)
check "the namespace holder runs" test -n "$holder"
check_eq "nothing is mounted on $NSM out here" 0 "$(grep -c " $NSM " /proc/self/mountinfo)"
n=$(wc -l <"$TMP/r.json")
for _ in $(seq 600); do [ "$(wc -l <"$TMP/r.json")" -ge $((n + 2)) ] && break; sleep 0.1; done
kill -INT "$tr" "$tt"; wait "$tr" "$tt"
q() { jq_get "$TMP/r.json" "[.inodes[] | select(.ino == $ino and .mount_ns_pid != null)][0] | $1"; }
check_eq "path inside the namespace" "$NSM/f" "$(q .path)"
check_eq "kind tmpfs, not deleted" "tmpfs false" "$(q '"\(.kind) \(.deleted)"')"
check_eq "bytes == ground truth (written after tracing began)" 307200 "$(q .bytes)"
check_eq "seen through the namespace's holder" "$holder" "$(q .mount_ns_pid)"
mq() { jq_get "$TMP/r.json" "[.mounts[] | select(.namespace.pid == $holder)][0] | $1"; }
check_eq "its mount listed, with the holder's comm" "$NSM sleep" "$(mq '"\(.mountpoint) \(.namespace.comm)"')"
check_eq "its mount's usage measured in there" 307200 "$(mq .bytes_used)"
# its memory cgroup: the v1 memory line where there is one, else v2's
v2=$(awk -F: '$1 == "0" { print $3 }' "/proc/$holder/cgroup")
v1=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$holder/cgroup")
cg=${v1:-$v2}
check_eq "the holder's cgroup names the container" "$cg" "$(mq .namespace.cgroup)"
check "text: the mount names the namespace" grep -q "$NSM \[mount ns of pid $holder sleep" "$TMP/t.txt"

# --stacks in a container (own mount and pid namespaces, chrooted into an
# overlay whose lower layer holds the writer and its libraries): a writer
# gone before its /proc/PID/maps is read.  BPF read its mappings at the
# write as the layer's files (the backing files of 6.8+), which /proc shows
# as the overlay's: they are found through the container's other process
# (the memfd's holder), by inode and name on the overlay.
layer=$TMP/layers/$(printf '%064d' 0 | tr 0 c)/diff
container_layer "$layer" "$W"
mkdir -p "$TMP/upper" "$TMP/work" "$TMP/merged"
MEMLEAKBPF_SHMEM_TEST_WAIT_GONE=shmem_writer "$MEMLEAKBPF" shmem --json --stacks 0.3 \
	>"$TMP/c.json" 2>"$TMP/c.err" &
ct=$!
on_exit "kill $ct"
wait_line "$TMP/c.json" '"mode"' 120 || fail "container: first report" "$(cat "$TMP/c.err")"
cat >"$TMP/ctr.sh" <<'EOS'
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
mkdir -p "$4/shm" "$4/dev" && mount -t tmpfs tmpfs "$4/shm" && mount --bind /dev "$4/dev" || exit 1
cd / && chroot "$4" "$5" memfd m 4096 >"$6.holder" || exit 1
chroot "$4" "$5" write /shm/f 8192 >"$6" || exit 1
exec sleep 600
EOS
unshare -m -p -f --mount-proc sh "$TMP/ctr.sh" "$layer" "$TMP/upper" "$TMP/work" "$TMP/merged" \
	"$W" "$TMP/cw.out" >/dev/null 2>&1 &
# the container's init (sleep, pid 1 in there) killed from out here takes
# every process of its namespace with it (the memfd's holder)
on_exit "pkill -9 -P $!"
for _ in $(seq 300); do [ -s "$TMP/cw.out" ] && break; sleep 0.1; done
cino=$(grep -o 'ino=[0-9]*' "$TMP/cw.out" | cut -d= -f2)
check "container: the writer wrote" test -n "$cino"
n=$(wc -l <"$TMP/c.json")
for _ in $(seq 600); do [ "$(wc -l <"$TMP/c.json")" -ge $((n + 2)) ] && break; sleep 0.1; done
kill -INT "$ct"
wait "$ct"
check_eq "container: exit status" 0 $?
# (by path too: the inode number, 2, is also the first section's file's,
# on its own tmpfs)
cq() { jq_get "$TMP/c.json" "[.inodes[] | select(.ino == ${cino:-0} and (.path | endswith(\"/merged/shm/f\")))][0].writers[0] | $1"; }
check_eq "container: the gone writer's bytes" "8192 shmem_writer" "$(cq '"\(.bytes) \(.comm)"')"
wline=$(grep -n 'write_all(fd, atoll(argv\[3\]))' tests/progs/shmem_writer.c | head -n 1 | cut -d: -f1)
check_eq "container: its stack named: libc's write, main's line, from the layer's files" \
	"true true" "$(cq '"\(any(.stack[]; test("write.*\\[libc"))) \(any(.stack[]; test("^main \\(.*shmem_writer.c:'"$wline"'\\) \\[shmem_writer\\]$")))"')"
check_eq "container: no frame left unresolved (maps, events)" "0 0" \
	"$(jq_get "$TMP/c.json" '"\(.counters.drop_writer_maps) \(.counters.drop_writer_events)"')"
