#!/usr/bin/env bash
# memleakbpf shmem: command line, filters (--cgroup v1 and v2, -p,
# --min-bytes, --mount), --stacks, and one clear line for bad input.
. "$(dirname "$0")/../lib.sh"

W=$PROGS/shmem_writer
MNT=$TMP/mnt
mkdir -p "$MNT"

check "--help exits 0 with EXAMPLES" bash -c "'$MEMLEAKBPF' shmem --help | grep -q EXAMPLES"
check_fails "unknown option" "Try 'memleakbpf shmem --help'" "$MEMLEAKBPF" shmem --bogus
check_fails "bad interval" "invalid interval 'abc'" "$MEMLEAKBPF" shmem abc
check_fails "bad count" "invalid count '0'" "$MEMLEAKBPF" shmem 1 0
check_fails "extra argument" "unexpected argument 'x'" "$MEMLEAKBPF" shmem 1 1 x
check_fails "bad pid" "invalid pid 'abc'" "$MEMLEAKBPF" shmem -p abc
check_fails "bad size" "invalid --min-bytes 'lots'" "$MEMLEAKBPF" shmem --min-bytes lots
check_fails "zero table size" "invalid --max-pages '0'" "$MEMLEAKBPF" shmem --max-pages 0
check_fails "--mount on a non-tmpfs" "not on a tmpfs mount" "$MEMLEAKBPF" shmem --mount /proc
check_fails "--mount missing" "--mount /nonexistent-x: No such file" "$MEMLEAKBPF" shmem --mount /nonexistent-x
check_fails "--cgroup missing" "no such cgroup '/nonexistent-cg-x'" "$MEMLEAKBPF" shmem --cgroup /nonexistent-cg-x
check_fails "unknown hook set" "unknown hook set 'x'" "$MEMLEAKBPF" shmem --hooks x
check_fails "unknown hook set from the environment" "unknown hook set 'y'" \
	env SHMEM_HOOKS=y "$MEMLEAKBPF" shmem
# The default choice, as -v tells it: the first set that loads.
"$MEMLEAKBPF" shmem -v 0.1 1 2>"$TMP/v.err" >/dev/null
SET=$(sed -n 's/^memleakbpf: hook set \([a-z]*\): in use.*/\1/p' "$TMP/v.err")
check "-v names the hook set in use" test -n "$SET"
if [ "$SET" != fentry ]; then
	check_fails "--hooks fentry where fentry is refused: one line with the cause" \
		"cannot load the BPF programs of --hooks fentry: .*(not permitted|not found|CO-RE|verifier|no function)" \
		"$MEMLEAKBPF" shmem --hooks fentry 0.1 1
fi
# Forcing: the set in use by default and lru (loads wherever its
# tracepoint exists); --hooks wins over the environment.
for s in $(printf '%s\n' lru "$SET" | sort -u); do
	"$MEMLEAKBPF" shmem -v --hooks "$s" 0.1 1 2>"$TMP/h.err" >/dev/null
	check "--hooks $s: -v says it is in use" grep -q "hook set $s: in use (forced" "$TMP/h.err"
	SHMEM_HOOKS=$s "$MEMLEAKBPF" shmem -v 0.1 1 2>"$TMP/h.err" >/dev/null
	check "SHMEM_HOOKS=$s: -v says it is in use" grep -q "hook set $s: in use (forced" "$TMP/h.err"
done
SHMEM_HOOKS=fentry "$MEMLEAKBPF" shmem -v --hooks lru 0.1 1 2>"$TMP/h.err" >/dev/null
check "--hooks wins over SHMEM_HOOKS" grep -q "hook set lru: in use (forced" "$TMP/h.err"
check "--hooks lru loads and warns that writers may be wrong" \
	bash -c "'$MEMLEAKBPF' shmem --hooks lru 0.1 1 2>&1 >/dev/null | grep -q 'may be the wrong task'"
check_fails "not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMLEAKBPF" shmem

mount -t tmpfs -o size=64m tmpfs "$MNT" || { fail "mount tmpfs"; exit 1; }
on_exit "umount -l '$MNT'"

# A v1 memory cgroup and a v2 cgroup holding one writer.
CG=mlbpf-test-$$
# The v1 memory hierarchy where one is mounted (this host); elsewhere
# (cgroup2 only, as in a fresh VM) mount one for the test: the memory
# controller moves to it while no v2 cgroup uses it.  Kernels built
# without CONFIG_MEMCG_V1 (6.11+, e.g. Debian's 6.12) have none: the v1
# checks are skipped there, saying so.
V1ROOT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
if [ -z "$V1ROOT" ]; then
	mkdir -p "$TMP/memcg-v1"
	if mount -t cgroup -o memory memcg-v1 "$TMP/memcg-v1" 2>/dev/null; then
		V1ROOT=$TMP/memcg-v1
		V1MOUNTED=1
	else
		echo "SKIP: $TEST_NAME: v1 memory cgroup checks: no v1 memory controller on this kernel"
	fi
fi
V1=${V1ROOT:+$V1ROOT/$CG}
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/$CG
mkdir $V1 "$V2" || { fail "create cgroups"; exit 1; }
on_exit "rmdir $V1 '$V2'"
# After the rmdir (cleanups run in order): a hierarchy with a cgroup left
# in it outlives its unmount.
[ -n "${V1MOUNTED:-}" ] && on_exit "umount '$V1ROOT'"

mkfifo "$TMP/go"
# The -p target: its pid is known before it writes anything.
(read -r _ <"$TMP/go"; exec "$W" write "$MNT/bypid" 12288 >/dev/null) &
PID=$!

start() { # NAME ARGS...
	local n=$1
	shift
	"$MEMLEAKBPF" shmem --json "$@" >"$TMP/$n.json" 2>"$TMP/$n.err" &
	eval "$n=$!"
	on_exit "kill -KILL $!"
}
[ -n "$V1" ] && start V1T --cgroup "$V1" --mount "$MNT"
start V2T --cgroup "$V2" --mount "$MNT"
start PT -p "$PID" --mount "$MNT"
start MT --min-bytes 100k --mount "$MNT"
start ST --stacks --mount "$MNT"
start WT --max-writers 1 --mount "$MNT"
# Start-up takes ~1 s here, far longer under emulation (TCG): poll.
TRACERS="${V1:+V1T }V2T PT MT ST WT"
for f in $TRACERS; do wait_line "$TMP/$f.err" '^Tracing' 120; done

bash -c "${V1:+echo \$\$ >'$V1/cgroup.procs' && }echo \$\$ >'$V2/cgroup.procs' && exec '$W' write '$MNT/incg' 65536" >/dev/null
# -l: the writer stays 300 ms, time enough to copy its mappings.
"$W" -l write "$MNT/big" 204800 >/dev/null
echo go >"$TMP/go"
wait "$PID"

for n in $TRACERS; do kill -INT "${!n}"; wait "${!n}"; done
paths() { jq_get "$TMP/$1.json" '[.inodes[].path | split("/") | last] | sort | join(",")'; }
[ -n "$V1" ] && check_eq "--cgroup (v1 memory path) keeps only that cgroup's writer" incg "$(paths V1T)"
check_eq "--cgroup (v2 path) keeps only that cgroup's writer" incg "$(paths V2T)"
check_eq "the cgroup is shown hierarchy-relative" "/$CG" \
	"$(jq_get "$TMP/V2T.json" '.writers[0].cgroup')"
check_eq "-p keeps only that process" "bypid $PID" \
	"$(jq_get "$TMP/PT.json" '"\([.inodes[].path | split("/") | last] | join(",")) \(.writers[0].pid)"')"
check_eq "--min-bytes hides smaller inodes and writers" "big 1" \
	"$(jq_get "$TMP/MT.json" '"\([.inodes[].path | split("/") | last] | join(",")) \(.writers | length)"')"
check_eq "--mount: only that mount" "$MNT" "$(jq_get "$TMP/ST.json" '[.mounts[].mountpoint] | join(",")')"
check_ge "--stacks: every writer has a user stack" 1 \
	"$(jq_get "$TMP/ST.json" '[.writers[] | .stack | length] | min')"
# The writer has exited: its frames are named from the mappings copied
# when it first wrote.  The frame-pointer walk from write() skips write_all
# (libc keeps no frame), so main's call site is the named frame.
line=$(grep -n 'write_all(fd, atoll(argv\[3\]));' "$(dirname "$0")/../progs/shmem_writer.c" | head -n 1 | cut -d: -f1)
check_eq "--stacks: the exited writer's frame is symbolized to file:line" 1 \
	"$(jq_get "$TMP/ST.json" '[.inodes[] | select(.path | endswith("/big")) | .writers[0].stack[] | select(test("^main \\(.*shmem_writer.c:'"$line"'\\) \\[shmem_writer\\]$"))] | length')"
check_eq "without --stacks the stack is null, not absent" "true null" \
	"$(jq_get "$TMP/MT.json" '"\(.writers[0] | has("stack")) \(.writers[0].stack)"')"
check_eq "keys of an inode" '["bytes","bytes_before_tracing","bytes_dropped","bytes_swapped","deleted","dev","holders","ino","kind","mount_ns_pid","path","sysv_shmid","uid","writers"]' \
	"$(jq_get "$TMP/MT.json" '.inodes[0] | keys' | jq -c .)"
check_eq "keys of the report" '["counters","dropped","final","inodes","mode","mounts","time","timestamp","writers"]' \
	"$(jq_get "$TMP/MT.json" 'keys' | jq -c .)"
check_ge "full writer table: drops counted" 1 "$(jq_get "$TMP/WT.json" .counters.drop_writer_table_full)"
check_ge "full writer table: pages kept with an unknown writer" 1 \
	"$(jq_get "$TMP/WT.json" '[.inodes[].writers[] | select(.pid == null)] | length')"
check_eq "full writer table: bytes still exact" "$(($(stat -c %b "$MNT/big") * 512))" \
	"$(jq_get "$TMP/WT.json" '.inodes[] | select(.path | endswith("/big")) | .bytes')"
check_eq "mode" shmem "$(jq_get "$TMP/MT.json" .mode)"

# COUNT reports, then exit on its own.
timeout 120 "$MEMLEAKBPF" shmem --json --mount "$MNT" 0.3 2 >"$TMP/count.json" 2>/dev/null
check_eq "INTERVAL COUNT: two reports, exit 0" "0 2" "$? $(wc -l <"$TMP/count.json")"
# Swap is followed only by the fentry set (when its swap programs load);
# no swap device here, so a followed swap counts 0, else it is unknown.
if grep -q 'hook swap-out and swap-in: followed' "$TMP/v.err"; then
	check_eq "swap followed by fentry: bytes_swapped 0 (no swap device)" 0 \
		"$(jq_get "$TMP/MT.json" '.inodes[0].bytes_swapped')"
else
	check_eq "swap not followed ($SET): bytes_swapped unknown (null)" null \
		"$(jq_get "$TMP/MT.json" '.inodes[0].bytes_swapped')"
fi
# -p of a process that does not exist: one line, exit 1 (not an empty report)
check_fails "-p of no process" 'no process with PID 4000000' "$MEMLEAKBPF" shmem -p 4000000 1 1

# Two tmpfs stacked on one path (as /dev/shm is on some machines): the
# covered one cannot be measured by statvfs of its path, so it says it is
# hidden and its usage is unknown, never the top one's figures; its inodes
# are not called deleted.  The top one is measured as usual.
STK=$TMP/stacked
mkdir -p "$STK"
mount -t tmpfs -o size=64m tmpfs "$STK" && on_exit "umount -l '$STK'"
LOW=$(stat -c '%Hd:%Ld' "$STK")
"$MEMLEAKBPF" shmem --json 0.3 >"$TMP/stk.json" 2>"$TMP/stk.err" &
stk=$!
on_exit "kill $stk"
wait_line "$TMP/stk.err" '^Tracing' 120
low_out=$("$W" write "$STK/low" 262144)
mount -t tmpfs -o size=64m tmpfs "$STK" && on_exit "umount -l '$STK'"
"$W" write "$STK/top" 131072 >/dev/null
n=$(wc -l <"$TMP/stk.json")
for _ in $(seq 600); do [ "$(wc -l <"$TMP/stk.json")" -ge $((n + 2)) ] && break; sleep 0.1; done
kill -INT "$stk"; wait "$stk"
mnt_q() { jq_get "$TMP/stk.json" "[.mounts[] | select(.mountpoint == \"$STK\") | $1] | map(tostring) | join(\" \")"; }
check_eq "stacked tmpfs: both mounts listed, the lower one hidden" "true false" "$(mnt_q .hidden)"
check_eq "stacked tmpfs: the hidden one's usage is unknown, the top one's measured" "null 131072" "$(mnt_q .bytes_used)"
low_ino=$(grep -o 'ino=[0-9]*' <<<"$low_out" | cut -d= -f2)
check_eq "stacked tmpfs: the hidden mount's file keeps its bytes, not called deleted" "262144 false" \
	"$(jq_get "$TMP/stk.json" "[.inodes[] | select(.dev == \"$LOW\" and .ino == $low_ino)][0] | \"\\(.bytes) \\(.deleted)\"")"
check "stacked tmpfs: the text report says hidden" sh -c \
	"'$MEMLEAKBPF' shmem 0.3 1 2>/dev/null | grep -q '$STK .*hidden under another mount'"
