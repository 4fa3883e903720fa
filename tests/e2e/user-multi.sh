# Several targets: -p PID,PID and --cgroup PATH, in exact mode and growth
# mode.  Each process gets a tracer (and probes) of its own and a report
# section (its pid in each JSON line).  Ground truth: two leaky (5 x 1000 B
# from leak_malloc each), and family (tests/progs/family.c): a process in
# a cgroup of our own that forks 3 children; process i leaks i + 1 blocks of
# 100000 B (written) from family_leak().
source tests/lib.sh
source tests/user_lib.sh

# last_of FILE PID FILTER: FILTER on the last report of PID in FILE
last_of() {
	jq -s -r --argjson p "$2" "[.[] | select(.pid == \$p)] | last | $3" "$1" 2>/dev/null
}

# ---- -p A,B: exact ----
"$PROGS/leaky" usr1 >/dev/null &
A=$!
"$PROGS/leaky" usr1 >/dev/null &
B=$!
on_exit "kill -9 $A $B"
in_sigwait $A; in_sigwait $B
"$MEMLEAKBPF" -v --json -p "$A,$B" 0.5 >"$TMP/p.json" 2>"$TMP/p.err" &
T=$!
on_exit "kill -9 $T"
for ((i = 0; i < 300 * SCALE; i++)); do
	[ "$(grep -c 'tracing started' "$TMP/p.err")" -ge 2 ] && break
	sleep 0.1
done
check_eq "-p A,B: a tracer process each" 2 "$(grep -c 'traced by tracer process' "$TMP/p.err")"
kill -USR1 $A $B
wait $T
check_eq "-p A,B: exit 0 once both targets exited" 0 $?
for p in $A $B; do
	check_eq "-p A,B: pid $p: its 5 x 1000 B from leak_malloc, exact" "5000 5 true" \
		"$(last_of "$TMP/p.json" $p '"\([.stacks[] | select(.kind == "malloc" and .frames[0].function == "leak_malloc") | .bytes] | add) \([.stacks[] | select(.kind == "malloc" and .frames[0].function == "leak_malloc") | .count] | add) \(.final)"')"
done
check_eq "-p A,B: every line a whole report" "$(grep -c . "$TMP/p.json")" "$(jq -c .mode "$TMP/p.json" 2>/dev/null | grep -c user)"

# ---- --cgroup: a process and the 3 children it forks ----
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CGROOT" ] || { fail "a cgroup2 hierarchy is mounted"; exit 0; }
run_family() { # MODE_ARGS...: traces family in a new cgroup into $TMP/f.json
	local cg=$CGROOT/memleakbpf-test-$$-$RANDOM pids p t i
	mkdir "$cg" || { fail "mkdir $cg"; return; }
	on_exit "rmdir $cg"
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2"' sh "$cg" "$PROGS/family" >"$TMP/f.out" &
	on_exit "kill -9 $!"
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ "$(wc -l <"$cg/cgroup.procs")" -ge 4 ] && break
		sleep 0.1
	done
	pids=$(cat "$cg/cgroup.procs")
	for p in $pids; do in_sigwait "$p"; done
	# the cgroup named relative to its hierarchy's root; the tracer runs
	# inside it (a sidecar): its own tracer processes are members too,
	# and must not be traced
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$MEMLEAKBPF" "$@" -v --json --cgroup "/${cg#"$CGROOT"/}" 0.5 >"$TMP/f.json" 2>"$TMP/f.err" &
	t=$!
	on_exit "kill -9 $t"
	for ((i = 0; i < 300 * SCALE; i++)); do
		[ "$(grep -c 'tracing started' "$TMP/f.err")" -ge 4 ] && break
		sleep 0.1
	done
	sleep 1 # two more scans of the cgroup: a tracer must not take itself for a target
	check_eq "$1 --cgroup: the 4 processes traced, a tracer each, none of its own" 4 \
		"$(grep -c 'traced by tracer process' "$TMP/f.err")"
	kill -USR1 $pids
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ "$(grep -c '^leaked' "$TMP/f.out")" -ge 4 ] && break
		sleep 0.1
	done
	wait_reports "$TMP/f.json" 8
	FAMILY=$(cat "$TMP/f.out")
	kill -USR1 $pids
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ "$(grep -c 'at exit\|"target_exited":true' "$TMP/f.json")" -ge 4 ] && break
		sleep 0.1
	done
	kill -INT $t
	wait $t
	RC=$?
	# four tracers, one stdout: each report a whole line, none torn
	check_eq "$1 --cgroup: every line a whole report" "$(grep -c . "$TMP/f.json")" \
		"$(jq -c .mode "$TMP/f.json" 2>/dev/null | grep -c .)"
}

run_family user
check_eq "exact --cgroup: exit 0" 0 "$RC"
while read -r _ i p; do
	check_eq "exact --cgroup: process $i (pid $p): $((i + 1)) x 100000 B from family_leak" \
		"$(((i + 1) * 100000)) $((i + 1)) $(mark_line family.c '/\* FAMILY_LEAK')" \
		"$(last_of "$TMP/f.json" "$p" '"\([.stacks[] | select(.kind == "malloc" and .frames[0].function == "family_leak") | .bytes] | add) \([.stacks[] | select(.kind == "malloc" and .frames[0].function == "family_leak") | .count] | add) \([.stacks[] | select(.frames[0].function == "family_leak") | .frames[0].line] | unique | join(","))"')"
done <<<"$FAMILY"
[ "$(wc -l <<<"$FAMILY")" -eq 4 ] || fail "exact --cgroup: the 4 processes leaked" "$FAMILY"

run_family growth
check_eq "growth --cgroup: exit 0" 0 "$RC"
while read -r _ i p; do
	got=$(last_of "$TMP/f.json" "$p" '[.stacks[] | select(any(.frames[]; .function == "family_leak")) | .bytes] | add // 0')
	check_ge "growth --cgroup: process $i (pid $p): at least its $(((i + 1) * 100000)) B written, through family_leak" \
		$(((i + 1) * 100000)) "$got"
	# at most a page per block more, and malloc's first heap pages
	check "growth --cgroup: process $i: ... and not more than malloc's own pages over ($got B)" \
		test "$got" -le $(((i + 1) * (100000 + 4096) + 32768))
done <<<"$FAMILY"

# ---- bad input ----
check_fails "no such cgroup: one line, usage" "no such cgroup" "$MEMLEAKBPF" --cgroup /no/such/memleakbpf-cg
"$MEMLEAKBPF" --cgroup /no/such/memleakbpf-cg >/dev/null 2>&1
check_eq "no such cgroup: exit 2" 2 $?
"$PROGS/leaky" usr1 >/dev/null &
L=$!
on_exit "kill -9 $L"
check_fails "a dead pid in the list" "no process with PID 2147483646" "$MEMLEAKBPF" -p "$L,2147483646" 1 1
"$MEMLEAKBPF" -p "$L,2147483646" 1 1 >/dev/null 2>&1
check_eq "a dead pid in the list: exit 1" 1 $?
check_fails "-p and --cgroup" "exactly one of" "$MEMLEAKBPF" -p "$L" --cgroup /
check_fails "growth: -p and --cgroup" "exactly one of" "$MEMLEAKBPF" growth -p "$L" --cgroup /
check_fails "a pid listed twice" "listed twice" "$MEMLEAKBPF" -p "$L,$L"
check_fails "--pprof with two pids" "one pid" "$MEMLEAKBPF" -p "$L,1" --pprof "$TMP/x.pb.gz"
