# Every mode's JSON report starts with the same envelope (doc/architecture.md):
# "mode", "timestamp" (epoch seconds), "final" (no report follows in this
# run), "dropped" (an object of named drop counters), then the mode's body.
# One consumer can read all five alike.  (oom's per-kill report: oom-kill.sh.)
source tests/lib.sh
source tests/user_lib.sh

envelope() { # NAME FILE MODE FINALS: FINALS is the expected "final" of each line, space-separated
	local name=$1 f=$2 mode=$3 finals=$4 now
	now=$(date +%s)
	check_eq "$name: keys start mode, timestamp, final, dropped" \
		'["mode","timestamp","final","dropped"]' "$(head -n 1 "$f" | jq -c 'keys_unsorted[0:4]')"
	check_eq "$name: mode" "$mode" "$(head -n 1 "$f" | jq -r .mode)"
	check_eq "$name: timestamp is now (epoch seconds, within 120 s)" true \
		"$(jq -s --argjson now "$now" 'all(.[]; .timestamp | type == "number" and . <= $now and . > $now - 120)' "$f")"
	check_eq "$name: dropped is an object of named counters (numbers)" true \
		"$(jq -s 'all(.[]; .dropped | type == "object" and all(.. | scalars; type == "number"))' "$f")"
	check_eq "$name: final per report" "$finals" "$(jq -r .final "$f" | tr '\n' ' ' | sed 's/ $//')"
}

"$MEMLEAKBPF" --json -c "$PROGS/leaky" >"$TMP/user" 2>"$TMP/user.err"
envelope "user -c" "$TMP/user" user true
"$MEMLEAKBPF" -j -c "$PROGS/leaky 3" 0.3 2 >"$TMP/user2" 2>"$TMP/user2.err"
envelope "user -c INTERVAL 2" "$TMP/user2" user "false true"

"$MEMLEAKBPF" kernel --json 0.3 2 >"$TMP/kernel" 2>"$TMP/kernel.err"
envelope "kernel" "$TMP/kernel" kernel "false true"
check_eq "kernel: named drop counters" true "$(head -n 1 "$TMP/kernel" | jq '.dropped | has("allocs_map_full")')"

"$MEMLEAKBPF" shmem --json 0.3 2 >"$TMP/shmem" 2>"$TMP/shmem.err"
envelope "shmem" "$TMP/shmem" shmem "false true"
check_eq "shmem: named drop counters" true "$(head -n 1 "$TMP/shmem" | jq '.dropped | has("page_table_full") and has("events")')"

"$MEMLEAKBPF" oom --rank --json >"$TMP/rank" 2>"$TMP/rank.err"
envelope "oom --rank" "$TMP/rank" oom true

"$MEMLEAKBPF" why --json >"$TMP/why" 2>/dev/null
envelope "why" "$TMP/why" why true
"$MEMLEAKBPF" why --json -w 0.2 -n 2 >"$TMP/whyw" 2>/dev/null
envelope "why --watch -n 2" "$TMP/whyw" why "false true"
