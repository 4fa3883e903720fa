# Every mode, when its reader is gone: `| head -1` (EPIPE) ends the tracer
# with its probes removed, and `> /dev/full` (ENOSPC) is exit 1 with one
# message, never rc 0 with the reports silently lost (issue 14, audit 3).
source tests/lib.sh

# closed_pipe NAME PROGS_REGEX ARGS...: the tracer behind `| head -n 1`
# must exit by itself, with status 1 and no programs left (a tracer that
# does not is stopped with SIGINT after 15 s: it then fails the checks).
closed_pipe() {
	local name=$1 re=$2; shift 2
	local before; before=$(progs_loaded "$re")
	local t0=$SECONDS
	( timeout -s INT 15 "$MEMLEAKBPF" "$@" 2>"$TMP/pipe.err"; echo $? >"$TMP/pipe.rc" ) | head -n 1 >/dev/null
	check_ge "$name | head -1: gone within 10 s (seconds to spare)" 0 $((10 - (SECONDS - t0)))
	check_eq "$name | head -1: tracer exits with status 1" 1 "$(cat "$TMP/pipe.rc" 2>/dev/null || echo still-running)"
	check "$name | head -1: says why" grep -q 'cannot write the report.*Broken pipe' "$TMP/pipe.err"
	check_eq "$name | head -1: no programs left" "$before" "$(progs_settled "$re" "$before")"
	rm -f "$TMP/pipe.rc"
}

# full_disk NAME ARGS...: stdout on /dev/full is exit 1 and one message.
full_disk() {
	local name=$1; shift
	"$MEMLEAKBPF" "$@" >/dev/full 2>"$TMP/full.err"
	check_eq "$name > /dev/full: exit status 1" 1 "$?"
	check "$name > /dev/full: says why" grep -q 'cannot write the report.*No space left' "$TMP/full.err"
}

"$PROGS/leaky" 0 60 &
pid=$!
on_exit "kill $pid"
sleep 0.3
# One short report per 0.2 s; --json keeps each report on one line.
closed_pipe "user -p" "alloc_enter_any|alloc_exit" -p "$pid" --json 0.2
closed_pipe "kernel" "kmalloc_tp|kfree_tp" kernel --json 0.2
closed_pipe "shmem" "tp_page_alloc|tp_lruvec_state|fx_add_to_page_cache" shmem --json 0.2
full_disk "user -p" -p "$pid" 0.2 2
full_disk "user -c" -c "$PROGS/leak_n 3 100"
full_disk "kernel" kernel 0.2 1
full_disk "shmem" shmem 0.2 1
full_disk "why" why
kill "$pid"
