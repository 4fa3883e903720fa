# Helpers for the kernel-mode end-to-end tests (sourced after tests/lib.sh).

# count FILE KIND FUNCTION: outstanding allocations of KIND whose stack
# holds FUNCTION, in the last report.
count() {
	jq_get "$1" "[.stacks[] | select(.kind == \"$2\") |
		select(any(.frames[]; .function == \"$3\")) | .count] | add // 0"
}
# count_direct FILE KIND FUNCTION: FUNCTION called the allocator itself
# (rows where it is further down are e.g. slab metadata its call caused).
count_direct() {
	jq_get "$1" "[.stacks[] | select(.kind == \"$2\") |
		select([.frames[].function // \"?\" | select(test(\"^_*(kmalloc|kmem_cache_alloc|kvmalloc)\") | not)][0]
			== \"$3\") | .count] | add // 0"
}
# count_cache FILE CACHE FUNCTION: kmem_cache rows of CACHE through FUNCTION.
count_cache() {
	jq_get "$1" "[.stacks[] | select(.kind == \"kmem_cache\" and .cache == \"$2\") |
		select(any(.frames[]; .function == \"$3\")) | .count] | add // 0"
}
# start_tracer NAME ARGS...: memleakbpf kernel ARGS in the background, its
# output in $TMP/NAME.out and .err, its pid in $NAME_pid
start_tracer() {
	local name=$1; shift
	"$MEMLEAKBPF" kernel "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	eval "${name}_pid=$!"
	on_exit "kill -9 $!"
}
