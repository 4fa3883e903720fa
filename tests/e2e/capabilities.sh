# What each mode needs without root (issue 14 item 7): the capabilities the
# man pages list are enough, and one fewer gives one clear line, exit 1.
# As user nobody with ambient capabilities (setpriv), the way a service
# unit's AmbientCapabilities= runs it.
source tests/lib.sh
source tests/user_lib.sh

command -v setpriv >/dev/null || { echo "SKIP: capabilities: no setpriv"; exit 0; }
as_nobody() { # CAPS CMD...
	local caps=-all${1:+,$1}; shift
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$caps" \
		--ambient-caps="$caps" "$@"
}
BASE=+bpf,+perfmon
# A process that gained capabilities at exec is not dumpable, and ASan's
# leak check (ptrace of itself at exit) then fails the run (CI's ASan pass).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
# the programs must be reachable by nobody
cp "$PROGS/leaky" "$TMP/leaky"; chmod 755 "$TMP" "$TMP/leaky"

# Without root the tool cannot mount tracefs itself (a fresh machine without
# systemd has none mounted): one clear line.  Then mount it, as systemd does
# at boot, for the rest.
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	as_nobody "$BASE,+dac_read_search" "$MEMLEAKBPF" -c "$TMP/leaky" >/dev/null 2>"$TMP/t.err"
	check_eq "user -c, tracefs not mounted: exit 1" 1 "$?"
	check "user -c, tracefs not mounted: says so, and --no-mmap" \
		grep -q 'tracefs is not available and cannot be mounted.*--no-mmap' "$TMP/t.err"
	mount -t tracefs tracefs /sys/kernel/tracing && on_exit "umount /sys/kernel/tracing"
fi

# user -c: CAP_BPF, CAP_PERFMON, and CAP_DAC_READ_SEARCH for tracefs (0700)
as_nobody "$BASE,+dac_read_search" "$MEMLEAKBPF" --json -c "$TMP/leaky" >"$TMP/c.json" 2>"$TMP/c.err"
check_eq "user -c with BPF, PERFMON, DAC_READ_SEARCH: exit 0" 0 "$?"
check_eq "user -c: exact malloc bytes" 5000 "$(stack_bytes "$TMP/c.json" leak_malloc malloc)"
as_nobody "$BASE" "$MEMLEAKBPF" --json -c "$TMP/leaky" >/dev/null 2>"$TMP/c1.err"
check_eq "user -c without DAC_READ_SEARCH: exit 1" 1 "$?"
check "user -c without DAC_READ_SEARCH: says tracefs and --no-mmap" grep -q 'tracefs .*--no-mmap' "$TMP/c1.err"
as_nobody "$BASE" "$MEMLEAKBPF" --json --no-mmap -c "$TMP/leaky" >"$TMP/c2.json" 2>/dev/null
check_eq "user -c --no-mmap with BPF, PERFMON only: malloc bytes" 5000 "$(stack_bytes "$TMP/c2.json" leak_malloc malloc)"

# user -p of another user's process (root's): CAP_SYS_PTRACE too
"$TMP/leaky" usr1 30 &
pid=$!
on_exit "kill $pid"
as_nobody "$BASE,+dac_read_search" "$MEMLEAKBPF" -p "$pid" 0.2 1 >/dev/null 2>"$TMP/p1.err"
check_eq "user -p root's process without SYS_PTRACE: exit 1" 1 "$?"
check "user -p without SYS_PTRACE: one clear line" grep -q 'Permission denied' "$TMP/p1.err"
as_nobody "$BASE,+dac_read_search,+sys_ptrace" "$MEMLEAKBPF" --json -p "$pid" 0.2 1 >"$TMP/p.json" 2>"$TMP/p.err"
check_eq "user -p with SYS_PTRACE: exit 0" 0 "$?"
check_eq "user -p with SYS_PTRACE: a report" user "$(jq_get "$TMP/p.json" .mode)"

# kernel, shmem: CAP_BPF and CAP_PERFMON
as_nobody "$BASE" "$MEMLEAKBPF" kernel --json 0.2 1 >"$TMP/k.json" 2>"$TMP/k.err"
check_eq "kernel with BPF, PERFMON: exit 0" 0 "$?"
check_eq "kernel: a report" true "$(jq_get "$TMP/k.json" 'has("stacks")')"
check "kernel without SYSLOG: says kernel symbols are hidden" grep -q 'kernel symbol addresses are hidden' "$TMP/k.err"
# kernel allocations to report: file opens and reads while it traces
(for i in $(seq 40); do ls -lR /usr/share/doc >/dev/null 2>&1; sleep 0.05; done) &
as_nobody "$BASE,+syslog" "$MEMLEAKBPF" kernel --json 1 1 >"$TMP/k2.json" 2>"$TMP/k2.err"
wait $!
check_eq "kernel with SYSLOG: frames named" true \
	"$(jq_get "$TMP/k2.json" '[.stacks[].frames[] | select(.function != null)] | length > 0')"
as_nobody "$BASE" "$MEMLEAKBPF" shmem --json 0.2 1 >"$TMP/s.json" 2>"$TMP/s.err"
check_eq "shmem with BPF, PERFMON: exit 0" 0 "$?"
# oom: CAP_BPF and CAP_PERFMON; /dev/kmsg needs CAP_SYSLOG, else a warning
as_nobody "$BASE" "$MEMLEAKBPF" oom -d 0.5 >/dev/null 2>"$TMP/o.err"
check_eq "oom with BPF, PERFMON: exit 0" 0 "$?"
check "oom without SYSLOG: warns kmsg is not read" grep -q 'cannot read /dev/kmsg' "$TMP/o.err"
as_nobody "$BASE,+syslog" "$MEMLEAKBPF" oom -d 0.5 >/dev/null 2>"$TMP/o2.err"
check_eq "oom with SYSLOG: no kmsg warning" 0 "$(grep -c 'cannot read /dev/kmsg' "$TMP/o2.err")"
# no capability at all: every BPF mode says what it needs
for m in "-c $TMP/leaky" "kernel 0.2 1" "shmem 0.2 1" "oom -d 0.5"; do
	as_nobody "" "$MEMLEAKBPF" $m >/dev/null 2>"$TMP/none.err"
	check_eq "$m without capabilities: exit 1" 1 "$?"
	check "$m without capabilities: names CAP_BPF" grep -q 'CAP_BPF' "$TMP/none.err"
done
