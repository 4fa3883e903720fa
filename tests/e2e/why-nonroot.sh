#!/usr/bin/env bash
# why as an ordinary user: runs, reports the same tree, says on stderr and
# in the report what it could not read, and suggests sudo.  A SysV segment
# is world-listed, so it is still found without root.
source "$(dirname "$0")/../lib.sh"
MiB=1048576

AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${AS_NOBODY[@]}" true 2>/dev/null; then
	AS_NOBODY=(runuser -u nobody --)
fi
read -r SHMID _ < <("$PROGS/why_shm" $((16 * MiB)))
[ -n "$SHMID" ] && on_exit "ipcrm -m $SHMID"

OUT=$TMP/nobody.json
"${AS_NOBODY[@]}" "$MEMLEAKBPF" why --json -t 8M >"$OUT" 2>"$TMP/nobody.err"
check_eq "runs as nobody, exit 0" 0 $?
check_eq "reports it is not root" false "$(jq_get "$OUT" .root)"
check "stderr says what could not be read" grep -q "could not read:.*slabinfo" "$TMP/nobody.err"
check "report lists slabinfo as unreadable" jq -e '[.unreadable[].what] | index("slabinfo") != null' "$OUT"
check "report lists vmallocinfo as unreadable" jq -e '[.unreadable[].what] | index("vmallocinfo") != null' "$OUT"
check "report lists other users' fds as unreadable" jq -e '[.unreadable[].what] | index("process fds") != null' "$OUT"
check_eq "slab caches null, not empty" null "$(jq_get "$OUT" .slab_caches)"
check_eq "finding suggests sudo" 1 "$(jq_get "$OUT" '[.findings[] | select(.next_command == "sudo memleakbpf why")] | length')"
total=$(jq_get "$OUT" .meminfo.MemTotal)
check_eq "tree still adds up to MemTotal" "$total" \
	"$(jq_get "$OUT" '[.tree | .. | objects | select(has("children") and (.children | length) == 0) | .bytes] | add')"
check_eq "SysV segment still seen" $((16 * MiB)) "$(jq_get "$OUT" ".sysv_segments[] | select(.shmid == $SHMID) | .rss")"
check_eq "orphan finding still made" 1 "$(jq_get "$OUT" "[.findings[] | select(.next_command == \"ipcrm -m $SHMID\")] | length")"
check "root-owned processes listed without their smaps split" jq -e \
	'[.processes[] | select(.uid == 0)] | length > 0 and all(.private_file == null and .private_anon != null)' "$OUT"

# As root the same sources are readable.
"$MEMLEAKBPF" why --json >"$TMP/root.json" 2>/dev/null
check "as root slabinfo and vmallocinfo are read" jq -e '(.slab_caches | length) > 0 and (.vmalloc_callers | length) > 0' "$TMP/root.json"
