#!/usr/bin/env bash
# memleakbpf kernel against kernel_hold: N eventfds, pipes, AF_UNIX sockets
# and parked threads are held, then released.  While held, the stacks that
# create them must show at least N outstanding objects each (ground truth:
# one eventfd context, two pipe kmallocs, one socket inode, one vmalloc'ed
# kernel stack per object); after release they must be gone.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../kernel_lib.sh"
N=64

# settle FILE TEST...: frees deferred by RCU land late on a busy machine:
# wait for up to 20 more reports of FILE until TEST (on its last report)
# succeeds.
settle() {
	local f=$1 i
	shift
	for ((i = 0; i < 20; i++)); do
		"$@" && return 0
		wait_reports "$f" 1 || return 1
	done
	return 1
}
# sockets_are OP VALUE: the last report's held sockets compared with VALUE
sockets_are() { test "$(count_cache "$TMP/main.out" sock_inode_cache __sys_socket)" "$@"; }

"$PROGS/kernel_hold" $N >"$TMP/hold" &
HPID=$!
on_exit "kill -9 $HPID"
wait_line "$TMP/hold" '^waiting' || fail "holder did not start"

# Ten tracers at once, each checking one thing: everything from the holder
# (JSON, text, --exact-stacks), --older (nothing is an hour old; 1 s),
# --kind vmalloc, a tiny allocs map that must report drops, -z, -Z, -s.
declare -A OPTS=(
	[main]=''			[older]='--older 3600'
	[kind]='--kind vmalloc'		[small]='--max-allocs 16'
	[text]='text'			[exact]='--exact-stacks'
	[older1]='--older 1'		[big]='-z 16k'
	[tiny]='-Z 64'			[sample]='-s 4')
all="main older kind small text exact older1 big tiny sample"
# KERNEL_HOLD_QUICK=1 (tests/vm: in a TCG guest ten tracers reporting every
# second made this file take 380-390 s): only the tracers whose BPF side
# differs (main: every hook; kind: vmalloc alone; exact: no fingerprint
# hook).  The other options filter in userspace, the same on every kernel,
# and the host suite runs them.
[ -n "${KERNEL_HOLD_QUICK:-}" ] && all="main kind exact"
has() { [[ " $all " == *" $1 "* ]]; }
for t in $all; do
	# shellcheck disable=SC2086 # OPTS holds several words
	if [ "$t" = text ]; then start_tracer text -p $HPID -T 0 1
	else start_tracer "$t" -p $HPID --json -T 0 ${OPTS[$t]} 1; fi
done
for t in $all; do
	wait_line "$TMP/$t.err" 'tracing kernel allocations' 20 ||
		fail "$t tracer started" "$(cat "$TMP/$t.err")"
done

# Our programs, by id: those the tracers hold open (other tests may load
# kernel tracers at the same time), named as on every kernel (the vmalloc
# hook differs: tracepoint, fexit or kprobe).
named_ids() {
	bpftool prog show 2>/dev/null |
		awk '/name (kmalloc_tp|kfree_tp|sys_enter_ref|alloc_vmap_area_tp|vmalloc_fexit|vmalloc_kprobe) / {sub(":", "", $1); print $1}' | sort
}
ours=$(comm -12 <(held_prog_ids $(for t in $all; do eval echo \$${t}_pid; done)) <(named_ids))
# 4 per tracer, but --kind vmalloc has no slab hooks and --exact-stacks no
# sys_enter hook.
n=$(wc -w <<<"$all")
check_eq "programs loaded (4 x $n tracers - 3)" $((4 * n - 3)) "$(wc -w <<<"$ours")"

kill -USR1 $HPID
wait_line "$TMP/hold" '^held' || fail "holder held"
wait_reports "$TMP/main.out" 2 || fail "reports while held"
wait_reports "$TMP/kind.out" 1
settle "$TMP/main.out" sockets_are -ge $N
cp "$TMP/main.out" "$TMP/held.json"

check_ge "eventfd contexts (kmalloc in do_eventfd)" $N "$(count_direct "$TMP/held.json" kmalloc do_eventfd)"
check_ge "eventfd files (filp via do_eventfd)" $N "$(count_cache "$TMP/held.json" filp do_eventfd)"
check_ge "pipe kmallocs (2 per pipe in alloc_pipe_info)" $((2 * N)) \
	"$(count_direct "$TMP/held.json" kmalloc alloc_pipe_info)"
check_ge "socket inodes (sock_inode_cache via __sys_socket)" $N \
	"$(count_cache "$TMP/held.json" sock_inode_cache __sys_socket)"
check_ge "socket objects (kmem_cache from sk_prot_alloc)" $N "$(count_direct "$TMP/held.json" kmem_cache sk_prot_alloc)"
# Thread stacks are not an exact ground truth: the kernel keeps two freed
# stacks per CPU and hands them to new threads before it vmallocs one.
# kernel_hold's drainer threads take those first, but on a busy machine
# (seen: 2 runs in 35 with the soak and two guests running) other tasks
# exiting in the meantime refill the cache, and 56-59 of 64 threads got a
# vmalloc.  Every tracer then saw the same smaller number: the stacks are
# checked for at least half, and the other tracers for the same count.
threads=$(count "$TMP/held.json" vmalloc copy_process)
check_ge "thread kernel stacks (vmalloc in copy_process): most of N" $((N / 2)) "$threads"
check_ge "thread stacks are at least 16 KiB each" $((threads * 16384)) \
	"$(jq_get "$TMP/held.json" '[.stacks[] | select(.kind == "vmalloc") |
		select(any(.frames[]; .function == "copy_process")) | .bytes] | add // 0')"
check_ge "task_struct cache named" $N "$(count_cache "$TMP/held.json" task_struct copy_process)"
check_eq "-p keeps only the holder's allocations" "[$HPID]" \
	"$(jq_get "$TMP/held.json" '[.stacks[].pid] | unique | tostring')"
check_eq "first allocator comm" '["kernel_hold"]' \
	"$(jq_get "$TMP/held.json" '[.stacks[].comm] | unique | tostring')"
check_eq "frames carry function, module, address" "true" \
	"$(jq_get "$TMP/held.json" '[.stacks[].frames[] | has("function") and has("module") and
		(.address | test("^0x[0-9a-f]+$"))] | all')"
check_eq "JSON keys" "true" \
	"$(jq_get "$TMP/held.json" '.mode == "kernel" and (.stacks[0] | has("bytes") and has("count")
		and has("kind") and has("cache") and has("frames")) and
		(.dropped | has("recursion_misses") and has("stack_collisions") and has("allocs_map_full"))')"
check_eq "totals agree with the stacks (-T 0)" "true" \
	"$(jq_get "$TMP/held.json" '([.stacks[] | select(.kind == "kmalloc") | .bytes] | add) == .totals.kmalloc.bytes')"
# Sibling paths in one syscall (pipe2 makes its read file with
# alloc_file_pseudo and its write file with alloc_file_clone) must stay
# apart even when stack ids come from the fingerprint cache: exactly N each.
pipe_files() { # FILE FUNCTION
	jq_get "$1" "[.stacks[] | select(.kind == \"kmem_cache\" and .cache == \"filp\") |
		select(any(.frames[]; .function == \"create_pipe_files\")) |
		select(any(.frames[]; .function == \"$2\")) | .count] | add // 0"
}
check_eq "pipe read files: exactly N" $N "$(pipe_files "$TMP/held.json" alloc_file_pseudo)"
check_eq "pipe write files: exactly N" $N "$(pipe_files "$TMP/held.json" alloc_file_clone)"
check_ge "stack ids were reused from fingerprints" 1 "$(jq_get "$TMP/held.json" '.tracked.stacks_reused')"
wait_reports "$TMP/exact.out" 1
check_eq "--exact-stacks walks every time" 0 "$(jq_get "$TMP/exact.out" '.tracked.stacks_reused')"
check_eq "--exact-stacks: pipe write files exactly N" $N "$(pipe_files "$TMP/exact.out" alloc_file_clone)"
check_ge "--exact-stacks: eventfd contexts" $N "$(count_direct "$TMP/exact.out" kmalloc do_eventfd)"
if has older; then
	check_eq "--older 3600 reports nothing this young" "0" \
		"$(jq_get "$TMP/older.out" '.stacks | length')"
	wait_reports "$TMP/older1.out" 2
	check_ge "--older 1 keeps what has lived 1 s (eventfds)" $N \
		"$(count_direct "$TMP/older1.out" kmalloc do_eventfd)"
	check_eq "--older 1 agrees with the totals of its rows" "true" \
		"$(jq_get "$TMP/older1.out" '([.stacks[].bytes] | add) == ([.totals[].bytes] | add)')"
	check_eq "-z 16k: no allocation under 16 KiB" "true" \
		"$(jq_get "$TMP/big.out" '[.stacks[] | .bytes >= .count * 16384] | all')"
	check_eq "-z 16k: thread stacks kept (as many as the main tracer saw)" "$threads" \
		"$(count "$TMP/big.out" vmalloc copy_process)"
	check_eq "-Z 64: no allocation over 64 bytes" "true" \
		"$(jq_get "$TMP/tiny.out" '[.stacks[] | .bytes <= .count * 64] | all and length > 0')"
	check_ge "-Z 64: eventfd contexts (64 B) kept: the bound is inclusive" $N \
		"$(count_direct "$TMP/tiny.out" kmalloc do_eventfd)"
	check_eq "-Z 64: socket inodes filtered out" 0 \
		"$(count_cache "$TMP/tiny.out" sock_inode_cache __sys_socket)"
	# One in four: P(0 of 64) is 1e-8, and never all 64.
	sampled=$(count_direct "$TMP/sample.out" kmalloc do_eventfd)
	if [ "$sampled" -ge 1 ] && [ "$sampled" -lt $N ]; then pass "-s 4 tracks a sample ($sampled of $N eventfds)"
	else fail "-s 4 tracks a sample" "$sampled of $N"; fi
	check_ge "-s 4 counts what it skipped" $N "$(jq_get "$TMP/sample.out" '.tracked.sampled_out')"
	check_ge "a full allocs map is a counted drop" 1 "$(jq_get "$TMP/small.out" '.dropped.allocs_map_full')"
	small=$(jq_get "$TMP/small.out" '[.stacks[].count] | add // 0')
	if [ "$small" -ge 1 ] && [ "$small" -le 16 ]; then pass "a 16-entry allocs map tracks at most 16 ($small)"
	else fail "a 16-entry allocs map tracks at most 16" "$small"; fi
fi
check_eq "--kind vmalloc reports only vmalloc" '["vmalloc"]' \
	"$(jq_get "$TMP/kind.out" '[.stacks[].kind] | unique | tostring')"
check_eq "--kind vmalloc sees the thread stacks the main tracer saw" "$threads" \
	"$(count "$TMP/kind.out" vmalloc copy_process)"

kill -USR1 $HPID
wait_line "$TMP/hold" '^released' || fail "holder released"
wait_reports "$TMP/main.out" 2 || fail "reports after release"
# sockets and task structs are freed after an RCU grace period
settle "$TMP/main.out" sockets_are = 0
cp "$TMP/main.out" "$TMP/released.json"
check_eq "eventfds gone after close" 0 "$(count_direct "$TMP/released.json" kmalloc do_eventfd)"
check_eq "pipes gone after close" 0 "$(count_direct "$TMP/released.json" kmalloc alloc_pipe_info)"
# A free that ran while one of our programs was already running on that CPU
# (an RCU callback in softirq) is skipped by the kernel's recursion guard and
# reported as a missed free: a socket may stay counted then, never silently.
left=$(count_cache "$TMP/released.json" sock_inode_cache __sys_socket)
missed=$(jq_get "$TMP/released.json" '.dropped.recursion_misses_by_hook | (.kfree // 0) + (.kmem_cache_free // 0)')
if [ "$left" -eq 0 ] || [ "$left" -le "${missed:-0}" ]; then
	pass "sockets gone after close, or reported as missed frees ($left left, $missed missed)"
else
	fail "sockets gone after close, or reported as missed frees" "$left left, ${missed:-0} missed"
fi
# The kernel keeps up to two freed stacks per CPU for reuse.
released=$(count "$TMP/released.json" vmalloc copy_process)
if [ "$released" -lt $N ]; then pass "thread stacks freed after join ($released cached left)"
else fail "thread stacks freed after join" "$released left"; fi

kill -USR1 $HPID
wait $HPID
for t in $all; do
	kill -TERM "$(eval echo \$${t}_pid)"
done
for t in $all; do
	wait "$(eval echo \$${t}_pid)"
	check_eq "$t tracer exits 0 on SIGTERM" 0 $?
done
if has text; then
	check "text report has the summary line" grep -q '^summary: slab tracked' "$TMP/text.out"
	check "text report has the dropped line" grep -q '^dropped: .*recursion misses [0-9]' "$TMP/text.out"
	check "text report names the eventfd stack" grep -q 'do_eventfd' "$TMP/text.out"
fi
# Programs are freed asynchronously after the last fd closes.
for ((i = 0; i < 50; i++)); do
	left=$(comm -12 <(echo "$ours") <(loaded_prog_ids) | wc -w)
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
check_eq "no programs left loaded after exit" 0 "$left"
