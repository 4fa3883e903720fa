# User mode options: size filters, --older, --top, --folded, text output,
# full maps reported as drops.
source tests/lib.sh
source tests/user_lib.sh

trace "$TMP/min" -c "$PROGS/leaky" -z 1001
check_eq "-z 1001: 1000-byte mallocs excluded" 0 "$(stack_bytes "$TMP/min" leak_malloc malloc)"
check_eq "-z 1001: 2400-byte callocs kept" 7200 "$(stack_bytes "$TMP/min" leak_calloc calloc)"
trace "$TMP/max" -c "$PROGS/leaky" -Z 1000
check_eq "-Z 1000: 1000-byte mallocs kept" 5000 "$(stack_bytes "$TMP/max" leak_malloc malloc)"
check_eq "-Z 1000: 2400-byte callocs excluded" 0 "$(stack_bytes "$TMP/max" leak_calloc calloc)"

trace "$TMP/older" -c "$PROGS/leaky" --older 3600
check_eq "--older 3600: nothing that old" 0 "$(jq_get "$TMP/older" .total_bytes)"
check_eq "--older reported in JSON" 3600 "$(jq_get "$TMP/older" .older_than_seconds)"
"$PROGS/leaky" 0 5 &
pid=$!
on_exit "kill $pid"
sleep 0.3
trace "$TMP/older2" -p "$pid" --older 1 2 1
check_eq "--older 1 (allocations made before attach are unseen, later ones age)" 0 "$(stack_bytes "$TMP/older2" leak_malloc malloc)"
kill "$pid"

trace "$TMP/top" -c "$PROGS/leaky" -T 1
check_eq "-T 1: one stack shown" 1 "$(jq_get "$TMP/top" '.stacks | length')"
check_ge "-T 1: totals still count every stack" 5 "$(jq_get "$TMP/top" .stacks_total)"

"$MEMLEAKBPF" -c "$PROGS/leaky" --folded >"$TMP/folded" 2>/dev/null
check "--folded: malloc line with bytes" grep -Eq '^leaky;.*;main;leak_malloc;malloc 5000$' "$TMP/folded"
check_eq "--folded: every line is 'frames weight'" 0 "$(grep -cvE '^[^ ].*;[a-z_]+ [0-9]+$' "$TMP/folded")"

"$MEMLEAKBPF" -c "$PROGS/leaky" >"$TMP/text" 2>/dev/null
check "text: header" grep -Eq '^\[[0-9:]+\] pid [0-9]+ \(leaky\) at exit \(status 0\): [0-9]+ bytes in [0-9]+ allocations' "$TMP/text"
check "text: malloc stack" grep -q '5000 bytes in 5 allocations from malloc at:' "$TMP/text"
check "text: frame with file:line" grep -Eq "leak_malloc at leaky.c:$(mark_line leaky.c LEAK_MALLOC) \[leaky\]" "$TMP/text"

trace "$TMP/full" -c "$PROGS/leaky" --max-allocs 4
check_ge "full allocs map: drops counted" 1 "$(jq_get "$TMP/full" .dropped.allocs_map_full)"
check_ge "full allocs map: tracked at most 4 heap blocks" 0 "$(( 4 - $(jq_get "$TMP/full" '[.stacks[] | select(.kind != "mmap" and .kind != "brk") | .count] | add // 0') ))"
"$MEMLEAKBPF" -c "$PROGS/leaky" --max-allocs 4 >"$TMP/fulltext" 2>/dev/null
check "full allocs map: text says dropped" grep -Eq 'dropped: .*allocs_map_full=[1-9]' "$TMP/fulltext"
trace "$TMP/fullst" -c "$PROGS/leaky" --max-stacks 2
check_ge "full stacks map: drops counted" 1 "$(jq_get "$TMP/fullst" .dropped.stacks_map_full)"

trace "$TMP/nommap" -c "$PROGS/leaky" --no-mmap
check_eq "--no-mmap: no mmap stacks" 0 "$(jq_get "$TMP/nommap" '[.stacks[] | select(.kind == "mmap")] | length')"
check_eq "--no-mmap: heap still traced" 5000 "$(stack_bytes "$TMP/nommap" leak_malloc malloc)"

trace "$TMP/sample" -c "$PROGS/leaky" -s 1
check_eq "-s 1 records everything" 5000 "$(stack_bytes "$TMP/sample" leak_malloc malloc)"
check_eq "-s reported" 1 "$(jq_get "$TMP/sample" .sample_every)"
