# memleakbpf growth: resident growth per stack of the first write, with no
# allocator probe.  Ground truth (tests/progs/grow.c): 64 MiB of 64 KiB
# malloc'd blocks written by grow_heap(), 1 GiB of short-lived blocks
# churned by churn(), 8 + 8 + 4 MiB of anonymous mappings written by
# grow_mapped(), the last moved by mremap; then the heap blocks freed (brk
# trim, malloc_trim's MADV_DONTNEED), one mapping unmapped, one
# madvise(MADV_DONTNEED)d; then exit.  Traced as a command (-c), and with
# -p inside a container (own mount and pid namespaces, an overlay root).
source tests/lib.sh
source tests/user_lib.sh
MIB=$((1 << 20))

# through FILE FUNC: bytes of the stacks through FUNC (last report)
through() {
	jq_get "$1" "[.stacks[] | select(any(.frames[]; .function == \"$2\")) | .bytes] | add // 0"
}
# at_line FILE FUNC LINE: bytes of the stacks whose first frame is FUNC:LINE
at_line() {
	jq_get "$1" "[.stacks[] | select(.frames[0].function == \"$2\" and .frames[0].line == $3) | .bytes] | add // 0"
}
# grow_pid PARENT: grow's pid once it runs (exec'd) and waits in sigwait
# (rt_sigtimedwait, 128 on x86_64): a SIGUSR1 before that would kill it
grow_pid() {
	local pid nr i
	for ((i = 0; i < 100 * SCALE; i++)); do
		pid=$(pgrep -P "$1" -x grow) && read -r nr _ <"/proc/$pid/syscall" 2>/dev/null &&
			[ "$nr" = 128 ] && { echo "$pid"; return; }
		sleep 0.1
	done
}
# next_phase JSON PID OUT WORD: let grow on, wait for WORD in OUT, then for
# 2 reports
next_phase() {
	kill -USR1 "$2"
	wait_line "$3" "^$4\$" 60 || fail "grow reached '$4'" "$(cat "$3")"
	wait_reports "$1" 2
}
in_range() { [ "$2" -ge "$1" ] && [ "$2" -le "$3" ] && echo yes || echo "no: $2 not in [$1, $3]"; }

heap_line=$(mark_line grow.c '/\* GROW_HEAP')
mapped_line=$(mark_line grow.c '/\* GROW_MAPPED')
advised_line=$(mark_line grow.c '/\* GROW_ADVISED')
moved_line=$(mark_line grow.c '/\* GROW_MOVED')

# ---- -c, JSON ----
J=$TMP/g.json
"$MEMLEAKBPF" growth -v --json -o "$J" -c "$PROGS/grow 64 1024" 0.5 >"$TMP/g.out" 2>"$TMP/g.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_line "$TMP/g.err" 'tracing started' 30 || fail "tracing started" "$(tail -n 3 "$TMP/g.err")"
grow=$(grow_pid "$tracer")
check_eq "-v: the page-fault tracepoint in use" 1 \
	"$(grep -c 'hook exceptions/page_fault_user: tracepoint' "$TMP/g.err")"
check_eq "-v: no allocator uprobe" 0 "$(grep -c 'uprobe' "$TMP/g.err")"
# tests/vm: Debian's kernels load the fexit (and their THP is "always")
[ -n "${GROWTH_EXPECT_HUGE:-}" ] && check_eq "-v: huge pages by fexit on this kernel" 1 \
	"$(grep -c 'hook transparent huge pages: fexit/do_huge_pmd_anonymous_page' "$TMP/g.err")"
check_eq "-v: how huge pages are counted" 1 \
	"$(grep -cE 'hook transparent huge pages: (fexit/do_huge_pmd_anonymous_page|counted as 4 KiB)' "$TMP/g.err")"
check_eq "no uprobe held" 0 \
	"$(bpftool -j perf list 2>/dev/null | jq "[.[] | select(.pid == $tracer and (.fd_type | test(\"uprobe\")))] | length")"
next_phase "$J" "$grow" "$TMP/g.out" grown
check_eq "mode growth" growth "$(jq_get "$J" .mode)"
check_eq "grow_heap: 64 MiB (and malloc's headers on pages it opened)" yes \
	"$(in_range $((64 * MIB)) "$(through "$J" grow_heap)" $((64 * MIB + 64 * 1024)))"
check_ge "grow_heap: its store (grow.c:$heap_line) wrote most pages first" $((58 * MIB)) \
	"$(at_line "$J" grow_heap "$heap_line")"
check_eq "grow_heap: file grow.c" grow.c "$(frame_file "$J" grow_heap)"
rss=$(jq_get "$J" .growth.rss_growth_total)
attributed=$(jq_get "$J" .growth.attributed_bytes)
[[ "$rss" =~ ^[0-9]+$ ]] || rss=0
# (file pages resident at the start may be reclaimed meanwhile: a 6.12
# guest read 8 KiB under 84 MiB)
check_ge "RSS grew by about the 84 MiB written" $((83 * MIB)) "$rss"
check_ge "at least 95% of the RSS growth attributed" $((rss * 95 / 100)) "$attributed"
check_eq "grow_mapped: 8 MiB at grow.c:$mapped_line" $((8 * MIB)) "$(at_line "$J" grow_mapped "$mapped_line")"
check_eq "grow_mapped: 8 MiB at grow.c:$advised_line" $((8 * MIB)) "$(at_line "$J" grow_mapped "$advised_line")"
check_eq "grow_mapped: 4 MiB at grow.c:$moved_line, moved by mremap" $((4 * MIB)) \
	"$(at_line "$J" grow_mapped "$moved_line")"
check_eq "1 GiB churned leaves at most 64 KiB" yes "$(in_range 0 "$(through "$J" churn)" 65536)"
check_eq "no drops" 0 "$(jq_get "$J" '[.dropped[]] | add')"
check_eq "idle since the last report: every stack's growth 0" 0 \
	"$(jq_get "$J" '[.stacks[] | .growth_bytes | fabs] | add')"
# each report's growth of grow_heap's store stack adds up to its bytes
check_eq "growth per report adds up to the bytes held" "$(at_line "$J" grow_heap "$heap_line")" \
	"$(jq -s "[.[] | .stacks[] | select(.frames[0].function == \"grow_heap\" and .frames[0].line == $heap_line) | .growth_bytes] | add" "$J")"
check_eq "counted in pages" $(($(jq_get "$J" .total_bytes) / 4096)) "$(jq_get "$J" .total_count)"

progs=$(held_prog_ids "$tracer")
check_ge "its programs held while it runs" 3 "$(wc -w <<<"$progs")"
next_phase "$J" "$grow" "$TMP/g.out" freed
check_eq "freed heap blocks leave the report (brk trim, MADV_DONTNEED)" yes \
	"$(in_range 0 "$(through "$J" grow_heap)" 65536)"
check_eq "munmap: its 8 MiB gone" 0 "$(at_line "$J" grow_mapped "$mapped_line")"
check_eq "madvise(MADV_DONTNEED): its 8 MiB gone" 0 "$(at_line "$J" grow_mapped "$advised_line")"
check_eq "the moved mapping keeps its 4 MiB" $((4 * MIB)) "$(at_line "$J" grow_mapped "$moved_line")"
check_eq "the RSS growth since tracing began fell back below 8 MiB" yes \
	"$(in_range -$((8 * MIB)) "$(jq_get "$J" .growth.rss_growth_total)" $((8 * MIB)))"

kill -USR1 "$grow"
wait "$tracer"
check_eq "exits 0 when the command exits" 0 $?
check_eq "final report at exit" "true true" "$(jq_get "$J" '"\(.final) \(.target_exited)"')"
check_eq "at exit: RSS unknown (null), pages still counted" "null $((4 * MIB))" \
	"$(jq_get "$J" "\"\(.growth.rss_bytes) \([.stacks[] | select(.frames[0].line == $moved_line) | .bytes] | add)\"")"
check_eq "no program left behind" 0 "$(progs_left $progs)"

# ---- -p in a container, text ----
layer=$TMP/layer
container_layer "$layer" "$PROGS/grow"
mkdir -p "$TMP/upper" "$TMP/work" "$TMP/merged"
cat >"$TMP/ctr.sh" <<'EOF'
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
cd / && exec chroot "$4" "$5" 16 64 >"$6"
EOF
unshare -m -p -f --mount-proc sh "$TMP/ctr.sh" "$layer" "$TMP/upper" "$TMP/work" "$TMP/merged" \
	"$PROGS/grow" "$TMP/c.out" &
ns=$!
on_exit "kill $ns"
pid=$(grow_pid "$ns")
T=$TMP/c.txt
"$MEMLEAKBPF" growth -v -p "$pid" 0.5 >"$T" 2>"$TMP/c.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_line "$TMP/c.err" 'tracing started' 30 || fail "container: tracing started" "$(tail -n 3 "$TMP/c.err")"
kill -USR1 "$pid"
wait_line "$TMP/c.out" '^grown$' 60 || fail "container: grown"
n=$(grep -c '^\[' "$T")
for ((i = 0; i < 100 * SCALE; i++)); do [ "$(grep -c '^\[' "$T")" -ge $((n + 2)) ] && break; sleep 0.1; done
last=$(awk '/^\[/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$T")
check "container: the header gives the RSS and its growth" \
	grep -Eq "pid $pid \(grow\): RSS [0-9]+ bytes, \+?-?[0-9]+ bytes since the last report, \+[0-9]+ bytes since tracing began" <<<"$last"
heap=$(grep -B1 -m1 "grow_heap at grow.c:$heap_line \[grow\]" <<<"$last" | head -n 1)
check "container: grow_heap's store, named through the overlay" grep -Eq 'pages first written \([+-][0-9]+ bytes since the last report, [0-9]+ bytes/s\) at:' <<<"$heap"
check_eq "container: no unresolved modules" 0 "$(grep -c 'could not be found' <<<"$last")"
check "container: the note says what growth mode is not" grep -q "not outstanding malloc blocks" <<<"$last"
kill -USR1 "$pid"
wait_line "$TMP/c.out" '^freed$' 60
kill -USR1 "$pid"
wait "$tracer"
check_eq "container: exits 0 when the target exits" 0 $?
check "container: a final report at exit" grep -q "pid $pid (grow) at exit" "$T"
wait "$ns"

# ---- bad input ----
check_fails "no target" "exactly one of -p PID\[,PID...\], -c" "$MEMLEAKBPF" growth
check_fails "both targets" "exactly one of -p PID\[,PID...\], -c" "$MEMLEAKBPF" growth -p 1 -c true
check_fails "a dead pid" "999999" "$MEMLEAKBPF" growth -p 999999
check_fails "an exact-mode option" "unrecognized|unknown|invalid" "$MEMLEAKBPF" growth -p 1 --lib /x
"$MEMLEAKBPF" growth >/dev/null 2>&1
check_eq "usage errors exit 2" 2 $?
"$MEMLEAKBPF" growth -p 999999 >/dev/null 2>&1
check_eq "a dead pid exits 1" 1 $?
