#!/usr/bin/env bash
# memleakbpf oom, end to end: a 64 MiB memcg holding a bystander (adj 100,
# 8 MiB) and a hog (adj 500) that touches 256 MiB.  The kernel kills the
# hog; the report must name it, its trigger, the memcg constraint and both
# candidates.  Three runs: with the kernel's report, without kmsg, and with
# vm.oom_dump_tasks=0 (candidates then come from /proc).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../oom-lib.bash"

# Two runs of this test at once would fight over vm.oom_dump_tasks and
# the kernel's OOM report rate limit: serialize them.
exec 9> /tmp/memleakbpf-oom-e2e.lock
flock -w 200 9 || { fail "another oom test holds /tmp/memleakbpf-oom-e2e.lock"; exit 1; }

if ! panic_on_oom_is_off; then
	fail "vm.panic_on_oom is not 0: refusing to provoke an OOM"
	exit 1
fi
check_fails "count 0 is a usage error" "invalid --count" "$MEMLEAKBPF" oom --count 0
check_fails "unknown argument" "unexpected argument" "$MEMLEAKBPF" oom bogus
check_fails "--rank with --count" "do not apply" "$MEMLEAKBPF" oom --rank --count 1
check_fails "--memcg needs a path" "invalid --memcg" "$MEMLEAKBPF" oom -m foo
check_fails "not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$MEMLEAKBPF" oom -n 1
"$MEMLEAKBPF" oom --help | grep -q EXAMPLES && pass "--help has EXAMPLES" || fail "--help has EXAMPLES"
"$MEMLEAKBPF" oom --bogus >/dev/null 2>"$TMP/bogus.err"
check_eq "unknown option: exit 2" 2 "$?"
check_eq "unknown option: the option and a hint, not the manual" 2 "$(wc -l <"$TMP/bogus.err")"

start=$(date +%s%N)
"$MEMLEAKBPF" oom -v -d 1 > "$TMP/dur.out" 2> "$TMP/dur.err"
check_eq "-d 1 without kills: exit 0" 0 $?
check_eq "-d 1 without kills: prints no report" 0 "$(wc -c < "$TMP/dur.out")"
# Not a speed test: -d must end the run (60 s leaves room for TCG guests,
# where attaching the fentry trampolines alone takes seconds).
check_ge "-d 1 ends (within 60 s)" 0 $((60000 - ($(date +%s%N) - start) / 1000000))
# Where fentry loads, oom_control, every candidate's points and the gfp
# mask come from the kernel's own functions; else from kmsg and /proc.
FENTRY=
grep -q "hook out_of_memory/oom_badness/oom_kill_process: fentry" "$TMP/dur.err" && FENTRY=1
# by_fentry A B: what a field must be with fentry (A) and without (B)
by_fentry() { if [ -n "$FENTRY" ]; then echo "$1"; else echo "$2"; fi; }
if [ -n "${OOM_EXPECT_FENTRY:-}" ]; then
	check "-v: fentry hooks in use here" test -n "$FENTRY"
fi

memcg_create "memleakbpf-test-$$" 64M || { fail "cannot create a test memcg"; exit 1; }
# Other tests may load BPF concurrently: count only this mode's programs.
oom_progs() { bpftool prog list 2>/dev/null | grep -cE ' name (mark_victim|victim_exit|finish_reaping) '; }

# run_kill NAME ARGS...: one provoked OOM under the tracer; sets HOG, BY.
run_kill() {
	local name=$1; shift
	# -m: other tests on this machine may provoke OOMs of their own
	"$MEMLEAKBPF" oom -n 1 -d 40 -m "$CG_PATH" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
	local tracer=$!
	on_exit "kill -9 $tracer"
	if ! wait_for "$TMP/$name.err" '^Tracing OOM kills' 20; then
		fail "$name: tracer started" "$(cat "$TMP/$name.err")"
		return 1
	fi
	provoke_oom "$name" || return 1
	wait $tracer
	check_eq "$name: tracer exit status" 0 $?
	kill -9 "$BY" 2>/dev/null; wait "$BY" 2>/dev/null
}

# --- 1: with the kernel's report on /dev/kmsg
run_kill full --json
out=$TMP/full.out
# The kernel rate-limits its report (10 per 5 s, shared with every OOM on
# the machine): without one the tool falls back (tested below); retry once.
if [ "$(jq_get "$out" .sources.constraint)" != kmsg ]; then
	echo "note: no kernel OOM report for this kill ($(jq_get "$out" '.notes | join("; ")')): retrying"
	sleep 6
	run_kill full --json
fi
check_eq "victim pid" "$HOG" "$(jq_get "$out" .victim.pid)"
check_eq "victim comm" oom_hog "$(jq_get "$out" .victim.comm)"
check_eq "victim adj" 500 "$(jq_get "$out" .victim.oom_score_adj)"
check_eq "victim uid" 0 "$(jq_get "$out" .victim.uid)"
check_eq "victim memcg" "$CG_PATH" "$(jq_get "$out" .victim.memcg)"
anon=$(jq_get "$out" .victim.anon_rss_kb)
check_ge "victim anon rss >= 48 MiB (of the 64 MiB limit)" 49152 "$anon"
check_ge "victim anon rss <= 64 MiB" 0 $((65536 - anon))
check_eq "constraint" CONSTRAINT_MEMCG "$(jq_get "$out" .constraint)"
check_eq "constraint source" "$(by_fentry fentry kmsg)" "$(jq_get "$out" .sources.constraint)"
check_eq "domain memcg" "$CG_PATH" "$(jq_get "$out" .memcg)"
check_eq "domain limit" 65536 "$(jq_get "$out" .limit_kb)"
check_eq "totalpages = limit" 16384 "$(jq_get "$out" .totalpages)"
check_eq "trigger pid" "$HOG" "$(jq_get "$out" .trigger.pid)"
check_eq "trigger comm" oom_hog "$(jq_get "$out" .trigger.comm)"
check_eq "trigger gfp_mask" 0xcc0 "$(jq_get "$out" .trigger.gfp_mask)"
check_eq "trigger order" 0 "$(jq_get "$out" .trigger.order)"
check_eq "trigger stack reaches the memcg charge" true \
	"$(jq_get "$out" '[.trigger.stack[] | select(startswith("try_charge_memcg+"))] | length == 1')"
check_eq "trigger stack from BPF" bpf "$(jq_get "$out" .sources.stack)"
check_eq "two candidates" 2 "$(jq_get "$out" '.candidates | length')"
if [ -n "$FENTRY" ]; then
	check_eq "candidates from oom_badness (fentry)" fentry "$(jq_get "$out" .sources.candidates)"
	check_eq "points from oom_badness (fentry)" fentry "$(jq_get "$out" .sources.points)"
else
	check_eq "candidates from the kernel's table" kmsg "$(jq_get "$out" .sources.candidates)"
fi
check_eq "candidate 1 is the hog, adj 500, marked victim" "$HOG 500 true" \
	"$(jq_get "$out" '.candidates[0] | "\(.pid) \(.oom_score_adj) \(.victim)"')"
check_eq "candidate 2 is the bystander, adj 100" "$BY 100 false" \
	"$(jq_get "$out" '.candidates[1] | "\(.pid) \(.oom_score_adj) \(.victim)"')"
# points = rss + swap + pgtables (pages) + adj * totalpages / 1000
check_eq "bystander points follow oom_badness()" true \
	"$(jq_get "$out" '.candidates[1] | .points == ((.rss_kb + .swap_kb + .pgtables_kb) / 4 | floor) + 100 * 16')"
check_eq "victim outscores the bystander" true \
	"$(jq_get "$out" '.victim.points > .candidates[1].points')"
check_eq "victim points: rss + pgtables + 500 * 16" true \
	"$(jq_get "$out" '.victim | .points == ((.anon_rss_kb + .file_rss_kb + .shmem_rss_kb + .swap_kb + .pgtables_kb) / 4 | floor) + 500 * 16')"
check_eq "reap time measured" true "$(jq_get "$out" '.reap_seconds >= 0 and .reap_seconds < 5')"
check_eq "JSON keys: victim" \
	'["anon_rss_kb","comm","file_rss_kb","memcg","oom_score_adj","pgtables_kb","pid","points","shmem_rss_kb","swap_kb","total_vm_kb","uid"]' \
	"$(tail -n 1 "$out" | jq -c '.victim | keys')"
check_eq "JSON keys: candidate" true \
	"$(jq_get "$out" '.candidates[0] | has("pid") and has("comm") and has("rss_kb") and has("swap_kb") and has("pgtables_kb") and has("oom_score_adj") and has("points")')"
check_eq "JSON envelope: mode, timestamp, final, dropped first" '["mode","timestamp","final","dropped"]' \
	"$(tail -n 1 "$out" | jq -c 'keys_unsorted[0:4]')"
check_eq "JSON envelope: -n 1 makes the one kill final, no events dropped" "true 0" \
	"$(tail -n 1 "$out" | jq -r '"\(.final) \(.dropped.events)"')"

# --- 2: kmsg ignored: BPF + /proc only; a second tracer filtered on
# another memcg must stay silent about this kill
"$MEMLEAKBPF" oom -d 6 -m "$CG_PATH-other" --json > "$TMP/other.out" 2> "$TMP/other.err" &
other=$!
on_exit "kill -9 $other"
wait_for "$TMP/other.err" '^Tracing OOM kills' 20
run_kill nokmsg --json --no-kmsg -v
check "-v: mark_victim hook reported" grep -q "hook oom:mark_victim: tp_btf" "$TMP/nokmsg.err"
check "-v: fentry decision reported" grep -Eq "hook (fentry: refused|out_of_memory/oom_badness/oom_kill_process: fentry)" "$TMP/nokmsg.err"
check "-v: kmsg not read" grep -q "hook /dev/kmsg: not read" "$TMP/nokmsg.err"
wait $other
check_eq "--memcg filter: exit 0" 0 $?
check_eq "--memcg filter: kill in another memcg not reported" 0 "$(wc -l < "$TMP/other.out")"
out=$TMP/nokmsg.out
check_eq "no-kmsg: victim pid" "$HOG" "$(jq_get "$out" .victim.pid)"
check_eq "no-kmsg: constraint MEMCG, from oom_control or inferred" \
	"CONSTRAINT_MEMCG $(by_fentry fentry inferred)" \
	"$(jq_get "$out" '"\(.constraint) \(.sources.constraint)"')"
check_eq "no-kmsg: domain memcg from cgroupfs" "$CG_PATH cgroupfs" \
	"$(jq_get "$out" '"\(.memcg) \(.sources.memcg)"')"
check_eq "no-kmsg: candidates from oom_badness or /proc" "$(by_fentry fentry proc)" \
	"$(jq_get "$out" .sources.candidates)"
check_eq "no-kmsg: both candidates with their adj" "$HOG:500:true $BY:100:false" \
	"$(jq_get "$out" '[.candidates[] | "\(.pid):\(.oom_score_adj):\(.victim)"] | join(" ")')"
check_eq "no-kmsg: gfp_mask from oom_control, else null (not invented)" \
	"$(by_fentry 0xcc0 null)" "$(jq_get "$out" .trigger.gfp_mask)"
check_eq "no-kmsg: trigger from BPF" "$HOG" "$(jq_get "$out" .trigger.pid)"
[ -n "$FENTRY" ] || check_ge "no-kmsg: a note says where candidates came from" 1 \
	"$(jq_get "$out" '[.notes[] | select(test("/proc"))] | length')"

# --- 3: vm.oom_dump_tasks=0: the kernel prints no task table
old_dump=$(cat /proc/sys/vm/oom_dump_tasks)
on_exit "echo $old_dump > /proc/sys/vm/oom_dump_tasks"
echo 0 > /proc/sys/vm/oom_dump_tasks
run_kill nodump
echo "$old_dump" > /proc/sys/vm/oom_dump_tasks
out=$TMP/nodump.out
check "nodump: text names the victim" grep -q "^  victim    pid $HOG  comm oom_hog" "$out"
check "nodump: constraint from kmsg" grep -q "CONSTRAINT_MEMCG  memcg $CG_PATH" "$out"
check "nodump: bystander listed with adj 100" grep -Eq "^ +2 +$BY oom_hog .* 100 " "$out"
check "nodump: victim ranked first, marked" grep -Eq "^   \* +1 +$HOG oom_hog .* 500 " "$out"
if [ -n "$FENTRY" ]; then
	check "nodump: candidates from oom_badness" grep -q "candidates=fentry" "$out"
else
	check "nodump: note names oom_dump_tasks" grep -q "vm.oom_dump_tasks=0" "$out"
	check "nodump: candidates source proc" grep -q "candidates=proc" "$out"
fi
check "nodump: gfp from kmsg" grep -q "gfp_mask 0xcc0(GFP_KERNEL)  order 0" "$out"

# --- 4: the trigger is not the victim: a holder with adj 1000 and 24 MiB
# outscores the allocating hog (adj 0) and is killed in its place; the hog
# goes on and is killed at the next OOM.  Two reports, in that order.
"$MEMLEAKBPF" oom -n 2 -d 40 -m "$CG_PATH" --json > "$TMP/cross.out" 2> "$TMP/cross.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_for "$TMP/cross.err" '^Tracing OOM kills' 20
start_holder 1000 24 || fail "cross: holder started"
HOLD=$HOLDER_PID
"$PROGS/oom_hog" 0 256 "$CG/cgroup.procs" > /dev/null &
HOG=$!
wait $tracer
check_eq "cross: tracer exit status" 0 $?
wait $HOG 2>/dev/null
check_eq "cross: hog killed too, later" 137 $?
wait $HOLD 2>/dev/null
check_eq "cross: holder killed" 137 $?
check_eq "cross: two reports" 2 "$(wc -l < "$TMP/cross.out")"
head -n 1 "$TMP/cross.out" > "$TMP/cross1.out"
out=$TMP/cross1.out
check_eq "cross: first victim is the holder" "$HOLD 1000" "$(jq_get "$out" '"\(.victim.pid) \(.victim.oom_score_adj)"')"
check_eq "cross: trigger is the hog" "$HOG oom_hog" "$(jq_get "$out" '"\(.trigger.pid) \(.trigger.comm)"')"
check_eq "cross: trigger stack is the hog's page fault" true \
	"$(jq_get "$out" '[.trigger.stack[] | select(startswith("handle_mm_fault+"))] | length == 1')"
check_eq "cross: holder ranked first and marked" "$HOLD true" \
	"$(jq_get "$out" '.candidates[0] | "\(.pid) \(.victim)"')"
check_eq "cross: hog listed with adj 0" "$HOG 0 false" \
	"$(jq_get "$out" '.candidates[] | select(.pid == '"$HOG"') | "\(.pid) \(.oom_score_adj) \(.victim)"')"
out=$TMP/cross.out
check_eq "cross: second report: the hog, by itself" "$HOG $HOG" \
	"$(jq_get "$out" '"\(.victim.pid) \(.trigger.pid)"')"

# --- SIGINT: clean exit, no BPF links left
"$MEMLEAKBPF" oom > "$TMP/int.out" 2> "$TMP/int.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_for "$TMP/int.err" '^Tracing OOM kills' 20
check_ge "programs loaded while tracing" 3 "$(oom_progs)"
kill -INT "$tracer"
wait "$tracer"
check_eq "SIGINT: exit 0" 0 $?
# programs are freed after an RCU grace period, not at close()
for i in $(seq 1 30); do [ "$(oom_progs)" = 0 ] && break; sleep 0.1; done
check_eq "no oom BPF programs left behind" 0 "$(oom_progs)"
