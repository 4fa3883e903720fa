# User mode with several allocators in one process: jemalloc (its own API,
# and libc's reallocarray, which jemalloc lacks), tcmalloc and mimalloc next
# to glibc, linked as redis-server links jemalloc or preloaded, an
# interposer that hands calls to glibc, a je_-prefixed allocator in the
# program: every allocator module is traced, each block counted once, with
# the same bytes as under glibc alone.
source tests/lib.sh
source tests/user_lib.sh

# lib NAME: the path of a shared library the dynamic loader knows
lib() { /sbin/ldconfig -p | awk -v n="$1" '$1 == n { print $NF; exit }'; }
JE=$(lib libjemalloc.so.2)
TC=$(lib libtcmalloc_minimal.so.4)
MI=$(lib libmimalloc.so.2)
for l in JE TC MI; do
	[ -n "${!l}" ] || fail "$l: library not installed (scripts/deps: libjemalloc2, libtcmalloc-minimal4, libmimalloc2.0)"
done
# linked PROG LIB: tests/progs/PROG.c built as the Makefile builds it, with
# LIB as a DT_NEEDED entry ahead of libc (so its malloc is the program's);
# prints the program's path
linked() {
	local out=$TMP/$1-$(basename "$2" | cut -d. -f1)
	cc -O0 -g -Wall -Werror "tests/progs/$1.c" -o "$out" -Wl,--no-as-needed "$2" -Wl,-rpath,"$(dirname "$2")" &&
		echo "$out"
}
zero_drops() { jq_get "$1" '[.dropped[]] | add'; }
# first_frame FILE KIND FUNC: the first frame's function of the stacks of
# KIND through FUNC (unique, comma-separated)
first_frame() {
	jq_get "$1" "[.stacks[] | select(.kind == \"$2\" and any(.frames[]; .function == \"$3\")) | .frames[0].function] | unique | join(\",\")"
}

# --- jemalloc linked: its non-standard API; reallocarray is libc's, which
# jumps to jemalloc's realloc: one block, kind reallocarray
if [ -n "$JE" ]; then
	je_api=$(linked jemalloc_api "$JE")
	"$MEMLEAKBPF" -v --json -c "$je_api" -T 0 >"$TMP/je" 2>"$TMP/je.err"
	check_eq "jemalloc: exit status" 0 "$(jq_get "$TMP/je" .exit.status)"
	check_eq "jemalloc: mallocx bytes" 900 "$(stack_bytes "$TMP/je" leak_mallocx mallocx)"
	check_eq "jemalloc: mallocx count" 3 "$(stack_count "$TMP/je" leak_mallocx mallocx)"
	check_eq "jemalloc: mallocx line" "$(mark_line jemalloc_api.c LEAK_MALLOCX)" "$(frame_lines "$TMP/je" leak_mallocx)"
	check_eq "jemalloc: rallocx bytes" 2000 "$(stack_bytes "$TMP/je" leak_rallocx rallocx)"
	check_eq "jemalloc: rallocx count" 2 "$(stack_count "$TMP/je" leak_rallocx rallocx)"
	check_eq "jemalloc: rallocx'd mallocx blocks gone" 0 "$(stack_bytes "$TMP/je" leak_rallocx mallocx)"
	check_eq "jemalloc: xallocx resized in place (110 + 10000)" 10110 "$(stack_bytes "$TMP/je" leak_xallocx mallocx)"
	check_eq "jemalloc: xallocx count" 2 "$(stack_count "$TMP/je" leak_xallocx mallocx)"
	check_eq "jemalloc: libc's reallocarray bytes" 1200 "$(stack_bytes "$TMP/je" leak_reallocarray reallocarray)"
	check_eq "jemalloc: libc's reallocarray count" 4 "$(stack_count "$TMP/je" leak_reallocarray reallocarray)"
	check_eq "jemalloc: ... not counted again as jemalloc's realloc" 0 "$(stack_bytes "$TMP/je" leak_reallocarray realloc)"
	check_eq "jemalloc: sdallocx, dallocx, free: nothing left" 0 \
		"$(jq_get "$TMP/je" '[.stacks[] | select(any(.frames[]; .function == "freed_everything")) | .bytes] | add // 0')"
	check_eq "jemalloc: no drops" 0 "$(zero_drops "$TMP/je")"
	check "jemalloc: -v: jemalloc's mallocx hooked" grep -Eq 'hook mallocx \[libjemalloc\.so\.2\]: uprobe\+uretprobe ' "$TMP/je.err"
	check "jemalloc: -v: dallocx hooked" grep -Eq 'hook dallocx \[libjemalloc\.so\.2\]: uprobe ' "$TMP/je.err"
	check "jemalloc: -v: reallocarray not in jemalloc, libc's hooked" \
		grep -Eq "hook reallocarray \[libjemalloc\.so\.2\]: not hooked \(not in this module; libc\.so\.6's is hooked\)" "$TMP/je.err"
	check "jemalloc: -v: libc's reallocarray hooked" grep -Eq 'hook reallocarray \[libc\.so\.6\]: uprobe\+uretprobe ' "$TMP/je.err"
	check "jemalloc: -v: __libc_malloc shares malloc's probe" \
		grep -Eq 'hook __libc_malloc \[libc\.so\.6\]: not hooked \(same address as malloc: shares its probe' "$TMP/je.err"

	# kernels before 6.6: one perf-event uprobe per function and module
	MEMLEAKBPF_NO_UPROBE_MULTI=1 "$MEMLEAKBPF" -v --json -c "$je_api" -T 0 >"$TMP/je1" 2>"$TMP/je1.err"
	check "jemalloc, pre-6.6 path: selected" grep -q 'one perf-event uprobe per function' "$TMP/je1.err"
	check_eq "jemalloc, pre-6.6 path: mallocx bytes" 900 "$(stack_bytes "$TMP/je1" leak_mallocx mallocx)"
	check_eq "jemalloc, pre-6.6 path: xallocx bytes" 10110 "$(stack_bytes "$TMP/je1" leak_xallocx mallocx)"
	check_eq "jemalloc, pre-6.6 path: reallocarray bytes" 1200 "$(stack_bytes "$TMP/je1" leak_reallocarray reallocarray)"

	# preloaded (LD_PRELOAD, which -c reads): the same.  Not with an ASan
	# build: jemalloc would load into memleakbpf itself ahead of ASan's
	# runtime, which refuses to start then.
	if ldd "$MEMLEAKBPF" | grep -q libasan; then
		echo "SKIP: $TEST_NAME: jemalloc preloaded: memleakbpf is an ASan build"
	else
		LD_PRELOAD=$JE trace "$TMP/jep" -c "$PROGS/jemalloc_api" -T 0
		check_eq "jemalloc preloaded: mallocx bytes" 900 "$(stack_bytes "$TMP/jep" leak_mallocx mallocx)"
		check_eq "jemalloc preloaded: rallocx bytes" 2000 "$(stack_bytes "$TMP/jep" leak_rallocx rallocx)"
		check_eq "jemalloc preloaded: libc's reallocarray bytes" 1200 \
			"$(stack_bytes "$TMP/jep" leak_reallocarray reallocarray)"
		check_eq "jemalloc preloaded: no drops" 0 "$(zero_drops "$TMP/jep")"
	fi
fi

# --- every malloc-family function under each allocator: what one lacks
# (pvalloc, reallocarray in jemalloc) is libc's, traced there
for l in JE TC MI; do
	[ -n "${!l}" ] || continue
	name=$(basename "${!l}")
	trace "$TMP/a$l" -c "$(linked allocators "${!l}")" -T 0
	for spec in "posix_memalign 512 2" "valloc 200 2" "pvalloc 8192 1" "reallocarray 1200 4"; do
		set -- $spec
		check_eq "$name: $1 bytes" "$2" "$(stack_bytes "$TMP/a$l" "leak_$1" "$1")"
		check_eq "$name: $1 count" "$3" "$(stack_count "$TMP/a$l" "leak_$1" "$1")"
	done
	check_eq "$name: aligned_alloc bytes" 1536 "$(stack_bytes "$TMP/a$l" leak_aligned_alloc aligned_alloc)"
	# an allocator's memalign may be its aligned_alloc (one probe, that name)
	check_eq "$name: memalign bytes" 128 "$(( $(stack_bytes "$TMP/a$l" leak_memalign aligned_alloc) + $(stack_bytes "$TMP/a$l" leak_memalign memalign) ))"
	check_eq "$name: freed ones absent" 0 \
		"$(jq_get "$TMP/a$l" '[.stacks[] | select(any(.frames[]; .function == "freed_everything")) | .bytes] | add // 0')"
	check_eq "$name: no drops" 0 "$(zero_drops "$TMP/a$l")"
	trace "$TMP/l$l" -c "$(linked leaky "${!l}")" -T 0
	check_eq "$name: leaky: malloc bytes" 5000 "$(stack_bytes "$TMP/l$l" leak_malloc malloc)"
	check_eq "$name: leaky: calloc bytes" 7200 "$(stack_bytes "$TMP/l$l" leak_calloc calloc)"
	check_eq "$name: leaky: realloc chain bytes" 6000 "$(stack_bytes "$TMP/l$l" leak_realloc realloc)"
	check_eq "$name: leaky: realloc chain count" 2 "$(stack_count "$TMP/l$l" leak_realloc realloc)"
done

# --- -p: the allocators come from the process's mappings
if [ -n "$JE" ]; then
	"$(linked leaky "$JE")" usr1 &
	pid=$!
	on_exit "kill $pid"
	trace_go "$TMP/pje" "$pid"
	check_eq "-p, jemalloc linked: malloc bytes" 5000 "$(stack_bytes "$TMP/pje" leak_malloc malloc)"
	check_eq "-p, jemalloc linked: realloc chain bytes" 6000 "$(stack_bytes "$TMP/pje" leak_realloc realloc)"
	check "-p, jemalloc linked: -v: both allocator modules" \
		test "$(grep -Ec 'allocator module .*/(libjemalloc\.so\.2|libc\.so\.6)$' "$TMP/pje.err")" = 2
fi

# --- an interposer handing every call to glibc (__libc_malloc, and
# dlsym(RTLD_NEXT) realloc): counted once, under the outermost call
IP=$PROGS/libinterpose.so
"$MEMLEAKBPF" -v --json -c "$(linked leaky "$IP")" -T 0 >"$TMP/ip" 2>"$TMP/ip.err"
check_eq "interposer: exit status" 0 "$(jq_get "$TMP/ip" .exit.status)"
check_eq "interposer: malloc bytes" 5000 "$(stack_bytes "$TMP/ip" leak_malloc malloc)"
check_eq "interposer: malloc count" 5 "$(stack_count "$TMP/ip" leak_malloc malloc)"
check_eq "interposer: calloc (through its own malloc) bytes" 7200 "$(stack_bytes "$TMP/ip" leak_calloc calloc)"
check_eq "interposer: calloc count" 3 "$(stack_count "$TMP/ip" leak_calloc calloc)"
check_eq "interposer: realloc chain bytes" 6000 "$(stack_bytes "$TMP/ip" leak_realloc realloc)"
check_eq "interposer: realloc chain count" 2 "$(stack_count "$TMP/ip" leak_realloc realloc)"
check_eq "interposer: realloc'd malloc gone" 0 "$(stack_bytes "$TMP/ip" leak_realloc malloc)"
check_eq "interposer: the stack starts at the caller, not in the interposer" leak_malloc \
	"$(first_frame "$TMP/ip" malloc leak_malloc)"
check_eq "interposer: no drops" 0 "$(zero_drops "$TMP/ip")"
check "interposer: -v: its malloc hooked" grep -Eq 'hook malloc \[libinterpose\.so\]: uprobe\+uretprobe ' "$TMP/ip.err"
check "interposer: -v: libc's __libc_malloc is malloc's probe" \
	grep -Eq 'hook __libc_malloc \[libc\.so\.6\]: not hooked \(same address as malloc: shares its probe' "$TMP/ip.err"
check "interposer: -v: what it lacks is libc's" \
	grep -Eq "hook memalign \[libinterpose\.so\]: not hooked \(not in this module; libc\.so\.6's is hooked\)" "$TMP/ip.err"
trace "$TMP/ipa" -c "$(linked allocators "$IP")" -T 0
check_eq "interposer: libc's reallocarray through its realloc" 1200 "$(stack_bytes "$TMP/ipa" leak_reallocarray reallocarray)"
check_eq "interposer: reallocarray count" 4 "$(stack_count "$TMP/ipa" leak_reallocarray reallocarray)"
check_eq "interposer: posix_memalign (libc's) bytes" 512 "$(stack_bytes "$TMP/ipa" leak_posix_memalign posix_memalign)"

# --- an allocator that appears after tracing started (dlopen, or the
# image an exec loads) is not probed: said on stderr and in the report
if [ -n "$MI" ]; then
	# (alive a moment after the dlopen: a module mapped by a process that
	# exits at once may be gone before it can be opened)
	trace "$TMP/dlmi" -c "/usr/bin/python3 -c 'import ctypes, time; ctypes.CDLL(\"$MI\"); time.sleep($SCALE)'"
	check "dlopen'ed allocator: a warning" grep -q "$(basename "$MI").* defines malloc and free but was mapped after tracing started" "$TMP/dlmi.err"
	check_eq "dlopen'ed allocator: listed as untraced" 1 \
		"$(jq_get "$TMP/dlmi" "[.untraced_allocators[] | select(startswith(\"$(basename "$MI")\"))] | length")"
fi
if [ -n "$JE" ]; then
	trace "$TMP/exje" -c "env LD_PRELOAD=$JE sleep $SCALE"
	check_eq "allocator of an exec'd image: listed as untraced" '["libjemalloc.so.2"]' "$(jq_get "$TMP/exje" '.untraced_allocators | tojson')"
fi
trace "$TMP/none" -c "$PROGS/leak_n 1 10"
check_eq "no untraced allocator: an empty list" '[]' "$(jq_get "$TMP/none" '.untraced_allocators | tojson')"

# --- a je_-prefixed allocator in the program, handing calls to glibc:
# with --symbol-prefix je_ the block is je_malloc's (the caller first);
# without, glibc's malloc sees the call from je_malloc.  Same bytes.
trace "$TMP/pre" -v -c "$PROGS/prefixed_alloc" --symbol-prefix je_
check_eq "je_ prefix: bytes" 1200 "$(stack_bytes "$TMP/pre" leak_je malloc)"
check_eq "je_ prefix: count" 3 "$(stack_count "$TMP/pre" leak_je malloc)"
check_eq "je_ prefix: counted under je_malloc's call" leak_je "$(first_frame "$TMP/pre" malloc leak_je)"
check_eq "je_ prefix: line" "$(mark_line prefixed_alloc.c LEAK_JE)" "$(frame_lines "$TMP/pre" leak_je)"
check "je_ prefix: -v: je_malloc hooked in the program" grep -Eq 'hook je_malloc \[prefixed_alloc\]: uprobe\+uretprobe ' "$TMP/pre.err"
check "je_ prefix: -v: libc's malloc too" grep -Eq 'hook malloc \[libc\.so\.6\]: uprobe\+uretprobe ' "$TMP/pre.err"
trace "$TMP/nopre" -c "$PROGS/prefixed_alloc"
check_eq "no prefix: bytes" 1200 "$(stack_bytes "$TMP/nopre" leak_je malloc)"
check_eq "no prefix: glibc's malloc called from je_malloc" je_malloc "$(first_frame "$TMP/nopre" malloc leak_je)"
