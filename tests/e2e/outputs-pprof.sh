#!/usr/bin/env bash
# --pprof, read by its real consumer: go tool pprof (-top, -traces, -raw) on
# the profile of leaky (known leaks) and of the kernel mode must say what the
# --json report of the same run says, function by function and stack by
# stack.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../user_lib.sh"

if ! command -v go >/dev/null; then
	fail "go tool pprof" "go not installed (scripts/deps installs golang-go)"
	exit 0
fi
# go wants a writable home for its cache; pprof must never reach out.
export HOME=$TMP/home GOFLAGS=-mod=mod PPROF_TMPDIR=$TMP/pprof
mkdir -p "$HOME" "$PPROF_TMPDIR"
pp() { go tool pprof -symbolize=none "$@" 2>"$TMP/pprof.err"; }

# top_table PROFILE: "function<TAB>flat<TAB>cum" per function, bytes, summed
# over the " (inline)" and plain nodes of one name; unnamed locations
# (addresses) left out.
top_table() {
	pp -top -unit=byte -nodecount=1000000 -nodefraction=0 -edgefraction=0 "$1" |
		awk '/^ +flat +flat%/ { on = 1; next }
		     on && NF >= 6 {
			name = $6; for (i = 7; i <= NF; i++) name = name " " $i
			sub(/ \(inline\)$/, "", name)
			if (name ~ /^0x[0-9a-f]+$/ || name ~ /^<unknown>$/) next
			f = $1; c = $4; sub(/B$/, "", f); sub(/B$/, "", c)
			flat[name] += f; cum[name] += c
		     }
		     END { for (n in flat) printf "%s\t%d\t%d\n", n, flat[n], cum[n] }' | LC_ALL=C sort
}
# json_table JSONFILE: the same from the last --json report: flat = stacks
# whose innermost frame is the function, cum = stacks holding it anywhere.
json_table() {
	jq_get "$1" '[.stacks[] | .bytes as $b | (.frames[0].function) as $f0 |
		([.frames[].function | select(. != null)] | unique)[] |
		{f: ., flat: (if . == $f0 then $b else 0 end), cum: $b}] |
		group_by(.f)[] | "\(.[0].f)\t\(map(.flat) | add)\t\(map(.cum) | add)"' | LC_ALL=C sort
}
# traces_list PROFILE: one line per sample, "bytes;kind;innermost;...;outermost"
# (POSIX awk only: Debian's default mawk has no {n,m} intervals)
traces_list() {
	pp -traces -unit=byte "$1" |
		awk 'function out() { if (n) print v ";" k s; n = 0; s = ""; k = "" }
		     /^-+\+-+$/ { out(); next }
		     /^ +[a-z]+: +/ { k = $2; next }
		     /^ +[0-9]+B +/ { v = $1; sub(/B$/, "", v); $1 = ""; add($0); next }
		     /^      +[^ ]/ && n { add($0); next }
		     function add(f) { sub(/^ +/, "", f); sub(/ \(inline\)$/, "", f)
			if (f ~ /^0x[0-9a-f]+$/) f = "?"; s = s ";" f; n++ }
		     END { out() }' | LC_ALL=C sort
}
json_traces() {
	jq_get "$1" '.stacks[] | "\(.bytes);\(.kind);\([.frames[].function // "?"] | join(";"))"' | LC_ALL=C sort
}

# --- user mode: leaky, every stack (-T 0), final report at exit
trace "$TMP/leaky" -c "$PROGS/leaky" -T 0 --pprof "$TMP/leaky.pb.gz"
check_eq "leaky: exit status" 0 "$(cat "$TMP/leaky.rc")"
check "leaky: the profile is gzip" gzip -t "$TMP/leaky.pb.gz"
check "go tool pprof -top reads it" pp -top "$TMP/leaky.pb.gz"
top_table "$TMP/leaky.pb.gz" >"$TMP/top.pp"
json_table "$TMP/leaky" >"$TMP/top.json"
check_eq "pprof -top equals the JSON report, function by function (flat and cum bytes)" \
	"$(cat "$TMP/top.json")" "$(cat "$TMP/top.pp")"
check_ge "... over many functions" 8 "$(wc -l <"$TMP/top.pp")"
for spec in "leak_malloc 5000" "leak_calloc 7200" "leak_realloc 6000"; do
	set -- $spec
	check_eq "pprof -top: $1 holds $2 bytes (flat)" "$2" "$(awk -F'\t' -v f="$1" '$1 == f { print $2 }' "$TMP/top.pp")"
done
check_eq "pprof -top: leak_mmap holds 131072 bytes (cum)" 131072 \
	"$(awk -F'\t' '$1 == "leak_mmap" { print $3 }' "$TMP/top.pp")"
check_eq "pprof total equals total_bytes" "$(jq_get "$TMP/leaky" .total_bytes)" \
	"$(pp -top -unit=byte "$TMP/leaky.pb.gz" | sed -n 's/.*of \([0-9]*\)B total.*/\1/p')"
top_objs=$(pp -top -sample_index=inuse_objects -nodecount=1000 "$TMP/leaky.pb.gz" | awk '$NF == "leak_malloc" { print $1 }')
check_eq "inuse_objects: leak_malloc 5 objects" 5 "$top_objs"
traces_list "$TMP/leaky.pb.gz" >"$TMP/tr.pp"
json_traces "$TMP/leaky" >"$TMP/tr.json"
check_eq "pprof -traces equals the JSON stacks (bytes, kind, every frame innermost first)" \
	"$(cat "$TMP/tr.json")" "$(cat "$TMP/tr.pp")"
check_eq "the same number of samples as stacks" "$(jq_get "$TMP/leaky" '.stacks | length')" "$(wc -l <"$TMP/tr.pp")"

pp -raw "$TMP/leaky.pb.gz" >"$TMP/raw"
check "sample types inuse_objects/count inuse_space/bytes, default inuse_space" \
	grep -qx 'inuse_objects/count inuse_space/bytes\[dflt\]' "$TMP/raw"
check "period type: allocations, period 1" grep -qzE 'PeriodType: allocations count.Period: 1' "$TMP/raw"
bid=$(readelf -n "$PROGS/leaky" | sed -n 's/.*Build ID: //p')
check "the main mapping is leaky, with its build id" \
	grep -qE "^1: .*/leaky $bid \[FN\]\[FL\]\[LN\]\[IN\]$" "$TMP/raw"
check "libc's mapping carries a build id" grep -qE '/libc\.so\.6 [0-9a-f]{40} ' "$TMP/raw"
check_eq "every sample has a kind label" "$(jq_get "$TMP/leaky" '.stacks | length')" \
	"$(grep -c 'kind:\[' "$TMP/raw")"
check "pprof -top -lines: leak_malloc at leaky.c, the marked line" \
	bash -c "go tool pprof -symbolize=none -top -lines -nodecount=1000 '$TMP/leaky.pb.gz' 2>/dev/null | grep -q 'leak_malloc .*leaky.c:$(mark_line leaky.c LEAK_MALLOC)'"
# An inlined frame is a second Line of one Location, not a Location of its
# own: each sample references as many locations as its stack has frames
# not flagged inlined.
check_ge "the reports hold inlined frames" 1 "$(jq_get "$TMP/leaky" '[.stacks[].frames[] | select(.inlined)] | length')"
check_eq "locations per sample = frames not inlined, stack by stack" \
	"$(jq_get "$TMP/leaky" '.stacks[] | "\(.bytes) \([.frames[] | select(.inlined | not)] | length)"' | sort)" \
	"$(awk '/^Samples:/ { on = 1; next } /^Locations/ { on = 0 } on && /: / { split($0, a, ": "); n = split(a[2], l, " "); print $2 + 0, n }' "$TMP/raw" | sed 's/:$//' | sort)"

# -s 2: the period says so
trace "$TMP/s2" -c "$PROGS/leaky" -s 2 --pprof "$TMP/s2.pb.gz"
check "-s 2: period 2" bash -c "go tool pprof -symbolize=none -raw '$TMP/s2.pb.gz' 2>/dev/null | grep -qzE 'PeriodType: allocations count.Period: 2'"

# The file is replaced by a rename: never over a device or a fifo (as root
# that would swap /dev/null for a plain file); a symbolic link stays, its
# target is replaced.
check_fails "--pprof /dev/null: usage error" "'/dev/null' is not a regular file" \
	"$MEMLEAKBPF" -c "$PROGS/leaky" --pprof /dev/null
check_fails "--svg on a directory: usage error" "is not a regular file" \
	"$MEMLEAKBPF" kernel --svg "$TMP" 1 1
check "/dev/null is still a device" test -c /dev/null
check_fails "--pprof '': usage error" "empty file name" "$MEMLEAKBPF" -c "$PROGS/leaky" --pprof ""
: >"$TMP/real.pb.gz"
ln -s real.pb.gz "$TMP/link.pb.gz"
(umask 022; "$MEMLEAKBPF" -c "$PROGS/leaky" --pprof "$TMP/link.pb.gz" >/dev/null 2>&1)
check "a symbolic link stays one" test -L "$TMP/link.pb.gz"
check "... and its target is the profile" pp -top "$TMP/real.pb.gz"
check_eq "the file's mode follows the umask (022: 0644)" 644 "$(stat -c %a "$TMP/real.pb.gz")"

# Each report replaces the file (rename): no temporary files are left.
"$MEMLEAKBPF" -c "$PROGS/leaky 1" --pprof "$TMP/rep/p.pb.gz" 0.3 >/dev/null 2>"$TMP/rep.err"
check_eq "no directory: exit 1" 1 "$?"
check "no directory: one line naming the file" grep -q -- "--pprof $TMP/rep/p.pb.gz: No such file" "$TMP/rep.err"
mkdir -p "$TMP/rep"
"$MEMLEAKBPF" -c "$PROGS/leaky 1" --pprof "$TMP/rep/p.pb.gz" --json 0.3 >"$TMP/rep.json" 2>"$TMP/rep.err"
check_ge "interval reports: several" 2 "$(wc -l <"$TMP/rep.json")"
check_eq "interval reports: one file, no temporaries" "p.pb.gz" "$(ls "$TMP/rep")"
check_eq "interval reports: the file is the final report" "$(jq_get "$TMP/rep.json" '[.stacks[].bytes] | add')" \
	"$(pp -top -unit=byte "$TMP/rep/p.pb.gz" | sed -n 's/.*of \([0-9]*\)B total.*/\1/p')"

# --- kernel mode: the profile of kernel_hold's held objects parses, and says
# what the JSON says
kernel_hold_traced "$TMP/k.json" --pprof "$TMP/k.pb.gz"
check_eq "kernel: exit status" 0 "$TRACER_RC"
check "kernel: go tool pprof -top reads the profile" pp -top "$TMP/k.pb.gz"
check_eq "kernel: pprof total equals the JSON stacks" "$(jq_get "$TMP/k.json" '[.stacks[].bytes] | add')" \
	"$(pp -top -unit=byte "$TMP/k.pb.gz" | sed -n 's/.*of \([0-9]*\)B total.*/\1/p')"
top_table "$TMP/k.pb.gz" >"$TMP/ktop.pp"
json_table "$TMP/k.json" >"$TMP/ktop.json"
check_eq "kernel: pprof -top equals the JSON report, function by function" \
	"$(cat "$TMP/ktop.json")" "$(cat "$TMP/ktop.pp")"
check_ge "kernel: __sys_socket is in the profile" 1 "$(grep -c '^__sys_socket	' "$TMP/ktop.pp")"
check "kernel: kind and cache labels" bash -c "go tool pprof -symbolize=none -raw '$TMP/k.pb.gz' 2>/dev/null | grep -q 'cache:\[sock_inode_cache\]'"
kill -USR1 "$HOLD"
wait_line "$TMP/hold.out" '^released' 10
kill -USR1 "$HOLD"
wait "$HOLD"
