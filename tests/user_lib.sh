# Helpers for the user-mode end-to-end tests (sourced after tests/lib.sh).

# trace OUT ARGS...: memleakbpf --json ARGS > OUT; stderr in OUT.err, status in OUT.rc
trace() {
	local out=$1; shift
	"$MEMLEAKBPF" --json "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

# mark_line PROG_SOURCE MARK: line number of the mark in tests/progs/PROG_SOURCE
mark_line() { grep -n "$2" "tests/progs/$1" | head -n 1 | cut -d: -f1; }

# The last report's stacks of allocator KIND that pass through function FUNC:
# stack_bytes FILE FUNC KIND, stack_count FILE FUNC KIND
stack_bytes() {
	tail -n 1 "$1" | jq -r --arg f "$2" --arg k "$3" \
		'[.stacks[] | select(.kind == $k and any(.frames[]; .function == $f)) | .bytes] | add // 0'
}
stack_count() {
	tail -n 1 "$1" | jq -r --arg f "$2" --arg k "$3" \
		'[.stacks[] | select(.kind == $k and any(.frames[]; .function == $f)) | .count] | add // 0'
}
# frame_lines FILE FUNC: the distinct lines reported for FUNC, comma-separated
frame_lines() {
	tail -n 1 "$1" | jq -r --arg f "$2" '[.stacks[].frames[] | select(.function == $f) | .line] | unique | map(tostring) | join(",")'
}
# frame_file FILE FUNC: basename of the file reported for FUNC
frame_file() {
	tail -n 1 "$1" | jq -r --arg f "$2" '[.stacks[].frames[] | select(.function == $f) | .file // "null" | split("/") | last] | unique | join(",")'
}
# trace_go OUT PID: trace -p PID, and once the probes are in, let the
# target (leaky usr1, blocked in sigwait) leak: no race with a fixed sleep,
# whatever the machine's speed (TCG guests run this 10x slower).
trace_go() {
	local t i nr
	# in sigwait (rt_sigtimedwait, 128 on x86_64): ld.so is done by then
	for ((i = 0; i < 100 * SCALE; i++)); do
		read -r nr _ <"/proc/$2/syscall" 2>/dev/null
		[ "$nr" = 128 ] && break
		sleep 0.1
	done
	trace "$1" -v -p "$2" &
	t=$!
	wait_line "$1.err" 'tracing started' 30 || fail "$1: tracing started" "$(tail -n 3 "$1.err")"
	kill -USR1 "$2"
	wait "$t"
}

# in_sigwait PID: until PID waits in sigwait (rt_sigtimedwait, 128)
in_sigwait() {
	local nr i
	for ((i = 0; i < 100 * SCALE; i++)); do
		read -r nr _ <"/proc/$1/syscall" 2>/dev/null && [ "$nr" = 128 ] && return 0
		sleep 0.1
	done
	return 1
}
