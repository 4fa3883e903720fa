# User mode bad input: one clear line on stderr, the documented exit code,
# never a crash, no probes left behind.
source tests/lib.sh

USER_PROGS="alloc_enter_any|alloc_exit|sys_enter_mmap"
# programs of other tracers running now (none in CI) are not ours
PROGS_BEFORE=$(progs_loaded "$USER_PROGS")
check_fails "unknown pid" 'no process with pid 4000000' "$MEMLEAKBPF" -p 4000000
check_fails "pid 0" 'invalid pid' "$MEMLEAKBPF" -p 0
check_fails "pid not a number" "invalid pid 'abc'" "$MEMLEAKBPF" -p abc
check_fails "neither -p nor -c" 'exactly one of -p PID\[,PID...\], -c' "$MEMLEAKBPF"
check_fails "both -p and -c" 'exactly one of -p PID\[,PID...\], -c' "$MEMLEAKBPF" -p 1 -c true
check_fails "bad --top" "invalid --top" "$MEMLEAKBPF" -p 1 -T x
check_fails "bad --min-size" "invalid --min-size" "$MEMLEAKBPF" -p 1 -z 12q
check_fails "negative --older" "invalid --older" "$MEMLEAKBPF" -p 1 --older -1
check_fails "min above max" "larger than --max-size" "$MEMLEAKBPF" -p 1 -z 100 -Z 10
check_fails "bad interval" "invalid interval" "$MEMLEAKBPF" -p 1 0
check_fails "bad count" "invalid count" "$MEMLEAKBPF" -p 1 1 0
check_fails "stray argument" "unexpected argument" "$MEMLEAKBPF" -p 1 1 1 1
check_fails "unknown option" "invalid option|unrecognized" "$MEMLEAKBPF" --bogus
check_fails "unknown mode" "unknown mode 'frobnicate'" "$MEMLEAKBPF" frobnicate
"$MEMLEAKBPF" -p 1 -T x >/dev/null 2>&1
check_eq "usage errors exit 2" 2 "$?"
"$MEMLEAKBPF" -p 4000000 >/dev/null 2>&1
check_eq "runtime errors exit 1" 1 "$?"
check_fails "-c command not found" 'command not found' "$MEMLEAKBPF" -c "no-such-command-xyz"
check_fails "-c unterminated quote" 'unterminated quote' "$MEMLEAKBPF" -c "ls 'oops"
# A bad command line is a usage error (2), like any other bad argument.
for args in "-c ''" "-c \"ls 'oops\"" "-c ls --json --folded" "-c ls -o ''"; do
	eval "\"\$MEMLEAKBPF\" $args" >/dev/null 2>"$TMP/usage.err"
	check_eq "usage error exits 2: $args" 2 "$?"
	check_eq "usage error is one line plus the hint: $args" 2 "$(wc -l <"$TMP/usage.err")"
done
# -c on what is not a 64-bit program: one clear line (a script runs, traced
# through its interpreter's allocator)
check_fails "-c a directory" '/tmp is a directory, not a program' "$MEMLEAKBPF" -c /tmp
printf '\177ELF\001\001\001\000' >"$TMP/elf32"; chmod +x "$TMP/elf32"
check_fails "-c a 32-bit ELF" 'is a 32-bit program' "$MEMLEAKBPF" -c "$TMP/elf32"
printf '#!/bin/sh\necho from-script\n' >"$TMP/script.sh"; chmod +x "$TMP/script.sh"
"$MEMLEAKBPF" --json -o "$TMP/script.json" -c "$TMP/script.sh" >"$TMP/script.out" 2>"$TMP/script.err"
check_eq "-c a #! script: traced, exit 0" 0 "$?"
check_eq "-c a #! script: it ran" from-script "$(cat "$TMP/script.out")"
check_eq "-c a #! script: its interpreter's mallocs seen" true \
	"$(tail -n 1 "$TMP/script.json" | jq '[.stacks[] | select(.kind == "malloc" or .kind == "realloc")] | length > 0')"
"$MEMLEAKBPF" -c ls -o /nonexistent-dir/report >/dev/null 2>"$TMP/o.err"
check_eq "-o into a missing directory: exit 1" 1 "$?"
check "-o into a missing directory: says why" grep -q -- '-o /nonexistent-dir/report: No such file' "$TMP/o.err"

# -c: the command's outcome is in the final report and on stderr, and -o
# keeps the command's own stdout apart from the reports.
"$MEMLEAKBPF" --json -o "$TMP/st.json" -c "sh -c 'echo child-says-hi; exit 3'" >"$TMP/st.out" 2>"$TMP/st.err"
check_eq "-c exit 3: memleakbpf's own status is 0" 0 "$?"
check_eq "-c exit 3: JSON exit" '{"status":3,"signal":null}' "$(tail -n 1 "$TMP/st.json" | jq -c .exit)"
check "-c exit 3: said on stderr" grep -q 'sh exited with status 3' "$TMP/st.err"
check_eq "-o: the command's stdout stays on stdout" child-says-hi "$(cat "$TMP/st.out")"
check_eq "-o: the report file is only JSON" 1 "$(jq -c .mode "$TMP/st.json" | wc -l)"
"$MEMLEAKBPF" -c "sh -c 'kill -SEGV \$\$'" >"$TMP/segv.out" 2>"$TMP/segv.err"
check "-c SIGSEGV: in the report header" grep -q 'at exit (killed by signal 11, Segmentation fault)' "$TMP/segv.out"
check "-c SIGSEGV: said on stderr" grep -q 'sh was killed by signal 11' "$TMP/segv.err"
"$MEMLEAKBPF" --json -c "sh -c 'kill -KILL \$\$'" >"$TMP/kill.json" 2>/dev/null
check_eq "-c SIGKILL: JSON exit" '{"status":null,"signal":9}' "$(tail -n 1 "$TMP/kill.json" | jq -c .exit)"
"$MEMLEAKBPF" --json -c "sh -c 'exit 0'" >"$TMP/ok.json" 2>"$TMP/ok.err"
check_eq "-c exit 0: JSON exit" '{"status":0,"signal":null}' "$(tail -n 1 "$TMP/ok.json" | jq -c .exit)"
check_eq "-c exit 0: nothing said" 0 "$(grep -c 'exited with' "$TMP/ok.err")"
check_fails "--lib not ELF" 'cannot read allocator .* as ELF' "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1" --lib /etc/hostname
zlib=$(ls /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1 2>/dev/null | head -n 1)
check_fails "--lib without malloc" 'has no malloc\(\)' "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1" --lib "$zlib"
check_fails "--lib missing" '--lib /nonexistent' "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1" --lib /nonexistent
mkfifo "$TMP/fifo"
check_fails "--lib a FIFO: refused, not a hang" 'cannot read allocator .* as ELF' \
	timeout 20 "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1" --lib "$TMP/fifo"
check_fails "--symbol-prefix that matches nothing" 'has no je_malloc\(\)' "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1" --symbol-prefix je_
check_fails "kernel without BTF" 'kernel has no BTF' env MEMLEAKBPF_BTF_PATH=/nonexistent "$MEMLEAKBPF" -c "$PROGS/leak_n 1 1"
if command -v setpriv >/dev/null; then
	check_fails "not root" 'need root' setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMLEAKBPF" -p 1
fi
check_fails "kernel thread has no user memory" 'cannot read /proc/2/exe' "$MEMLEAKBPF" -p 2
"$MEMLEAKBPF" --help >"$TMP/help"
check_eq "--help exits 0" 0 "$?"
check "--help has examples" grep -q '^Examples:' "$TMP/help"
check_eq "no probes left after errors" "$PROGS_BEFORE" "$(progs_settled "$USER_PROGS" "$PROGS_BEFORE")"
check_eq "no held child left behind" 0 "$(pgrep -fc "$PROGS/leak_n 1 1" || true)"
