# User mode, -c: every allocator function, mmap/munmap/mremap/brk, threads,
# C++, static, no frame pointers, dlopen: exact bytes, counts, function, line.
source tests/lib.sh
source tests/user_lib.sh

# --- leaky: malloc, calloc, realloc chains, mmap; freed blocks absent
trace "$TMP/leaky" -c "$PROGS/leaky"
check_eq "leaky: exit status" 0 "$(cat "$TMP/leaky.rc")"
check_eq "leaky: one JSON report" 1 "$(wc -l <"$TMP/leaky")"
check_eq "leaky: report is final" true "$(jq_get "$TMP/leaky" .final)"
check_eq "leaky: malloc bytes" 5000 "$(stack_bytes "$TMP/leaky" leak_malloc malloc)"
check_eq "leaky: malloc count" 5 "$(stack_count "$TMP/leaky" leak_malloc malloc)"
check_eq "leaky: malloc line" "$(mark_line leaky.c LEAK_MALLOC)" "$(frame_lines "$TMP/leaky" leak_malloc)"
check_eq "leaky: malloc file" leaky.c "$(frame_file "$TMP/leaky" leak_malloc)"
check_eq "leaky: calloc bytes" 7200 "$(stack_bytes "$TMP/leaky" leak_calloc calloc)"
check_eq "leaky: calloc count" 3 "$(stack_count "$TMP/leaky" leak_calloc calloc)"
check_eq "leaky: calloc line" "$(mark_line leaky.c LEAK_CALLOC)" "$(frame_lines "$TMP/leaky" leak_calloc)"
# realloc chain 100 -> 2000 -> 3000: only the last block, under realloc
check_eq "leaky: realloc chain bytes" 6000 "$(stack_bytes "$TMP/leaky" leak_realloc realloc)"
check_eq "leaky: realloc chain count" 2 "$(stack_count "$TMP/leaky" leak_realloc realloc)"
check_eq "leaky: realloc'd malloc gone" 0 "$(stack_bytes "$TMP/leaky" leak_realloc malloc)"
check_eq "leaky: realloc line" "$(mark_line leaky.c LEAK_REALLOC)" "$(frame_lines "$TMP/leaky" leak_realloc)"
check_eq "leaky: mmap bytes (8 KiB mapped+unmapped absent)" 131072 "$(stack_bytes "$TMP/leaky" leak_mmap mmap)"
check_eq "leaky: mmap count" 2 "$(stack_count "$TMP/leaky" leak_mmap mmap)"
check_eq "leaky: mmap line" "$(mark_line leaky.c LEAK_MMAP)" "$(frame_lines "$TMP/leaky" leak_mmap)"
check_eq "leaky: freed blocks absent" 0 "$(stack_bytes "$TMP/leaky" no_leak malloc)"
check_eq "leaky: caller chain reaches main" "$(mark_line leaky.c '	leak_calloc();')" "$(frame_lines "$TMP/leaky" main | tr ',' '\n' | grep -x "$(mark_line leaky.c '	leak_calloc();')")"
check_eq "leaky: JSON report keys" "dropped,mode,pid,stacks,total_bytes,total_count" \
	"$(jq_get "$TMP/leaky" '[keys[] | select(. == "mode" or . == "pid" or . == "total_bytes" or . == "total_count" or . == "dropped" or . == "stacks")] | join(",")')"
check_eq "leaky: mode user" user "$(jq_get "$TMP/leaky" .mode)"
check_eq "leaky: every frame has all keys (null when unknown)" true \
	"$(jq_get "$TMP/leaky" '[.stacks[].frames[] | has("function") and has("file") and has("line") and has("module") and has("address") and has("inlined")] | all')"
check_eq "leaky: stacks largest first" true "$(jq_get "$TMP/leaky" '[.stacks[].bytes] | . == (sort | reverse)')"
check_eq "leaky: total_bytes is the sum of stacks" true "$(jq_get "$TMP/leaky" '.total_bytes == ([.stacks[].bytes] | add)')"
check_eq "leaky: no drops" 0 "$(jq_get "$TMP/leaky" '[.dropped[]] | add')"

# --- every other allocator function
trace "$TMP/alloc" -c "$PROGS/allocators" -T 0
for spec in "posix_memalign 512 2" "aligned_alloc 1536 3" "valloc 200 2" "pvalloc 8192 1" "reallocarray 1200 4"; do
	set -- $spec
	check_eq "allocators: $1 bytes" "$2" "$(stack_bytes "$TMP/alloc" "leak_$1" "$1")"
	check_eq "allocators: $1 count" "$3" "$(stack_count "$TMP/alloc" "leak_$1" "$1")"
	mark=$(echo "LEAK_$1" | tr a-z A-Z)
	check_eq "allocators: $1 line" "$(mark_line allocators.c "$mark")" "$(frame_lines "$TMP/alloc" "leak_$1")"
done
# glibc's memalign is aligned_alloc: one probe, reported under that name
check_eq "allocators: memalign bytes" 128 "$(( $(stack_bytes "$TMP/alloc" leak_memalign aligned_alloc) + $(stack_bytes "$TMP/alloc" leak_memalign memalign) ))"
check_eq "allocators: freed ones absent" 0 "$(tail -n 1 "$TMP/alloc" | jq '[.stacks[] | select(any(.frames[]; .function == "freed_everything")) | .bytes] | add // 0')"

# --- threads: all threads of the target are traced
trace "$TMP/threads" -c "$PROGS/threads"
check_eq "threads: bytes from 4 threads" 409600 "$(stack_bytes "$TMP/threads" thread_leak malloc)"
check_eq "threads: count" 100 "$(stack_count "$TMP/threads" thread_leak malloc)"
check_eq "threads: line" "$(mark_line threads.c LEAK_THREAD)" "$(frame_lines "$TMP/threads" thread_leak)"
check_eq "threads: unwound through libc's thread start" 1 "$(tail -n 1 "$TMP/threads" | jq '[.stacks[] | select(any(.frames[]; .function == "thread_leak") and any(.frames[]; .function == "start_thread"))] | length')"

# --- C++: demangled, through libstdc++ (no frame pointers) to the method
trace "$TMP/cxx" -c "$PROGS/leaky_cxx"
check_eq "c++: bytes (6 x 48)" 288 "$(stack_bytes "$TMP/cxx" 'store::Cache::grow(unsigned long)' malloc)"
check_eq "c++: count" 6 "$(stack_count "$TMP/cxx" 'store::Cache::grow(unsigned long)' malloc)"
check_eq "c++: line" "$(mark_line leaky_cxx.cc LEAK_CXX)" "$(frame_lines "$TMP/cxx" 'store::Cache::grow(unsigned long)')"
check_eq "c++: operator new demangled" 1 "$(tail -n 1 "$TMP/cxx" | jq '[.stacks[].frames[] | select(.function == "operator new(unsigned long)")] | length | if . > 0 then 1 else 0 end')"

# --- statically linked: the allocator is the executable
trace "$TMP/static" -c "$PROGS/leaky_static"
check_eq "static: bytes" 2100 "$(stack_bytes "$TMP/static" leak_static malloc)"
check_eq "static: count" 3 "$(stack_count "$TMP/static" leak_static malloc)"
check_eq "static: line" "$(mark_line leaky_static.c LEAK_STATIC)" "$(frame_lines "$TMP/static" leak_static)"

# --- -O2 without frame pointers: .eh_frame unwinding recovers every level
trace "$TMP/nofp" -c "$PROGS/deep_nofp"
check_eq "no frame pointers: bytes" 1332 "$(stack_bytes "$TMP/nofp" leaf malloc)"
check_eq "no frame pointers: full chain leaf<level3<level2<level1<main" 4 \
	"$(tail -n 1 "$TMP/nofp" | jq '[.stacks[] | select([.frames[0:5][].function] == ["leaf","level3","level2","level1","main"]) | .count] | add // 0')"
check_eq "no frame pointers: leaf line" "$(mark_line deep_nofp.c LEAK_LEAF)" "$(frame_lines "$TMP/nofp" leaf)"

# --- -c with arguments and quoting
trace "$TMP/args" -c "$PROGS/leak_n 7 300 'two words' \"x y z\""
check_eq "-c args: bytes" 2100 "$(stack_bytes "$TMP/args" leak_n malloc)"
check_eq "-c args: count" 7 "$(stack_count "$TMP/args" leak_n malloc)"
check_eq "-c args: quoted args arrive whole (10+6 bytes)" 16 "$(stack_bytes "$TMP/args" leak_args malloc)"
PATH="$PROGS:$PATH" trace "$TMP/path" -c "leak_n 2 64"
check_eq "-c PATH search" 128 "$(stack_bytes "$TMP/path" leak_n malloc)"

# --- address space outside malloc: partial munmap, mremap, brk
trace "$TMP/maps" -c "$PROGS/maps"
check_eq "munmap splits a region: bytes" 12288 "$(stack_bytes "$TMP/maps" split mmap)"
check_eq "munmap splits a region: pieces" 2 "$(stack_count "$TMP/maps" split mmap)"
check_eq "mremap moves a region with its stack" 12288 "$(stack_bytes "$TMP/maps" moved mmap)"
check_eq "brk growth outside malloc" 8192 "$(stack_bytes "$TMP/maps" heap_brk brk)"
check_eq "brk line" "$(mark_line maps.c LEAK_BRK)" "$(frame_lines "$TMP/maps" heap_brk)"

# --- dlopen: a module unknown at start is found and symbolized
trace "$TMP/dl" -c "$PROGS/dlopener $PROGS/libdlleak.so"
check_eq "dlopen: bytes" 1665 "$(stack_bytes "$TMP/dl" dl_leak malloc)"
check_eq "dlopen: line" "$(mark_line libdlleak.so.c LEAK_DL)" "$(frame_lines "$TMP/dl" dl_leak)"
check_eq "dlopen: module name" libdlleak.so "$(tail -n 1 "$TMP/dl" | jq -r '[.stacks[].frames[] | select(.function == "dl_leak") | .module] | unique | join(",")')"

# --- the uprobe path is chosen by probing, with no environment variable:
# uprobe_multi links where the kernel has them (6.6+), else one perf-event
# uprobe per function.  USER_EXPECT_UPROBES (set by tests/vm for each stock
# kernel: multi or per-function) says which one that must be.
"$MEMLEAKBPF" -v --json -c "$PROGS/allocators" -T 0 >"$TMP/auto" 2>"$TMP/auto.err"
auto=$(grep -Eo 'malloc family: (2 uprobe_multi links|one perf-event uprobe per function)' "$TMP/auto.err")
check "probed path reported at -v" test -n "$auto"
case ${USER_EXPECT_UPROBES:-} in
multi) check "probed path is uprobe_multi here" grep -q uprobe_multi <<<"$auto" ;;
per-function) check "probed path is per-function here" grep -q "uprobe per function" <<<"$auto" ;;
esac
check_eq "probed path: posix_memalign bytes" 512 "$(stack_bytes "$TMP/auto" leak_posix_memalign posix_memalign)"
check_eq "probed path: reallocarray bytes" 1200 "$(stack_bytes "$TMP/auto" leak_reallocarray reallocarray)"

# --- kernels before 6.6: one perf-event uprobe per function, same results
MEMLEAKBPF_NO_UPROBE_MULTI=1 "$MEMLEAKBPF" -v --json -c "$PROGS/allocators" -T 0 >"$TMP/legacy" 2>"$TMP/legacy.err"
check "pre-6.6 path selected" grep -q 'one perf-event uprobe per function' "$TMP/legacy.err"
check_eq "pre-6.6 path: posix_memalign bytes" 512 "$(stack_bytes "$TMP/legacy" leak_posix_memalign posix_memalign)"
check_eq "pre-6.6 path: reallocarray bytes" 1200 "$(stack_bytes "$TMP/legacy" leak_reallocarray reallocarray)"
check_eq "pre-6.6 path: freed ones absent" 0 "$(tail -n 1 "$TMP/legacy" | jq '[.stacks[] | select(any(.frames[]; .function == "freed_everything")) | .bytes] | add // 0')"
