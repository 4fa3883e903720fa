#!/usr/bin/env bash
# memleakbpf serve, end to end: real scrapes with curl, each read by a real
# consumer (promtool check metrics for Prometheus 0.0.4, prometheus_client's
# strict OpenMetrics parser for OpenMetrics), values equal to the JSON
# reports of the same modes on the same workload (a tmpfs writer, kernel
# objects held by kernel_hold, an OOM kill in a memcg, the why tree of a
# fixture /proc, a process's heap under -p), a scrape that does not wait for
# a slow collection, bad input, and SIGTERM leaving no BPF link behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../oom-lib.bash"

PY=/usr/bin/python3 # Debian's, with python3-prometheus-client (scripts/deps)
FX=$(cd "$(dirname "$0")/../fixtures/why/proc" && pwd)
for t in curl promtool; do
	command -v $t >/dev/null || { fail "$t is missing (scripts/deps installs it)"; exit 1; }
done
$PY -c 'import prometheus_client' 2>/dev/null ||
	{ fail "python3-prometheus-client is missing (scripts/deps installs it)"; exit 1; }

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" | grep -q . || { echo $p; return; }
	done
}

# scrape PORT FILE [om]: GET /metrics (OpenMetrics when asked) into FILE.
scrape() {
	local accept='Accept: text/plain'
	[ "${3:-}" = om ] && accept='Accept: application/openmetrics-text; version=1.0.0; charset=utf-8'
	curl -sf -m 5 -H "$accept" "http://127.0.0.1:$1/metrics" >"$2"
}

# om_samples FILE: every sample of an OpenMetrics text as parsed by
# prometheus_client (strict: fails on any deviation from the spec), one per
# line: NAME<TAB>label=value,... (sorted)<TAB>VALUE
om_samples() {
	$PY - "$1" <<'EOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        v = int(s.value) if s.value == int(s.value) else s.value
        print("%s\t%s\t%s" % (s.name, ",".join("%s=%s" % kv for kv in sorted(s.labels.items())), v))
EOF
}

# value TSV NAME LABELS: one sample's value ("" when absent).
value() { awk -F'\t' -v n="$2" -v l="$3" '$1 == n && $2 == l { print $3 }' "$1"; }

# wait_metric PORT NAME LABELS MIN [SECONDS]: until the sample is >= MIN.
wait_metric() {
	local v end=$((SECONDS + ${5:-30} * SCALE))
	# a deadline, not a count of tries: a scrape and its parse can take a
	# second on a loaded host
	while [ $SECONDS -lt $end ]; do
		if scrape "$1" "$TMP/w.om" om && om_samples "$TMP/w.om" >"$TMP/w.tsv" 2>/dev/null; then
			v=$(value "$TMP/w.tsv" "$2" "$3")
			[ -n "$v" ] && [ "${v%.*}" -ge "$4" ] && return 0
		fi
		sleep 0.2
	done
	return 1
}

# --- bad input: one clear line, exit 2 (usage) or 1 (runtime)
check "--help exits 0 with EXAMPLES" bash -c "'$MEMLEAKBPF' serve --help | grep -q EXAMPLES"
"$MEMLEAKBPF" serve --bogus >/dev/null 2>"$TMP/bogus.err"
check_eq "unknown option: exit 2, the option and a hint" "2 2" "$? $(wc -l <"$TMP/bogus.err")"
for bad in nonsense 127.0.0.1 127.0.0.1:0 127.0.0.1:70000 localhost:9435 '[::1' 1.2.3.4.5:80; do
	"$MEMLEAKBPF" serve --listen "$bad" >/dev/null 2>"$TMP/l.err"
	check_eq "--listen '$bad': exit 2, one error line naming it and the hint" "2 2 1" \
		"$? $(wc -l <"$TMP/l.err") $(grep -cF "error: invalid --listen '$bad'" "$TMP/l.err")"
done
check_fails "unknown mode in --modes" "invalid --modes 'shmem,bogus': unknown mode 'bogus'" \
	"$MEMLEAKBPF" serve --modes shmem,bogus
check_fails "COUNT is not an operand of serve" "unexpected argument '2'" "$MEMLEAKBPF" serve 1 2
check_fails "--top 0" "invalid --top '0'" "$MEMLEAKBPF" serve -T 0
check_fails "--textfile on a missing directory" "--textfile /nonexistent-x: not a directory" \
	"$MEMLEAKBPF" serve --textfile /nonexistent-x
"$MEMLEAKBPF" serve -p 2147483647 >/dev/null 2>"$TMP/p.err"
check_eq "-p of no process: exit 1, one line" "1 1" "$? $(grep -c 'no process with PID 2147483647' "$TMP/p.err")"
check_fails "not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$MEMLEAKBPF" serve --modes kernel

# --- a scrape never waits for a collection: why mode only (no BPF), each
# report held back 3 s by the test hook before it is published.
P=$(free_port)
MEMLEAKBPF_SERVE_TEST_DELAY=3 "$MEMLEAKBPF" serve -l "127.0.0.1:$P" --modes why \
	--why-proc-root "$FX" 1 >/dev/null 2>"$TMP/slow.err" &
SLOW=$!
on_exit "kill -KILL $SLOW"
wait_line "$TMP/slow.err" '^Serving metrics' 10
first= last=
: >"$TMP/ms"
for i in $(seq 1 20); do
	# curl's own time from connect to the last byte (its start-up is
	# not the server's: ~100 ms on a loaded host)
	t=$(curl -sf -m 5 -o "$TMP/s.om" -w '%{time_total}' \
		-H 'Accept: application/openmetrics-text; version=1.0.0' \
		"http://127.0.0.1:$P/metrics") || { fail "scrape $i during a slow collection"; break; }
	awk -v t="$t" 'BEGIN { printf "%d\n", t * 1000 }' >>"$TMP/ms"
	n=$(om_samples "$TMP/s.om" | awk -F'\t' '$1 == "memleakbpf_mode_reports_total" { print $3 }')
	[ -z "$first" ] && first=$n
	last=$n
	sleep 0.25
done
check_eq "the first scrape, mid-collection, has the snapshot before it (0 reports)" 0 "$first"
check_ge "later scrapes see the report once published" 1 "$last"
# The median: one scrape may stall on a loaded host (load 20 on 2 CPUs
# seen here), a scrape that waited would take the 3 s.
median=$(sort -n "$TMP/ms" | sed -n 10p)
check_ge "scrapes answered at once (median under 500 ms) while reports take 3 s" 0 $((500 - median))
echo "scrapes during slow collections: median $median ms, slowest $(sort -n "$TMP/ms" | tail -n 1) ms"
kill -TERM $SLOW
wait $SLOW
check_eq "why only: SIGTERM exits 0" 0 $?

# --- the main run: every mode, the workloads, then SIGTERM
exec 9>/tmp/memleakbpf-oom-e2e.lock # oom-kill.sh: one provoked OOM at a time
flock -w 200 9 || { fail "another oom test holds /tmp/memleakbpf-oom-e2e.lock"; exit 1; }
panic_on_oom_is_off || { fail "vm.panic_on_oom is not 0: refusing to provoke an OOM"; exit 1; }
memcg_create "memleakbpf-serve-$$" 64M || { fail "cannot create a test memcg"; exit 1; }
MNT=$TMP/mnt
mkdir -p "$MNT" "$TMP/tf"
mount -t tmpfs -o size=64m tmpfs "$MNT" || { fail "mount tmpfs"; exit 1; }
on_exit "umount -l '$MNT'"

# -p target: grows 64 KiB every 500 ms to 1 MiB, stopped until both user
# tracers (serve's and the JSON one) are attached (the step after "ready"
# may come before the stop).
"$PROGS/why_heap" heap 65536 500 1048576 >"$TMP/heap.out" &
HEAP=$!
on_exit "kill -KILL $HEAP"
wait_line "$TMP/heap.out" '^ready' 10
kill -STOP $HEAP

P=$(free_port)
"$MEMLEAKBPF" serve -l "127.0.0.1:$P" -T 100 -p $HEAP --textfile "$TMP/tf" --why-proc-root "$FX" 1 \
	>"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE=$!
on_exit "kill -KILL $SERVE"
"$MEMLEAKBPF" shmem --json 1 >"$TMP/shmem.json" 2>"$TMP/shmem.err" &
on_exit "kill -KILL $!"
SHM=$!
"$MEMLEAKBPF" -p $HEAP --json 1 >"$TMP/user.json" 2>"$TMP/user.err" &
USR=$!
on_exit "kill -KILL $USR"

up=1
for m in shmem kernel oom why user; do
	wait_metric $P memleakbpf_mode_up "mode=$m" 1 120 || { fail "mode $m up" "$(cat "$TMP/serve.err")"; up=; }
done
[ -n "$up" ] && pass "every mode up (memleakbpf_mode_up 1)"
wait_line "$TMP/shmem.err" '^Tracing' 120 || fail "shmem tracer started"
wait_reports "$TMP/user.json" 1 || fail "user tracer reports"
kill -CONT $HEAP

# Prometheus 0.0.4 and OpenMetrics, each read by its consumer.
scrape $P "$TMP/m.prom"
promtool check metrics <"$TMP/m.prom" >"$TMP/promtool.out" 2>&1
check_eq "promtool check metrics: no problem" "0 0" "$? $(wc -c <"$TMP/promtool.out")"
curl -s -m 5 -D "$TMP/h" -o /dev/null "http://127.0.0.1:$P/metrics"
check "0.0.4 Content-Type without Accept" grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/h"
curl -s -m 5 -D "$TMP/h" -o "$TMP/m.om" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' "http://127.0.0.1:$P/metrics"
check "OpenMetrics Content-Type when Accept asks (as Prometheus does)" \
	grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/h"
check "the OpenMetrics text parses strictly (prometheus_client)" om_samples "$TMP/m.om"
check_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -n 1 "$TMP/m.om")"
check_eq "GET /nope: 404" 404 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/nope")"
check_eq "POST /metrics: 405" 405 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$P/metrics")"
check_eq "GET /: 200" 200 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/")"
check_eq "a request head over 8 KiB: 400" 400 \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$P/metrics")"
check "listens on loopback only" ss -Htln "src 127.0.0.1 and sport = :$P"

# A second serve on the same port: exit 1, one line, before loading anything.
"$MEMLEAKBPF" serve -l "127.0.0.1:$P" --modes why >/dev/null 2>"$TMP/inuse.err"
check_eq "port in use: exit 1, one line" "1 1" \
	"$? $(grep -c "listen 127.0.0.1:$P: Address already in use" "$TMP/inuse.err")"

# kernel (first, while the host is quietest): kernel_hold's sockets,
# counted system-wide by serve, and by a -p tracer of the holder (its JSON
# report: exactly what it holds).  A system-wide count also moves with
# every other socket, and loses the frees and allocations its programs miss
# (an allocation in an interrupt while one of them runs on that CPU: the
# kernel's recursion guard, frequent with several tracers on a 2-CPU host),
# and a socket inode is freed after an RCU grace period, which lazy RCU
# (6.x) may put off for 10 s: serve must show at least 3/4 of the holder's
# bytes coming, and half of them going (frees are the ones missed most:
# many run in softirq, inside another program), within 30 s each.
"$PROGS/kernel_hold" 128 >"$TMP/hold.out" &
HOLD=$!
on_exit "kill -KILL $HOLD"
wait_line "$TMP/hold.out" '^waiting' 10
: >"$TMP/k.json" # before the tracer starts: wait_reports counts its lines
"$MEMLEAKBPF" kernel -p $HOLD -T 0 --json 0.5 >"$TMP/k.json" 2>"$TMP/k.err" &
KT=$!
on_exit "kill -KILL $KT"
wait_reports "$TMP/k.json" 1
kcache() { # TSV -> sock_inode_cache bytes in serve's scrape
	local v
	v=$(value "$1" memleakbpf_kernel_cache_outstanding_bytes cache=sock_inode_cache)
	echo "${v:-0}" # none outstanding: no sample
}
# kcache_moves FROM SIGN MIN TSV: until SIGN * (serve's bytes - FROM) >= MIN
# (30 s at most); the last scrape's samples in TSV.
kcache_moves() {
	local k end=$((SECONDS + 30 * SCALE))
	while [ $SECONDS -lt $end ]; do
		scrape $P "$TMP/kc.om" om && om_samples "$TMP/kc.om" >"$4"
		k=$(kcache "$4")
		[ $(($2 * (${k:-0} - $1))) -ge "$3" ] && return 0
		sleep 0.5
	done
	return 1
}
n0=$(value "$TMP/w.tsv" memleakbpf_mode_reports_total mode=kernel)
wait_metric $P memleakbpf_mode_reports_total mode=kernel $((n0 + 1)) 30
om_samples "$TMP/w.om" >"$TMP/k0.tsv"
kill -USR1 $HOLD
wait_line "$TMP/hold.out" '^held' 10
wait_reports "$TMP/k.json" 2
HELD=$(jq_get "$TMP/k.json" '[.stacks[] | select(.kind == "kmem_cache" and .cache == "sock_inode_cache") | .bytes] | add // 0')
kill -INT $KT; wait $KT
check_ge "kernel --json -p: the holder's 128 socket inodes" 128 \
	"$(jq_get "$TMP/k.json" '[.stacks[] | select(.kind == "kmem_cache" and .cache == "sock_inode_cache") | .count] | add // 0')"
K0=$(kcache "$TMP/k0.tsv")
kcache_moves "${K0:-0}" 1 $((HELD * 3 / 4)) "$TMP/k1.tsv"
K1=$(kcache "$TMP/k1.tsv")
check_ge "kernel: serve's sock_inode_cache grew by 3/4 of the holder's bytes ($HELD) or more" \
	$((HELD * 3 / 4)) $((${K1:-0} - ${K0:-0}))
check_eq "kernel: per-cache bytes (with other) add up to the kmem_cache kind" \
	"$(value "$TMP/k1.tsv" memleakbpf_kernel_outstanding_bytes kind=kmem_cache)" \
	"$(awk -F'\t' '$1 == "memleakbpf_kernel_cache_outstanding_bytes" { s += $3 } END { print s + 0 }' "$TMP/k1.tsv")"
kill -USR1 $HOLD
wait_line "$TMP/hold.out" '^released' 10
kcache_moves "${K1:-0}" -1 $((HELD / 2)) "$TMP/k2.tsv"
echo "kernel: sock_inode_cache $K0 -> $K1 -> $(kcache "$TMP/k2.tsv") in serve, $HELD held"
check_ge "kernel: released, serve's sock_inode_cache fell by half of them or more" \
	$((HELD / 2)) $((${K1:-0} - $(kcache "$TMP/k2.tsv")))
kill -USR1 $HOLD

# shmem: a tmpfs writer with a known comm.
"$PROGS/shmem_writer" -n servew write "$MNT/f" 204800 >/dev/null
WANT=$(($(stat -c %b "$MNT/f") * 512))
wait_reports "$TMP/shmem.json" 2
n0=$(value "$TMP/w.tsv" memleakbpf_mode_reports_total mode=shmem)
wait_metric $P memleakbpf_mode_reports_total mode=shmem $((n0 + 2)) 30
om_samples "$TMP/w.om" >"$TMP/sh.tsv"
CGW=$(jq_get "$TMP/shmem.json" '[.writers[] | select(.comm == "servew")][0].cgroup')
check_eq "shmem: the writer's bytes, as st_blocks" "$WANT" \
	"$(value "$TMP/sh.tsv" memleakbpf_shmem_writer_bytes "cgroup=$CGW,comm=servew")"
check_eq "shmem: the writer's bytes equal shmem --json's" \
	"$(jq_get "$TMP/shmem.json" '[.writers[] | select(.comm == "servew") | .bytes] | add')" \
	"$(value "$TMP/sh.tsv" memleakbpf_shmem_writer_bytes "cgroup=$CGW,comm=servew")"
check_eq "shmem: the mount's bytes equal shmem --json's" \
	"$(jq_get "$TMP/shmem.json" ".mounts[] | select(.mountpoint == \"$MNT\") | .bytes_tracked")" \
	"$(value "$TMP/sh.tsv" memleakbpf_shmem_mount_bytes "mountpoint=$MNT")"
check_eq "shmem: the mount's used bytes (statvfs) equal shmem --json's" \
	"$(jq_get "$TMP/shmem.json" ".mounts[] | select(.mountpoint == \"$MNT\") | .bytes_used")" \
	"$(value "$TMP/sh.tsv" memleakbpf_shmem_mount_used_bytes "mountpoint=$MNT")"
kill -INT $SHM; wait $SHM

# OOM: a hog killed in the test memcg, counted with its victim and memcg.
"$MEMLEAKBPF" oom -n 1 -d 60 -m "$CG_PATH" --json >"$TMP/oom.json" 2>"$TMP/oom.err" &
OOMT=$!
on_exit "kill -KILL $OOMT"
wait_line "$TMP/oom.err" '^Tracing OOM kills' 60 || fail "oom tracer started"
provoke_oom oom
wait $OOMT
kill -KILL "$BY" 2>/dev/null; wait "$BY" 2>/dev/null
VICTIM=oom_hog VCG=$CG_PATH
check_eq "oom --json names the hog in the test memcg" "$VICTIM $VCG" \
	"$(jq_get "$TMP/oom.json" .victim.comm) $(jq_get "$TMP/oom.json" .victim.memcg)"
wait_metric $P memleakbpf_oom_kills_total "memcg=$VCG,victim=$VICTIM" 1 30
om_samples "$TMP/w.om" >"$TMP/oom.tsv"
check_eq "oom: the kill counted with victim and memcg labels" 1 \
	"$(value "$TMP/oom.tsv" memleakbpf_oom_kills_total "memcg=$VCG,victim=$VICTIM")"
PTS=$(jq_get "$TMP/oom.json" '.victim.points // empty')
if [ -n "$PTS" ]; then
	check_eq "oom: the last kill's points equal oom --json's" "$PTS" \
		"$(value "$TMP/oom.tsv" memleakbpf_oom_last_kill_points "memcg=$VCG,victim=$VICTIM")"
fi

# why: the fixture's tree, node by node, equal to why --json's.
"$MEMLEAKBPF" why --json --proc-root "$FX" 2>/dev/null |
	jq -r 'def f($p): ($p + .name) as $q | "\($q)\t\(.bytes)", (.children[] | f($q + "/")); .tree | f("")' |
	sort >"$TMP/why.want"
awk -F'\t' '$1 == "memleakbpf_why_bytes" { sub(/^category=/, "", $2); print $2 "\t" $3 }' "$TMP/k2.tsv" |
	sort >"$TMP/why.got"
check_ge "why: the tree has its nodes" 10 "$(wc -l <"$TMP/why.want")"
check "why: every node's bytes equal why --json's" diff "$TMP/why.want" "$TMP/why.got"

# user -p: the heap grew to 1 MiB (16 steps, 8 s) after both tracers
# attached, done by now (the kernel part alone takes longer); idle since.
wait_metric $P memleakbpf_user_outstanding_bytes "comm=why_heap,pid=$HEAP" $((14 * 65536)) 30
wait_reports "$TMP/user.json" 2
n0=$(value "$TMP/w.tsv" memleakbpf_mode_reports_total mode=user)
wait_metric $P memleakbpf_mode_reports_total mode=user $((n0 + 2)) 30
om_samples "$TMP/w.om" >"$TMP/u.tsv"
UB=$(value "$TMP/u.tsv" memleakbpf_user_outstanding_bytes "comm=why_heap,pid=$HEAP")
check_ge "user: the heap's growth since tracing (14 or 15 x 64 KiB)" $((14 * 65536)) "${UB:-0}"
check_eq "user: outstanding bytes equal the -p --json report's" \
	"$(jq_get "$TMP/user.json" .total_bytes)" "$UB"
check_eq "user: allocations equal the -p --json report's" \
	"$(jq_get "$TMP/user.json" .total_count)" \
	"$(value "$TMP/u.tsv" memleakbpf_user_outstanding_allocations "comm=why_heap,pid=$HEAP")"
kill -INT $USR; wait $USR

# --textfile: the same snapshot for node_exporter, replaced atomically.
check "textfile: memleakbpf.prom passes promtool" bash -c "promtool check metrics <'$TMP/tf/memleakbpf.prom'"
check "textfile: has the why tree" grep -q '^memleakbpf_why_bytes{category="MemTotal"}' "$TMP/tf/memleakbpf.prom"
check_eq "textfile: no temporary file left" "memleakbpf.prom" "$(ls "$TMP/tf")"

# Label cardinality: no family has more than --top label sets (+ other).
check_eq "no family over -T 100 label sets" "" \
	"$(awk -F'\t' '{ n[$1]++ } END { for (k in n) if (n[k] > 101) print k }' "$TMP/u.tsv")"

# SIGTERM: exits 0, every link it owned is gone.  Links are counted by
# their owner (serve's fds), never globally: other tests load BPF too.
LINKS=$(grep -h '^link_id:' /proc/$SERVE/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -n)
check_ge "serve holds BPF links while running" 5 "$(wc -w <<<"$LINKS")"
kill -TERM $SERVE
wait $SERVE
check_eq "SIGTERM: exit 0" 0 $?
left=0
for id in $LINKS; do
	bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1))
done
check_eq "SIGTERM: none of its BPF links left" 0 "$left"
cp "$TMP/m.om" /tmp/memleakbpf-serve-sample.om 2>/dev/null

# A mode that cannot start: the others run, it exports mode_up 0.
P=$(free_port)
SHMEM_HOOKS=y "$MEMLEAKBPF" serve -l "127.0.0.1:$P" --modes shmem,why --why-proc-root "$FX" 1 \
	>/dev/null 2>"$TMP/fail.err" &
F=$!
on_exit "kill -KILL $F"
wait_metric $P memleakbpf_mode_up mode=why 1 30
sleep 0.5
scrape $P "$TMP/f.om" om
om_samples "$TMP/f.om" >"$TMP/f.tsv"
check_eq "a mode that fails exports mode_up 0, the others 1" "0 1" \
	"$(value "$TMP/f.tsv" memleakbpf_mode_up mode=shmem) $(value "$TMP/f.tsv" memleakbpf_mode_up mode=why)"
check_eq "one warning line names it" 1 "$(grep -c 'warning: shmem mode is not running' "$TMP/fail.err")"
kill -TERM $F
wait $F
check_eq "then SIGTERM: exit 0" 0 $?

# -p --growth: the user slot runs growth mode.  grow (tests/progs/grow.c)
# writes 16 MiB of heap blocks and 20 MiB of mappings once let on.
check_fails "--growth without -p" "--growth needs -p PID" "$MEMLEAKBPF" serve --growth
"$PROGS/grow" 16 16 >"$TMP/grow.out" &
G=$!
on_exit "kill -KILL $G"
for ((i = 0; i < 100 * SCALE; i++)); do
	read -r nr _ <"/proc/$G/syscall" 2>/dev/null; [ "$nr" = 128 ] && break; sleep 0.1
done
P=$(free_port)
"$MEMLEAKBPF" serve -l "127.0.0.1:$P" --modes why --why-proc-root "$FX" --growth -p $G 0.5 \
	>/dev/null 2>"$TMP/g.err" &
GS=$!
on_exit "kill -KILL $GS"
wait_metric $P memleakbpf_mode_up mode=user 1 60 || fail "--growth: user slot up" "$(cat "$TMP/g.err")"
kill -USR1 $G
wait_line "$TMP/grow.out" '^grown$' 30
check "--growth: 36 MiB attributed to pid $G" \
	wait_metric $P memleakbpf_growth_attributed_bytes "comm=grow,pid=$G" $((36 << 20)) 30
check "--growth: its RSS growth exported" \
	wait_metric $P memleakbpf_growth_rss_growth_bytes "comm=grow,pid=$G" $((36 << 20)) 30
check_eq "--growth: no exact-mode family" "" "$(value "$TMP/w.tsv" memleakbpf_user_outstanding_bytes "comm=grow,pid=$G")"
check_eq "--growth: no uprobe held" 0 "$(bpftool -j perf list 2>/dev/null | jq "[.[] | select(.pid == $GS and (.fd_type | test(\"uprobe\")))] | length")"
kill -TERM $GS
wait $GS
check_eq "--growth: SIGTERM: exit 0" 0 $?
