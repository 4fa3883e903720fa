#!/usr/bin/env bash
# bench_malloc (scripts/bench-user's workload): its ground truth must be
# exact and repeatable, or the benchmark's leak checks mean nothing.
. "$(dirname "$0")/../lib.sh"
B=$PROGS/bench_malloc
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

r1=$("$B" -n 10000 -l 1000)
r2=$("$B" -n 10000 -l 1000)
check_eq "pairs done" 10000 "$(field pairs "$r1")"
check_eq "1 in 1000 leaked" 10 "$(field leaked_blocks "$r1")"
check_eq "same leaked bytes run to run" "$(field leaked_bytes "$r1")" "$(field leaked_bytes "$r2")"
b=$(field leaked_bytes "$r1")
check "leaked bytes within 10 * 16..4096" test "$b" -ge 160 -a "$b" -le 40960
r=$("$B" -n 10000 -l 100 -t 2)
check_eq "2 threads: 1 in 100 leaked" 100 "$(field leaked_blocks "$r")"
check_eq "2 threads: pairs done" 10000 "$(field pairs "$r")"
check_fails "rejects 0 threads" "usage" "$B" -t 0
check_fails "rejects a bad duration" "bad value for -d" "$B" -d x

# -w: waits for SIGUSR1 to start; SIGTERM before that quits without a run.
"$B" -w -n 1000 >"$TMP/w.out" & pid=$!
on_exit "kill -KILL $pid"
for _ in $(seq 1 100); do grep -q '^ready' "$TMP/w.out" && break; sleep 0.02; done
check_eq "prints ready PID" "ready $pid" "$(head -n 1 "$TMP/w.out")"
kill -USR1 "$pid"
for _ in $(seq 1 100); do grep -q '^result' "$TMP/w.out" && break; sleep 0.02; done
check_eq "runs after SIGUSR1, then holds" "1 running" \
	"$(grep -c '^result' "$TMP/w.out") $(kill -0 "$pid" 2>/dev/null && echo running)"
kill -TERM "$pid"; wait "$pid"
check_eq "SIGTERM releases the hold" 0 $?
"$B" -w -n 1000 >"$TMP/q.out" & pid=$!
on_exit "kill -KILL $pid"
for _ in $(seq 1 100); do grep -q '^ready' "$TMP/q.out" && break; sleep 0.02; done
kill -TERM "$pid"; wait "$pid"; rc=$?
check_eq "SIGTERM before the start quits cleanly, no result" "0 0" "$rc $(grep -c '^result' "$TMP/q.out")"
