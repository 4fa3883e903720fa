# A traced process that execs: exec frees the whole old address space, so
# the blocks of the image before the exec leave the report and the new
# image's are traced on (tests/progs/exec_leak.c: 7 x 777 B and 1 MiB from
# before_exec(), then an exec of itself, 3 x 333 B and a 64 KiB mapping
# from after_exec()).  Exact mode and growth mode, both by -p.
source tests/lib.sh
source tests/user_lib.sh

# run_exec MODE_ARGS...: traces exec_leak through its phases; the reports
# go to $TMP/e.json, its output to $TMP/e.out
run_exec() {
	local wl tr nr i
	"$PROGS/exec_leak" >"$TMP/e.out" &
	wl=$!
	on_exit "kill -9 $wl"
	wait_line "$TMP/e.out" '^ready$' 10
	"$MEMLEAKBPF" "$@" -v --json -T 0 -p "$wl" 0.3 >"$TMP/e.json" 2>"$TMP/e.err" &
	tr=$!
	on_exit "kill -9 $tr"
	wait_line "$TMP/e.err" 'tracing started' 30 || fail "$1: tracing started" "$(tail -n 3 "$TMP/e.err")"
	kill -USR1 "$wl"
	wait_line "$TMP/e.out" '^before$' 10
	wait_reports "$TMP/e.json" 2
	cp "$TMP/e.json" "$TMP/before.json"
	kill -USR1 "$wl"
	wait_line "$TMP/e.out" '^after$' 10
	wait_reports "$TMP/e.json" 2
	kill -USR1 "$wl"
	wait "$tr"
	RC=$?
}

run_exec user
check_eq "exact: before the exec, before_exec's 7 x 777 B and 1 MiB" "$((5439 + 1048576)) 8" \
	"$(stack_bytes "$TMP/before.json" before_exec malloc) $(stack_count "$TMP/before.json" before_exec malloc)"
check_eq "exact: after it, none of them" "0 0" \
	"$(stack_bytes "$TMP/e.json" before_exec malloc) $(stack_count "$TMP/e.json" before_exec malloc)"
check_eq "exact: the new image's 3 x 333 B, traced on" "999 3" \
	"$(stack_bytes "$TMP/e.json" after_exec malloc) $(stack_count "$TMP/e.json" after_exec malloc)"
check_eq "exact: ... at their lines" "$(mark_line exec_leak.c '/\* AFTER_EXEC'),$(mark_line exec_leak.c '/\* AFTER_MMAP')" \
	"$(frame_lines "$TMP/e.json" after_exec)"
check_eq "exact: and its mapping" 65536 "$(stack_bytes "$TMP/e.json" after_exec mmap)"
check_eq "exact: exit 0 when the target exits" 0 "$RC"
check_eq "exact: final report at its exit" "true true" "$(jq_get "$TMP/e.json" '"\(.final) \(.target_exited)"')"

run_exec growth
# growth: pages, not blocks; the first image's heap pages leave with it
pre=$(jq_get "$TMP/before.json" '[.stacks[] | select(any(.frames[]; .function == "before_exec")) | .bytes] | add // 0')
check_ge "growth: before the exec, before_exec's 1 MiB written" $((1 << 20)) "$pre"
check_eq "growth: after it, none of before_exec's pages" 0 \
	"$(jq_get "$TMP/e.json" '[.stacks[] | select(any(.frames[]; .function == "before_exec")) | .bytes] | add // 0')"
check_ge "growth: the new image's pages, traced on" 4096 \
	"$(jq_get "$TMP/e.json" '[.stacks[] | select(any(.frames[]; .function == "after_exec")) | .bytes] | add // 0')"
check_eq "growth: exit 0 when the target exits" 0 "$RC"
