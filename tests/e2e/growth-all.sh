# memleakbpf growth -a: every process of the machine, ranked by resident
# growth, each with the user stacks that first wrote its pages still held.
# Ground truth: tests/progs/grow.c (64 MiB of heap blocks written by
# grow_heap(), 8 + 8 + 4 MiB of mappings by grow_mapped(), 1 GiB churned),
# started before tracing and grown after; among 20 busy processes (10
# page-touching mmap/munmap loops, 10 malloc/free loops) and a process
# that grew 84 MiB before tracing and no more since.  (tests/vm sets
# GROWTH_ALL_QUICK: 2 busy processes, 16 MiB churned, no container, text or
# big process: the hooks on a stock kernel are what it is there for, and
# TCG made the whole file take 708 s.)  Then the leaker frees
# (brk trim, munmap, MADV_DONTNEED) and exits; a leaker in a container
# (own mount and pid namespaces, an overlay root) is named through it.
source tests/lib.sh
source tests/user_lib.sh
MIB=$((1 << 20))
QUICK=${GROWTH_ALL_QUICK:-}
BUSY=20 CHURN=1024
[ -n "$QUICK" ] && BUSY=2 CHURN=16
heap_line=$(mark_line grow.c '/\* GROW_HEAP')
mapped_line=$(mark_line grow.c '/\* GROW_MAPPED')
moved_line=$(mark_line grow.c '/\* GROW_MOVED')
# Debian's kernels map transparent huge pages on any fault ("always"): a
# 2 MiB page goes to whoever wrote first in it, often malloc's header
# writes (libc has no frame pointers: its caller is not seen)
thp_always=$(grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && echo 1 || echo 0)

# proc_field JSON PID FIELD
proc_field() { jq_get "$1" "[.processes[] | select(.pid == $2) | .$3] | first // null"; }
# top_frame JSON PID: the first frame of PID's largest stack
top_frame() { jq_get "$1" "[.processes[] | select(.pid == $2) | .stacks[0].frames[0]] | first // \"\""; }
# at_line JSON PID FUNC LINE: bytes of PID's stacks whose first frame is FUNC at grow.c:LINE
at_line() {
	jq_get "$1" "[.processes[] | select(.pid == $2) | .stacks[] | select(.frames[0] // \"\" | test(\"^$3 \\\\(.*grow.c:$4\\\\)\")) | .bytes] | add // 0"
}

# ---- the busy machine, and a process big before tracing ----
busy=()
for i in $(seq 1 $((BUSY / 2))); do
	"$PROGS/bench_touch" -d 600 >/dev/null &
	busy+=($!)
	"$PROGS/bench_malloc" -t 1 -d 600 -l 1000000000 -s "$i" >/dev/null &
	busy+=($!)
done
on_exit "kill ${busy[*]}"
big=0
if [ -z "$QUICK" ]; then
	"$PROGS/grow" 64 0 >"$TMP/big.out" &
	big=$!
	on_exit "kill -9 $big"
	in_sigwait "$big" && kill -USR1 "$big"
	wait_line "$TMP/big.out" '^grown$' 60 || fail "the big process grew before tracing"
fi
"$PROGS/grow" 64 "$CHURN" >"$TMP/leak.out" &
leaker=$!
on_exit "kill -9 $leaker"
in_sigwait "$leaker" || fail "the leaker waits"

J=$TMP/a.json
# --max-pages: a sixteenth of the page map (16 MiB) left by exited
# processes is swept at the next report, the rest within 10 s
"$MEMLEAKBPF" growth -a -v --json -T 5 --max-pages 65536 -o "$J" 0.5 2>"$TMP/a.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_line "$TMP/a.err" 'tracing started' 30 || fail "tracing started" "$(tail -n 3 "$TMP/a.err")"
wait_reports "$J" 1
check_eq "-v: the page-fault tracepoint in use" 1 \
	"$(grep -c 'hook exceptions:page_fault_user: tracepoint' "$TMP/a.err")"
check_eq "no uprobe held" 0 \
	"$(bpftool -j perf list 2>/dev/null | jq "[.[] | select(.pid == $tracer and (.fd_type | test(\"uprobe\")))] | length")"
progs=$(held_prog_ids "$tracer")
check_ge "its programs held while it runs" 8 "$(wc -w <<<"$progs")"

kill -USR1 "$leaker"
wait_line "$TMP/leak.out" '^grown$' 60 || fail "the leaker grew"
wait_reports "$J" 2
running=0
for p in "${busy[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
check_eq "$BUSY busy processes ran meanwhile" "$BUSY" "$running"
check_eq "mode growth, scope all" "growth all" "$(jq_get "$J" '"\(.mode) \(.scope)"')"
check_eq "the leaker ranks first" "$leaker" "$(jq_get "$J" '.processes[0].pid')"
check_ge "its RSS grew by about the 84 MiB written" $((83 * MIB)) "$(proc_field "$J" "$leaker" growth_bytes)"
check_ge "... and its tracked pages hold them" $((80 * MIB)) "$(proc_field "$J" "$leaker" tracked_bytes)"
[ -z "$QUICK" ] && check_eq "the process big before tracing is not ranked for it" true \
	"$(jq_get "$J" "[.processes[] | select(.pid == $big) | .growth_bytes < $MIB] | all")"
if [ "$thp_always" = 0 ]; then
	check "its largest stack is grow_heap's store (grow.c:$heap_line)" \
		grep -Eq "^grow_heap \(.*grow\.c:$heap_line\) \[grow\]$" <<<"$(top_frame "$J" "$leaker")"
	# frame pointers: the pages malloc's headers opened first are under
	# _int_malloc (libc has none), not grow_heap
	check_ge "grow_heap's store wrote at least 56 of its 64 MiB first" $((56 * MIB)) \
		"$(at_line "$J" "$leaker" grow_heap "$heap_line")"
	check_eq "grow_mapped: 8 MiB at grow.c:$mapped_line" $((8 * MIB)) \
		"$(at_line "$J" "$leaker" grow_mapped "$mapped_line")"
	check_eq "grow_mapped: 4 MiB at grow.c:$moved_line, moved by mremap" $((4 * MIB)) \
		"$(at_line "$J" "$leaker" grow_mapped "$moved_line")"
else
	check_ge "a stack of grow.c holds 4 MiB or more (huge pages)" $((4 * MIB)) \
		"$(jq_get "$J" "[.processes[] | select(.pid == $leaker) | .stacks[] | select(any(.frames[]; test(\"grow.c\"))) | .bytes] | add // 0")"
fi
check_eq "every frame of the leaker's stacks named" 0 \
	"$(jq_get "$J" "[.processes[] | select(.pid == $leaker) | .stacks[].frames[] | select(test(\"^0x\"))] | length")"
check_eq "no drops" "{}" "$(jq_get "$J" '.dropped' | jq -c .)"

kill -USR1 "$leaker"
wait_line "$TMP/leak.out" '^freed$' 60 || fail "the leaker freed"
wait_reports "$J" 2
check_eq "freed heap, munmap, MADV_DONTNEED: under 8 MiB still tracked (the moved 4 MiB)" true \
	"$(jq_get "$J" "[.processes[] | select(.pid == $leaker) | .tracked_bytes < $((8 * MIB))] | all")"
[ "$thp_always" = 0 ] && check_eq "the moved mapping keeps its 4 MiB" $((4 * MIB)) \
	"$(at_line "$J" "$leaker" grow_mapped "$moved_line")"
kill -USR1 "$leaker"
wait "$leaker"
wait_reports "$J" 2
check_eq "an exited process leaves the report" 0 \
	"$(jq_get "$J" "[.processes[] | select(.pid == $leaker)] | length")"
wait_line "$TMP/a.err" 'swept [1-9]' 15
check_ge "its pages are swept" 1 "$(grep -c 'swept [1-9]' "$TMP/a.err")"

# ---- a leaker in a container: named through its own root ----
if [ -z "$QUICK" ]; then
layer=$TMP/layer
container_layer "$layer" "$PROGS/grow"
mkdir -p "$TMP/upper" "$TMP/work" "$TMP/merged"
cat >"$TMP/ctr.sh" <<'EOF'
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
cd / && exec chroot "$4" "$5" 32 0 >"$6"
EOF
unshare -m -p -f --mount-proc sh "$TMP/ctr.sh" "$layer" "$TMP/upper" "$TMP/work" "$TMP/merged" \
	"$PROGS/grow" "$TMP/c.out" &
ns=$!
on_exit "kill $ns"
cpid=
for ((i = 0; i < 100 * SCALE; i++)); do
	cpid=$(pgrep -P "$ns" -x grow) && in_sigwait "$cpid" && break
	sleep 0.1
done
kill -USR1 "$cpid"
wait_line "$TMP/c.out" '^grown$' 60 || fail "container: grown"
wait_reports "$J" 2
check_eq "container: the leaker ranks first" "$cpid" "$(jq_get "$J" '.processes[0].pid')"
check "container: grow_heap named through the overlay" grep -Eq "^(grow_heap|grow_mapped) .*grow\.c" \
	<<<"$(top_frame "$J" "$cpid")"
kill -9 "$cpid"
wait "$ns"
fi

kill -INT "$tracer"
wait "$tracer"
check_eq "exits 0 on SIGINT" 0 $?
check_eq "a final report" true "$(jq_get "$J" .final)"
check_eq "no program left behind" 0 "$(progs_left $progs)"

# ---- text ----
if [ -z "$QUICK" ]; then
	"$MEMLEAKBPF" growth -a -T 3 0.3 2 >"$TMP/a.txt" 2>"$TMP/a.txt.err"
	check_eq "text: exit 0 after COUNT reports" 0 $?
	check_eq "text: two reports" 2 "$(grep -c 'growth, whole machine' "$TMP/a.txt")"
	check "text: the columns" grep -q 'PID.*COMM.*RSS.*SINCE START.*LAST.*TRACKED' "$TMP/a.txt"
fi

# ---- bad input ----
check_fails "-a with -p" "-a traces every process" "$MEMLEAKBPF" growth -a -p 1
# a cgroup that exists (its path from the v2 root): the conflict is what is refused
check_fails "-a with --cgroup" "-a traces every process" "$MEMLEAKBPF" growth -a --cgroup / 
check_fails "-a with -c" "-a traces every process" "$MEMLEAKBPF" growth -a -c true
check_fails "-a with --folded" "for one process" "$MEMLEAKBPF" growth -a --folded
"$MEMLEAKBPF" growth -a -p 1 >/dev/null 2>&1
check_eq "usage errors exit 2" 2 $?
