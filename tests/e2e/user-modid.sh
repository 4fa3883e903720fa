# User mode where users run it: a container traced from the host, a
# chroot, a target that exits before the report, a library deleted and
# replaced on disk, dlopen then exit.  Modules must resolve through the
# kernel's own file reference, not paths in our mount namespace.
source tests/lib.sh
source tests/user_lib.sh

# frames_null FILE FUNC: frames without a function in the stacks through FUNC
frames_null() {
	tail -n 1 "$1" | jq --arg f "$2" '[.stacks[] | select(any(.frames[]; .function == $f)) | .frames[] | select(.function == null)] | length'
}
# stacks_to FILE FUNC LAST: stacks through FUNC whose outermost frame is LAST
stacks_to() {
	tail -n 1 "$1" | jq --arg f "$2" --arg l "$3" '[.stacks[] | select(any(.frames[]; .function == $f) and .frames[-1].function == $l)] | length'
}
# modules_of FILE FUNC: the distinct modules of the stacks through FUNC
modules_of() {
	tail -n 1 "$1" | jq -r --arg f "$2" '[.stacks[] | select(any(.frames[]; .function == $f)) | .frames[].module] | unique | join(",")'
}

# waiting_pid NS: the host pid of leaky under unshare NS once it exec'd
waiting_pid() {
	local pid i
	for ((i = 0; i < 100 * SCALE; i++)); do
		pid=$(pgrep -P "$1" | head -n 1)
		if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null | sed 's|.*/||')" = leaky ]; then
			echo "$pid"
			return
		fi
		sleep 0.1
	done
}

# --- container: own mount and pid namespaces, chrooted into an overlay
# mounted only there, whose lower layer (copies of the program, libc and
# ld.so) sits under a 64-character directory as Docker's layers do
layer=$TMP/layers/$(printf '%064d' 0 | tr 0 c)/diff
container_layer "$layer" "$PROGS/leaky"
mkdir -p "$TMP/upper" "$TMP/work" "$TMP/merged"
cat >"$TMP/ctr.sh" <<'EOF'
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
cd / && exec chroot "$4" "$5" usr1 1
EOF
unshare -m -p -f --mount-proc sh "$TMP/ctr.sh" "$layer" "$TMP/upper" "$TMP/work" "$TMP/merged" "$PROGS/leaky" &
ns=$!
on_exit "kill $ns"
pid=$(waiting_pid "$ns")
trace_go "$TMP/ctr" "$pid"
wait "$ns"
check_eq "container: exit status" 0 "$(cat "$TMP/ctr.rc")"
check_eq "container: malloc bytes" 5000 "$(stack_bytes "$TMP/ctr" leak_malloc malloc)"
check_eq "container: malloc count" 5 "$(stack_count "$TMP/ctr" leak_malloc malloc)"
check_eq "container: calloc bytes" 7200 "$(stack_bytes "$TMP/ctr" leak_calloc calloc)"
check_eq "container: realloc bytes" 6000 "$(stack_bytes "$TMP/ctr" leak_realloc realloc)"
check_eq "container: mmap bytes" 131072 "$(stack_bytes "$TMP/ctr" leak_mmap mmap)"
check_eq "container: malloc line" "$(mark_line leaky.c LEAK_MALLOC)" "$(frame_lines "$TMP/ctr" leak_malloc)"
check_eq "container: malloc file" leaky.c "$(frame_file "$TMP/ctr" leak_malloc)"
check_eq "container: mmap line" "$(mark_line leaky.c LEAK_MMAP)" "$(frame_lines "$TMP/ctr" leak_mmap)"
check_eq "container: main's call site" "$(mark_line leaky.c '	leak_calloc();')" \
	"$(frame_lines "$TMP/ctr" main | tr ',' '\n' | grep -x "$(mark_line leaky.c '	leak_calloc();')")"
for f in leak_malloc leak_calloc leak_realloc leak_mmap; do
	check_eq "container: $f stack named to _start through libc" 1 "$(stacks_to "$TMP/ctr" "$f" _start)"
	check_eq "container: $f no unnamed frames" 0 "$(frames_null "$TMP/ctr" "$f")"
done
check_eq "container: modules named" "leaky,libc.so.6" "$(modules_of "$TMP/ctr" leak_mmap)"
check_eq "container: no unresolved modules" 0 "$(grep -c 'could not be found' "$TMP/ctr.err")"

# --- the same overlay mounted where the tracer sees it (as dockerd mounts
# a container's root on the host), the container entering it by chroot
mount -t overlay overlay -o "lowerdir=$layer,upperdir=$TMP/upper,workdir=$TMP/work" "$TMP/merged"
on_exit "umount $TMP/merged"
unshare -m -p -f --mount-proc chroot "$TMP/merged" "$PROGS/leaky" usr1 1 &
ns=$!
pid=$(waiting_pid "$ns")
trace_go "$TMP/dock" "$pid"
wait "$ns"
umount "$TMP/merged"
check_eq "host-mounted overlay: malloc bytes" 5000 "$(stack_bytes "$TMP/dock" leak_malloc malloc)"
check_eq "host-mounted overlay: malloc line" "$(mark_line leaky.c LEAK_MALLOC)" "$(frame_lines "$TMP/dock" leak_malloc)"
for f in leak_malloc leak_calloc leak_realloc leak_mmap; do
	check_eq "host-mounted overlay: $f stack named to _start" 1 "$(stacks_to "$TMP/dock" "$f" _start)"
done
check_eq "host-mounted overlay: no unnamed frames" 0 "$(jq_get "$TMP/dock" '[.stacks[].frames[] | select(.function == null)] | length')"

# --- -p on a target that exits before the final report
"$PROGS/leaky" usr1 0 &
pid=$!
on_exit "kill $pid"
trace_go "$TMP/gone" "$pid"
wait "$pid"
check_eq "exited -p: malloc bytes" 5000 "$(stack_bytes "$TMP/gone" leak_malloc malloc)"
check_eq "exited -p: malloc line" "$(mark_line leaky.c LEAK_MALLOC)" "$(frame_lines "$TMP/gone" leak_malloc)"
for f in leak_malloc leak_calloc leak_realloc leak_mmap; do
	check_eq "exited -p: $f every frame named" 0 "$(frames_null "$TMP/gone" "$f")"
	check_eq "exited -p: $f stack reaches main" 1 "$(tail -n 1 "$TMP/gone" | jq --arg f "$f" '[.stacks[] | select(any(.frames[]; .function == $f) and any(.frames[]; .function == "main"))] | length')"
done

# --- a library deleted and replaced on disk after dlopen (an upgrade
# under a running program): the version that was loaded is named
mkdir -p "$TMP/dl"
cp "$PROGS/libdlleak.so" "$TMP/dl/"
trace "$TMP/del" -c "$PROGS/dlopen_late 0 $TMP/dl/libdlleak.so replace 0.5"
check_eq "deleted library: replaced on disk" "not the library" "$(cat "$TMP/dl/libdlleak.so")"
check_eq "deleted library: bytes" 1665 "$(stack_bytes "$TMP/del" dl_leak malloc)"
check_eq "deleted library: count" 3 "$(stack_count "$TMP/del" dl_leak malloc)"
check_eq "deleted library: line" "$(mark_line libdlleak.so.c LEAK_DL)" "$(frame_lines "$TMP/del" dl_leak)"
check_eq "deleted library: module" libdlleak.so "$(tail -n 1 "$TMP/del" | jq -r '[.stacks[].frames[] | select(.function == "dl_leak") | .module] | unique | join(",")')"
check_eq "deleted library: stack reaches main" "$(mark_line dlopen_late.c '	leak();')" "$(frame_lines "$TMP/del" main | tr ',' '\n' | grep -x "$(mark_line dlopen_late.c '	leak();')")"

# --- -c in a chroot on a tmpfs only its own mount namespace has: the
# program and its dlopen'ed library copied in, libc and ld.so bind-mounted
# (the host's files, so the allocator probes fire); it exits right after
# the dlopen'ed library leaks
cat >"$TMP/chroot.sh" <<'EOF'
root=$1 progs=$2 libs=$3; shift 3
mount -t tmpfs none "$root" || exit 1
cp "$progs/dlopen_late" "$progs/libdlleak.so" "$root/"
for f in $libs; do
	mkdir -p "$root$(dirname "$f")"
	touch "$root$f"
	mount --bind "$(readlink -f "$f")" "$root$f" || exit 1
done
exec chroot "$root" "$@"
EOF
mkdir -p "$TMP/root"
libs=$(ldd "$PROGS/dlopen_late" | grep -o '/[^ ]*' | sort -u | tr '\n' ' ')
trace "$TMP/chr" -T 50 -c "unshare -m sh $TMP/chroot.sh $TMP/root $PROGS '$libs' /dlopen_late 0 /libdlleak.so keep"
check_eq "chroot: exit status" 0 "$(cat "$TMP/chr.rc")"
check_eq "chroot: dlopen'ed bytes" 1665 "$(stack_bytes "$TMP/chr" dl_leak malloc)"
check_eq "chroot: dlopen'ed line" "$(mark_line libdlleak.so.c LEAK_DL)" "$(frame_lines "$TMP/chr" dl_leak)"
check_eq "chroot: dlopen'ed module" libdlleak.so "$(tail -n 1 "$TMP/chr" | jq -r '[.stacks[].frames[] | select(.function == "dl_leak") | .module] | unique | join(",")')"
check_eq "chroot: program bytes" 800 "$(stack_bytes "$TMP/chr" late_leak malloc)"
check_eq "chroot: program line" "$(mark_line dlopen_late.c LEAK_LATE)" "$(frame_lines "$TMP/chr" late_leak)"
check_eq "chroot: program file" dlopen_late.c "$(frame_file "$TMP/chr" late_leak)"
for f in dl_leak late_leak; do
	check_eq "chroot: $f stack named to _start" 1 "$(stacks_to "$TMP/chr" "$f" _start)"
done

# --- no debug info: named from the symbol table, one note with the build-id
cp "$PROGS/leak_n" "$TMP/leak_n_stripped"
strip -g "$TMP/leak_n_stripped"
trace "$TMP/nodbg" -c "$TMP/leak_n_stripped 3 100"
check_eq "no debug info: function from the symbol table" 300 "$(stack_bytes "$TMP/nodbg" leak_n malloc)"
check_eq "no debug info: no line" "" "$(tail -n 1 "$TMP/nodbg" | jq -r '[.stacks[].frames[] | select(.function == "leak_n") | .line // empty] | unique | join(",")')"
check_eq "no debug info: noted with its build-id" \
	"leak_n_stripped $(readelf -n "$TMP/leak_n_stripped" | sed -n 's/.*Build ID: //p')" \
	"$(jq_get "$TMP/nodbg" '[.no_debuginfo[] | select(.module == "leak_n_stripped") | "\(.module) \(.build_id)"] | join(",")')"
"$MEMLEAKBPF" -c "$TMP/leak_n_stripped 3 100" >"$TMP/nodbg.txt" 2>/dev/null
check_eq "no debug info: one text note" 1 "$(grep -c 'note: no debug info for leak_n_stripped (build-id [0-9a-f]\{40\})' "$TMP/nodbg.txt")"
