#!/usr/bin/env bash
# memleakbpf kernel: bad command lines get one clear line and exit 2;
# runtime problems (no such PID, not root) exit 1; nothing is left loaded.
source "$(dirname "$0")/../lib.sh"

usage_fails() { # name regex args...
	local name=$1 re=$2; shift 2
	check_fails "$name" "$re" "$MEMLEAKBPF" kernel "$@"
	"$MEMLEAKBPF" kernel "$@" >/dev/null 2>&1
	check_eq "$name: exit 2" 2 $?
}
usage_fails "unknown kind" "unknown kind 'bogus'" --kind bogus
usage_fails "unknown kind in a list" "unknown kind 'nope'" --kind kmalloc,nope
usage_fails "empty kind list" "unknown kind" --kind ''
usage_fails "negative --older" "invalid --older '-5'" --older -5
usage_fails "non-numeric --older" "invalid --older 'soon'" --older soon
usage_fails "interval 0" "invalid interval" 0
usage_fails "count 0" "invalid count" 1 0
usage_fails "extra argument" "unexpected argument" 1 2 3
usage_fails "min above max" "larger than --max-size" -z 4k -Z 1k
usage_fails "bad size" "invalid --min-size '12q'" -z 12q
usage_fails "tiny map" "invalid --max-allocs '1'" --max-allocs 1
usage_fails "sample 0" "invalid --sample" -s 0
usage_fails "bad pid" "invalid pid 'abc'" -p abc
usage_fails "unknown option" "unrecognized option|invalid option" --frobnicate

check_fails "no such pid" "no process with PID 2147483647" "$MEMLEAKBPF" kernel -p 2147483647 1 1
if command -v setpriv >/dev/null; then
	check_fails "not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MEMLEAKBPF" kernel 1 1
fi
out=$("$MEMLEAKBPF" kernel --help); rc=$?
check_eq "--help exits 0" 0 $rc
check "--help has EXAMPLES" grep -q '^Examples:' <<<"$out"
check "--help lists --older" grep -q -- '--older SEC' <<<"$out"

# -v names every hook and what happened to it.
"$MEMLEAKBPF" kernel -v --pages 0.2 1 >/dev/null 2>"$TMP/v"
check_eq "-v run exits 0" 0 $?
check "-v: tracepoint hooks in use" grep -q 'hook kmalloc: raw_tp' "$TMP/v"
check "-v: pages hooked with --pages" grep -q 'hook mm_page_alloc: tp_btf' "$TMP/v"
# vmalloc takes the best method the kernel allows; KERNEL_EXPECT_VMALLOC
# (set by tests/vm for each stock kernel) says which one that must be.
vm=$(sed -n 's/^memleakbpf: vmalloc: //p' "$TMP/v")
check "-v: vmalloc method reported" grep -Eq '^(fexit/fentry on __vmalloc_node_range(_noprof)?|kretprobe/kprobe on __vmalloc_node_range(_noprof)?|vmap-area tracepoints \(approximate\)|unavailable)$' <<<"$vm"
if [ -n "${KERNEL_EXPECT_VMALLOC:-}" ]; then
	check_eq "-v: vmalloc by $KERNEL_EXPECT_VMALLOC here" "$KERNEL_EXPECT_VMALLOC" "${vm%% *}"
fi
case $vm in
fexit*) check "-v: fexit and fentry hooks in use" grep -q 'hook fentry vfree: fentry' "$TMP/v" ;;
kretprobe*) check "-v: kprobe hooks in use" grep -q 'hook kprobe vfree: kprobe' "$TMP/v" ;;
vmap*) check "-v: vmap tracepoints in use" grep -q 'hook alloc_vmap_area: tp_btf' "$TMP/v" ;;
esac
