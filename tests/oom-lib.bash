# Shared by the oom-*.sh tests (sourced after tests/lib.sh; not a test itself: no .sh): a throwaway
# memcg (v1 memory.limit_in_bytes here, v2 memory.max elsewhere) that is
# always removed, and helpers to start test processes inside it.

# memcg_create NAME LIMIT: sets CG (directory) and CG_PATH (path the kernel
# prints, relative to the hierarchy root).  Returns 1 when impossible.
memcg_create() {
	local name=$1 limit=$2 root v2root
	if [ -w /sys/fs/cgroup/memory/cgroup.procs ]; then
		root=/sys/fs/cgroup/memory
		CG=$root/$name
		mkdir "$CG" || return 1
		on_exit "memcg_remove '$CG'"
		echo "$limit" > "$CG/memory.limit_in_bytes" || return 1
	else
		v2root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
		[ -n "$v2root" ] && grep -qw memory "$v2root/cgroup.controllers" 2>/dev/null || return 1
		grep -qw memory "$v2root/cgroup.subtree_control" || return 1
		CG=$v2root/$name
		mkdir "$CG" || return 1
		on_exit "memcg_remove '$CG'"
		echo "$limit" > "$CG/memory.max" || return 1
		echo 0 > "$CG/memory.swap.max" 2>/dev/null
	fi
	CG_PATH=/$name
}

# Kills what is left inside and removes the directory (retrying while the
# killed tasks finish exiting).
memcg_remove() {
	local cg=$1 i pid
	[ -d "$cg" ] || return 0
	for i in $(seq 1 50); do
		for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "warning: could not remove $cg" >&2
}

# wait_for FILE REGEX SECONDS
wait_for() {
	local i
	for i in $(seq 1 $(($3 * 10 * ${TEST_TIME_SCALE:-1}))); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_holder ADJ MIB: an oom_hog in $CG that touches MIB and waits;
# sets HOLDER_PID once its memory is in place.
start_holder() {
	local out=$TMP/holder.$1.$2
	"$PROGS/oom_hog" "$1" "$2" "$CG/cgroup.procs" > "$out" &
	HOLDER_PID=$!
	on_exit "kill -9 $HOLDER_PID"
	wait_for "$out" '^ready' 10
}

# provoke_oom NAME: a bystander (adj 100, 8 MiB) and a hog (adj 500) that
# touches 256 MiB in $CG; the hog must die by SIGKILL (checked as "NAME: hog
# killed by SIGKILL").  Sets BY (the bystander, left running) and HOG.
provoke_oom() {
	start_holder 100 8 || { fail "$1: bystander started"; return 1; }
	BY=$HOLDER_PID
	"$PROGS/oom_hog" 500 256 "$CG/cgroup.procs" > /dev/null &
	HOG=$!
	wait $HOG 2>/dev/null
	check_eq "$1: hog killed by SIGKILL" 137 $?
}

panic_on_oom_is_off() {
	[ "$(cat /proc/sys/vm/panic_on_oom)" = 0 ]
}
