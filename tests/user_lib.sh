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
