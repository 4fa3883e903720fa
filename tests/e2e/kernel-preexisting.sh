#!/usr/bin/env bash
# Kernel memory allocated before the tracer starts is never reported, and
# its free (an untracked address) changes nothing.
source "$(dirname "$0")/../lib.sh"
N=32

"$PROGS/kernel_hold" $N >"$TMP/hold" &
HPID=$!
on_exit "kill -9 $HPID"
wait_line "$TMP/hold" '^waiting' || fail "holder did not start"
kill -USR1 $HPID
wait_line "$TMP/hold" '^held' || fail "holder held"

"$MEMLEAKBPF" kernel -p $HPID --json -T 0 0.5 >"$TMP/out" 2>"$TMP/err" &
TPID=$!
on_exit "kill -9 $TPID"
wait_line "$TMP/err" 'tracing kernel allocations' 20 || fail "tracer started" "$(cat "$TMP/err")"
wait_reports "$TMP/out" 2 || fail "reports"
check_eq "held before start: not reported" 0 \
	"$(jq_get "$TMP/out" '[.stacks[] | select(any(.frames[]; .function == "do_eventfd"
		or .function == "alloc_pipe_info" or .function == "copy_process")) | .count] | add // 0')"
kill -USR1 $HPID
wait_line "$TMP/hold" '^released' || fail "holder released"
sleep 0.3
wait_reports "$TMP/out" 2 || fail "reports after release"
check_eq "their frees change nothing: no negative rows" 0 \
	"$(jq_get "$TMP/out" '[.stacks[] | select(.bytes <= 0 or .count <= 0)] | length')"
check_eq "totals never negative, untraced page kind null" "true" \
	"$(jq_get "$TMP/out" '([.totals[] | select(. != null) | .bytes >= 0 and .count >= 0] | all) and .totals.page == null')"
check_eq "frees of untracked addresses are not counted as tracked frees" true \
	"$(jq_get "$TMP/out" '.tracked.frees <= .tracked.allocs')"
kill -USR1 $HPID
wait $HPID
kill -INT $TPID
wait $TPID
check_eq "SIGINT exits 0" 0 $?
