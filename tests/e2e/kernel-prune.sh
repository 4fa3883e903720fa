# Kernel mode on a long run: rows and stacks that held memory and then sat
# idle for a whole report interval leave the BPF maps (so weeks of distinct
# stacks do not fill --max-stacks), and a stack that allocates again after
# it was pruned is counted exactly from zero.  kernel_hold holds and
# releases its objects twice under one tracer: the first round's rows and
# stacks are pruned after its release; the second round's objects, through
# the same stacks, must then read exactly N where the ground truth is exact
# (pipe2 makes one read and one write file per pipe).
source tests/lib.sh
N=32

# pipe_files FILE FUNCTION: pipe files made through FUNCTION, last report
pipe_files() {
	jq_get "$1" "[.stacks[] | select(.kind == \"kmem_cache\" and .cache == \"filp\") |
		select(any(.frames[]; .function == \"create_pipe_files\")) |
		select(any(.frames[]; .function == \"$2\")) | .count] | add // 0"
}
round() { # name: one round held, checked, released
	kill -USR1 $HOLD
	wait_line "$TMP/hold" "^held" || fail "$1: holder held"
	wait_reports "$TMP/k" 2
	check_eq "$1: pipe read files exactly N" $N "$(pipe_files "$TMP/k" alloc_file_pseudo)"
	check_eq "$1: pipe write files exactly N" $N "$(pipe_files "$TMP/k" alloc_file_clone)"
	kill -USR1 $HOLD
	wait_line "$TMP/hold" "^released" || fail "$1: holder released"
	wait_reports "$TMP/k" 2
	check_eq "$1: pipe files gone after close" 0 "$(pipe_files "$TMP/k" alloc_file_pseudo)"
	: >"$TMP/hold"
}

"$PROGS/kernel_hold" $N 2 >"$TMP/hold" &
HOLD=$!
on_exit "kill -9 $HOLD"
wait_line "$TMP/hold" '^waiting' || fail "holder started"
: >"$TMP/hold"
: >"$TMP/k"
"$MEMLEAKBPF" kernel -p $HOLD --json -T 0 0.5 >"$TMP/k" 2>"$TMP/k.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_line "$TMP/k.err" 'tracing kernel allocations' 20 || fail "tracer started" "$(cat "$TMP/k.err")"
wait_reports "$TMP/k" 1

round first
before=$(jq_get "$TMP/k" .tracked.stacks_pruned)
# a row idle at one report is gone at the next, its stack one report later
for ((i = 0; i < 20; i++)); do
	[ "$(jq_get "$TMP/k" .tracked.stacks_pruned)" -ge $((before + 3)) ] && break
	wait_reports "$TMP/k" 1
done
check_ge "the released objects' stacks are pruned" $((before + 3)) "$(jq_get "$TMP/k" .tracked.stacks_pruned)"
round second
check_eq "no prune race" 0 "$(jq_get "$TMP/k" .dropped.stack_prune_races)"
kill -USR1 $HOLD
wait $HOLD
kill -INT $tracer
wait $tracer
check_eq "exit status" 0 $?
