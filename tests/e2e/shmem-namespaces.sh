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
