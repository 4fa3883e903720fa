# Helpers for end-to-end tests: source it, call check/check_eq, end with
# `finish`.  Each check prints "PASS: name" or "FAIL: name (details)".
set -u
: "${MEMLEAKBPF:?}" "${PROGS:?}"
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d /tmp/memleakbpf-test.XXXXXX)
CLEANUP_CMDS=()
cleanup() {
	local c
	for c in "${CLEANUP_CMDS[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
# A file stopped by tests/run's timeout (SIGTERM) or ^C must clean up too:
# without these, bash dies of the signal and skips the EXIT trap, leaving
# its mounts and processes behind.
trap 'exit 143' TERM
trap 'exit 130' INT
on_exit() { CLEANUP_CMDS+=("$*"); }

# TEST_TIMES=1 (tests/vm sets it): each line ends with the seconds since the
# file started, to see where a slow guest spends them.
pass() { echo "PASS: $TEST_NAME: $1${TEST_TIMES:+ [${SECONDS}s]}"; }
fail() { echo "FAIL: $TEST_NAME: $1${2:+ ($2)}${TEST_TIMES:+ [${SECONDS}s]}"; }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# check_ge NAME MIN ACTUAL (integers)
check_ge() {
	if [[ "$3" =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ]; then pass "$1"; else fail "$1" "expected >= $2, got '$3'"; fi
}

# check_fails NAME EXPECTED_STDERR_REGEX CMD...: must exit non-zero with a
# one-line message matching the regex, and must not crash (signal exit).
check_fails() {
	local name=$1 re=$2; shift 2
	local out rc
	out=$("$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 0 ]; then fail "$name" "exit 0"; return; fi
	if [ "$rc" -ge 128 ]; then fail "$name" "killed by signal $((rc - 128))"; return; fi
	if ! grep -Eq -- "$re" <<<"$out"; then fail "$name" "stderr '$out' !~ /$re/"; return; fi
	pass "$name"
}

# jq_get FILE FILTER: the filter's raw output on the last complete JSON line
# of FILE.  A tracer writes a report larger than stdio's buffer in pieces, so
# the file's last line can be half written: `tail -n 1` then read '' (seen in
# kernel-hold.sh, 1 run in ~20).  wc -l counts only finished lines.
jq_get() { head -n "$(wc -l <"$1")" "$1" | tail -n 1 | jq -r "$2" 2>/dev/null; }

# BPF links left behind: compare `bpftool link` counts before/after (only
# meaningful when nothing else loads BPF at the same time).
bpf_link_count() { bpftool link list 2>/dev/null | grep -c '^[0-9]'; }
# Programs of a mode still loaded (links keep programs alive): names given
# as an extended regex, e.g. 'malloc_enter|alloc_exit'.
progs_loaded() { bpftool prog list 2>/dev/null | grep -cE "name ($1) " || true; }
# held_prog_ids PID...: ids of the BPF programs those processes hold open
# (fdinfo's prog_id), sorted.  Exact per tracer, whatever else loads BPF on
# the machine at the same time (bpftool here cannot show a program's pids).
held_prog_ids() {
	local p
	for p in "$@"; do
		grep -h '^prog_id:' /proc/"$p"/fdinfo/* 2>/dev/null
	done | awk '{ print $2 }' | sort -u
}
# loaded_prog_ids: ids of every BPF program loaded now, sorted.
loaded_prog_ids() { bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ { print $1 }' | sort; }
# progs_left ID...: how many of those programs are still loaded, once none
# is or after 5 s (the kernel frees a program from deferred work)
progs_left() {
	local i n
	for ((i = 0; i < 50 * SCALE; i++)); do
		n=$(loaded_prog_ids | grep -cxF -f <(printf '%s\n' "$@") || true)
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	echo "$n"
}

# progs_settled REGEX N: the count of loaded programs matching REGEX once it
# is back to N, or after 5 s whatever it is then.  The kernel frees a program
# after its last fd and link are gone, from deferred work (RCU, workqueue), so
# a count taken the instant the tracer exits can still see it; a program
# really left behind is still there after 5 s.
progs_settled() {
	local i n
	for ((i = 0; i < 50 * SCALE; i++)); do
		n=$(progs_loaded "$1")
		[ "$n" = "$2" ] && break
		sleep 0.1
	done
	echo "$n"
}

# TEST_TIME_SCALE: how many times longer every wait below may last (tests/vm
# sets it: code under TCG runs 5-30x slower).  The waits poll, so a larger
# bound costs nothing where the condition comes true at once.
SCALE=${TEST_TIME_SCALE:-1}

# wait_line FILE REGEX [SECONDS]: until a line of FILE matches (default 10 s).
wait_line() {
	local i
	for ((i = 0; i < ${3:-10} * 10 * SCALE; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_reports FILE N: until FILE has N more lines than now (at most 10 s).
wait_reports() {
	local want=$(($(wc -l <"$1") + $2)) i
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ "$(wc -l <"$1")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# kernel_hold_traced JSON ARGS...: kernel_hold takes 16 of each object while
# `memleakbpf kernel -p ITS_PID -T 0 --json ARGS... 0.5` watches; the tracer
# is stopped (SIGINT) after a report taken while they are held.  Sets
# TRACER_RC to its exit status and HOLD to kernel_hold's pid (still holding:
# SIGUSR1 releases, once more exits); the report lines are in JSON.
kernel_hold_traced() {
	local json=$1 kt
	shift
	"$PROGS/kernel_hold" 16 >"$TMP/hold.out" &
	HOLD=$!
	on_exit "kill -KILL $HOLD"
	wait_line "$TMP/hold.out" '^waiting' 10
	: >"$json" # before the tracer starts: wait_reports counts its lines
	"$MEMLEAKBPF" kernel -p "$HOLD" -T 0 --json "$@" 0.5 >"$json" 2>"$json.err" &
	kt=$!
	on_exit "kill -KILL $kt"
	wait_reports "$json" 1
	kill -USR1 "$HOLD"
	wait_line "$TMP/hold.out" '^held' 10
	wait_reports "$json" 2
	kill -INT "$kt"
	wait "$kt"
	TRACER_RC=$?
}

# container_layer DIR PROG: an image layer in DIR holding PROG and the
# libraries it loads (ld.so, libc) at their paths, as a container's lower
# layer
container_layer() {
	local f
	for f in "$2" $(ldd "$2" | grep -o '/[^ ]*' | sort -u); do
		mkdir -p "$1$(dirname "$f")"
		cp -L "$f" "$1$f"
	done
}
