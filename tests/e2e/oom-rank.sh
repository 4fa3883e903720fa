#!/usr/bin/env bash
# memleakbpf oom --rank against processes of known size and oom_score_adj
# in a 64 MiB memcg (no OOM is provoked): A adj 0 holds 8 MiB, B adj 300
# holds 4 MiB, C adj -1000 holds 16 MiB.  With totalpages 16384, B's adj
# is worth 300 * 16 pages and outranks A; C is never picked and is warned
# about.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../oom-lib.bash"

memcg_create "memleakbpf-rank-$$" 64M || { fail "cannot create a test memcg"; exit 1; }
start_holder 0 8 || { fail "holder A started"; exit 1; }
A=$HOLDER_PID
start_holder 300 4 || { fail "holder B started"; exit 1; }
B=$HOLDER_PID
# oom_score_adj below 0 needs CAP_SYS_RESOURCE, which some sandboxes drop;
# the -1000 warning is then covered by the unit test on a fixture tree only.
if sh -c 'echo -1000 > /proc/self/oom_score_adj' 2>/dev/null; then
	start_holder -1000 16 || { fail "holder C started"; exit 1; }
	C=$HOLDER_PID
else
	echo "SKIP: $TEST_NAME: no CAP_SYS_RESOURCE: cannot set oom_score_adj -1000 here"
	C=
fi

"$MEMLEAKBPF" oom --rank --json > "$TMP/rank.json" 2> "$TMP/rank.err"
check_eq "--rank --json exit 0" 0 $?
dom=".domains[] | select(.memcg == \"$CG_PATH\")"
check_eq "memcg domain found with its limit" "65536 16384" \
	"$(jq_get "$TMP/rank.json" "$dom | \"\(.limit_kb) \(.totalpages)\"")"
check_eq "memcg domain holds exactly our processes" "$(printf '%s\n' $A $B $C | sort -n | paste -sd' ')" \
	"$(jq_get "$TMP/rank.json" "[$dom | .tasks[].pid] | sort | map(tostring) | join(\" \")")"
check_eq "rank 1 is B (adj 300)" "$B" "$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.rank == 1) | .pid")"
check_eq "rank 2 is A (adj 0)" "$A" "$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.rank == 2) | .pid")"
if [ -n "$C" ]; then
	check_eq "C (adj -1000) has no rank and no points" "null null" \
		"$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.pid == $C) | \"\(.rank) \(.points)\"")"
	check_eq "C's adj reported" -1000 \
		"$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.pid == $C) | .oom_score_adj")"
	check_eq "warning names C" "$C" "$(jq_get "$TMP/rank.json" "$dom | .warnings[0].pid")"
else
	check_eq "no warnings without a -1000 task" 0 "$(jq_get "$TMP/rank.json" "$dom | .warnings | length")"
fi
check_eq "A and B adj reported" "0 300" \
	"$(jq_get "$TMP/rank.json" "[$dom | .tasks[] | select(.pid == $A or .pid == $B)] | sort_by(.oom_score_adj) | map(.oom_score_adj | tostring) | join(\" \")")"
# points = rss + swap + pgtables (pages) + adj * (totalpages / 1000)
check_eq "B points follow oom_badness()" true \
	"$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.pid == $B) | .points == ((.rss_kb + .swap_kb + .pgtables_kb) / 4 | floor) + 300 * 16")"
check_ge "A holds its 8 MiB" 8192 "$(jq_get "$TMP/rank.json" "$dom | .tasks[] | select(.pid == $A) | .rss_kb")"
check_eq "machine domain ranks too" true \
	"$(jq_get "$TMP/rank.json" '.domains[0].memcg == null and (.domains[0].tasks | length) > 3')"
check_eq "machine domain: B before A" true \
	"$(jq_get "$TMP/rank.json" "[.domains[0].tasks[] | select(.pid == $A or .pid == $B) | .pid] == [$B, $A]")"

"$MEMLEAKBPF" oom --rank > "$TMP/rank.txt"
check_eq "--rank text exit 0" 0 $?
check "text: memcg domain header" grep -q "^domain memcg $CG_PATH: limit 65536 kB" "$TMP/rank.txt"
[ -n "$C" ] && check "text: warning about C" grep -Eq "warning: pid $C \(oom_hog\) has oom_score_adj -1000" "$TMP/rank.txt"
# the memcg block's first two ranked rows are B then A
check_eq "text: memcg order B, A" "$B $A" \
	"$(sed -n "/^domain memcg $(sed 's|/|\\/|g' <<<"$CG_PATH"):/,/^\$/p" "$TMP/rank.txt" |
	   awk '$1 ~ /^[0-9]+$/ { print $2 }' | head -2 | paste -sd' ')"
check_fails "--all needs --rank" "applies to --rank" "$MEMLEAKBPF" oom --all
