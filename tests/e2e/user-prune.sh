# User mode on a long run: stacks that held memory and then sat idle for a
# whole report interval leave the BPF stacks map, so --max-stacks bounds the
# stacks live at once, not every stack ever seen.  stack_churn uses 256
# distinct stacks once (freed at once), then holds one block from each of
# 256 others: 512 stacks in a run traced with room for 300.  Without pruning
# the second 256 cannot all get an entry (stacks_map_full > 0, fewer than
# 256 blocks reported); with it the report is exact.
source tests/lib.sh
source tests/user_lib.sh

"$PROGS/stack_churn" 8 >"$TMP/churn" &
pid=$!
on_exit "kill -9 $pid"
wait_line "$TMP/churn" '^waiting' || fail "stack_churn started"
"$MEMLEAKBPF" -p "$pid" --json -T 0 --max-stacks 300 0.5 >"$TMP/p" 2>"$TMP/p.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_line "$TMP/p" '"mode"' 20 || fail "first report" "$(cat "$TMP/p.err")"

kill -USR1 $pid
wait_line "$TMP/churn" '^churned' || fail "phase one ran"
# idle at one report, pruned at the next: wait for the count to get there
for ((i = 0; i < 40; i++)); do
	[ "$(jq_get "$TMP/p" .stacks_pruned)" -ge 256 ] 2>/dev/null && break
	wait_reports "$TMP/p" 1
done
check_ge "the 256 idle stacks of phase one are pruned" 256 "$(jq_get "$TMP/p" .stacks_pruned)"
check_eq "phase one's blocks were all freed" 0 "$(stack_count "$TMP/p" phase_one malloc)"

kill -USR1 $pid
wait_line "$TMP/churn" '^held' || fail "phase two ran"
wait_reports "$TMP/p" 2
check_eq "no allocation lost to a full stacks map" 0 "$(jq_get "$TMP/p" .dropped.stacks_map_full)"
check_eq "no prune race" 0 "$(jq_get "$TMP/p" .dropped.stack_prune_races)"
check_eq "phase two: 256 blocks held, through walk" 256 "$(stack_count "$TMP/p" walk malloc)"
check_eq "phase two: 25600 bytes held" 25600 "$(stack_bytes "$TMP/p" walk malloc)"
check_eq "phase two: 256 distinct stacks" 256 \
	"$(tail -n 1 "$TMP/p" | jq '[.stacks[] | select(any(.frames[]; .function == "phase_two") and .kind == "malloc" and .bytes == 100)] | length')"
check_eq "held stacks are never pruned" 256 \
	"$(tail -n 1 "$TMP/p" | jq '[.stacks[] | select(any(.frames[]; .function == "walk"))] | length')"
kill -INT $tracer
wait $tracer
check_eq "exit status" 0 $?
