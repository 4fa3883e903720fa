# User mode, -p: attach to a running process that starts allocating after
# the attach; interval reports; final report at its exit; no probes left.
source tests/lib.sh
source tests/user_lib.sh

USER_PROGS="alloc_enter_any|alloc_exit|sys_enter_mmap"
# programs of other tracers running now (none in CI) are not ours
PROGS_BEFORE=$(progs_loaded "$USER_PROGS")
# leaky waits for SIGUSR1 (sent once the tracer's first report is out),
# leaks, then lives 3 s more
"$PROGS/leaky" usr1 3 &
pid=$!
on_exit "kill $pid"
trace "$TMP/p" -p "$pid" 1 &
tracer=$!
wait_line "$TMP/p" '"mode"' 20 || fail "-p: first report" "$(cat "$TMP/p.err")"
kill -USR1 "$pid"
wait "$tracer"
wait "$pid" 2>/dev/null
check_eq "-p: exit status" 0 "$(cat "$TMP/p.rc")"
check_ge "-p: interval reports while it runs (>= 3)" 3 "$(wc -l <"$TMP/p")"
check_eq "-p: first report before the leaks: nothing of leaky's" 0 "$(head -n 1 "$TMP/p" | jq '[.stacks[] | select(any(.frames[]; .function == "leak_malloc"))] | length')"
check_eq "-p: last report is final, at the target's exit" "true true" "$(jq_get "$TMP/p" '"\(.final) \(.target_exited)"')"
check_eq "-p: malloc bytes" 5000 "$(stack_bytes "$TMP/p" leak_malloc malloc)"
check_eq "-p: calloc bytes" 7200 "$(stack_bytes "$TMP/p" leak_calloc calloc)"
check_eq "-p: realloc bytes" 6000 "$(stack_bytes "$TMP/p" leak_realloc realloc)"
check_eq "-p: mmap bytes" 131072 "$(stack_bytes "$TMP/p" leak_mmap mmap)"
check_eq "-p: malloc line" "$(mark_line leaky.c LEAK_MALLOC)" "$(frame_lines "$TMP/p" leak_malloc)"
check_eq "-p: pid in report" "$pid" "$(jq_get "$TMP/p" .pid)"
check_eq "-p: no probes left after exit" "$PROGS_BEFORE" "$(progs_settled "$USER_PROGS" "$PROGS_BEFORE")"

# COUNT: exactly N reports, then exit while the target still runs
"$PROGS/leaky" 0 30 &
pid=$!
on_exit "kill $pid"
sleep 0.5
trace "$TMP/count" -p "$pid" 0.5 2
check_eq "-p INTERVAL COUNT: exactly 2 reports" 2 "$(wc -l <"$TMP/count")"
check "-p INTERVAL COUNT: target still running" kill -0 "$pid"
check_eq "-p INTERVAL COUNT: the first report is not final, the last is" "false true" \
	"$(jq -r .final "$TMP/count" | tr '\n' ' ' | sed 's/ $//')"
check_eq "-p INTERVAL COUNT: the target did not exit" false "$(jq_get "$TMP/count" .target_exited)"
check_eq "-p INTERVAL COUNT: no probes left" "$PROGS_BEFORE" "$(progs_settled "$USER_PROGS" "$PROGS_BEFORE")"

# SIGINT and SIGTERM: a final report, exit 0, no probes left
for sig in INT TERM; do
	"$MEMLEAKBPF" -p "$pid" --json 10 >"$TMP/sig" 2>"$TMP/sig.err" &
	tracer=$!
	sleep 1.5
	kill -"$sig" "$tracer"
	wait "$tracer"
	check_eq "SIG$sig: exit status" 0 "$?"
	check_eq "SIG$sig: one final report" 1 "$(wc -l <"$TMP/sig")"
	check_eq "SIG$sig: report is valid JSON with mode user" user "$(jq_get "$TMP/sig" .mode)"
	check_eq "SIG$sig: no probes left" "$PROGS_BEFORE" "$(progs_settled "$USER_PROGS" "$PROGS_BEFORE")"
done
kill "$pid"

# SIGKILL of the tracer: the -c command dies with it (PR_SET_PDEATHSIG),
# never left running untraced under init; the kernel drops the probes.
"$MEMLEAKBPF" -v -c "sleep 321.5" >/dev/null 2>"$TMP/k9.err" &
tracer=$!
wait_line "$TMP/k9.err" 'tracing started' 20 || fail "SIGKILL: tracer started" "$(cat "$TMP/k9.err")"
check_eq "SIGKILL: the command runs while traced" 1 "$(pgrep -fxc 'sleep 321.5')"
kill -9 "$tracer"
wait "$tracer" 2>/dev/null
for ((i = 0; i < 50 * SCALE; i++)); do
	pgrep -fx 'sleep 321.5' >/dev/null || break
	sleep 0.1
done
check_eq "SIGKILL: the command died with the tracer" 0 "$(pgrep -fxc 'sleep 321.5')"
pkill -fx 'sleep 321.5'
check_eq "SIGKILL: no probes left" "$PROGS_BEFORE" "$(progs_settled "$USER_PROGS" "$PROGS_BEFORE")"

# A tracefs the tracer has to mount (none mounted: here in a namespace of
# the test's own where it is unmounted) lives in the tracer's private mount
# namespace: after SIGKILL nothing is left mounted, and no one else saw it.
unshare -m --propagation private bash -c '
	umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
	grep -c " tracefs " /proc/self/mountinfo >"$0/tfs.before"
	"$1" -v -c "sleep 321.7" >/dev/null 2>"$0/tfs.err" &
	t=$!
	for ((i = 0; i < 200; i++)); do grep -q "tracing started" "$0/tfs.err" && break; sleep 0.1; done
	grep -c " tracefs " /proc/self/mountinfo >"$0/tfs.during"
	kill -9 $t; wait $t 2>/dev/null
	grep -c " tracefs " /proc/self/mountinfo >"$0/tfs.after"' "$TMP" "$MEMLEAKBPF"
pkill -fx 'sleep 321.7'
check_eq "tracefs: none mounted to start with (test set-up)" 0 "$(cat "$TMP/tfs.before")"
check "tracefs: the tracer mounted its own" grep -q 'mounted tracefs .* (private mount namespace)' "$TMP/tfs.err"
check_eq "tracefs: not visible outside the tracer" 0 "$(cat "$TMP/tfs.during")"
check_eq "tracefs: nothing left mounted after SIGKILL" 0 "$(cat "$TMP/tfs.after")"
