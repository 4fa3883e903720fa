# Oracle tests against valgrind memcheck: real Debian programs nobody here
# wrote (a python3 script, an sqlite3 session, an awk program, redis-server
# linked with jemalloc), run to their exit under memleakbpf -c and under
# valgrind.  memleakbpf's malloc-family total at exit (every stack whose
# kind is not mmap, mremap or brk) must equal valgrind's "in use at exit:
# B bytes in N blocks".
#
# Both runs must see the same allocations, so they get the same argv,
# stdin, stdout (a file) and working directory, and the same environment:
# valgrind.bin is run directly (Debian's /usr/bin/valgrind wrapper adds
# LD_LIBRARY_PATH and GLIBCXX_FORCE_NEW), and valgrind gives its client
# LD_PRELOAD (its own two libraries), so the traced run gets LD_PRELOAD of
# the same length made of ':' only, which the loader skips.  Valgrind frees
# nothing for the checker at exit (--run-libc-freeres=no,
# --run-cxx-freeres=no): libc's and libstdc++'s buffers are in use in both.
source tests/lib.sh
source tests/user_lib.sh

VG=/usr/bin/valgrind.bin
for p in "$VG" /usr/bin/python3 /usr/bin/sqlite3 /usr/bin/mawk /usr/bin/redis-server /usr/bin/redis-cli; do
	[ -x "$p" ] || { fail "$p missing (scripts/deps installs valgrind, sqlite3, mawk, redis-server)"; exit 0; }
done
mkdir -p "$TMP/home"
cd "$TMP" || exit 1
ENVV=(PATH=/usr/bin:/bin HOME="$TMP/home")
vg_preload=$(env -i "${ENVV[@]}" "$VG" --tool=memcheck -q /usr/bin/printenv LD_PRELOAD)
check "valgrind gives its client LD_PRELOAD" test -n "$vg_preload"
PAD=$(printf "%${#vg_preload}s" "" | tr ' ' :)
VGOPTS=(--tool=memcheck --run-libc-freeres=no --run-cxx-freeres=no)
ROWS=()

# vg_total LOG: "BYTES BLOCKS" of valgrind's in-use-at-exit line
vg_total() { sed -n 's/.*in use at exit: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p' "$1" | tr -d ,; }
# ml_total JSON [all|usable|rest]: "BYTES BLOCKS" of the malloc-family stacks
# of memleakbpf's final report; usable/rest: those through a function named
# *_usable (redis sizes such blocks with malloc_usable_size), or the others
ml_total() {
	jq_get "$1" '[.stacks[] | select(.kind | IN("mmap", "mremap", "brk") | not)
		| select("'"${2:-all}"'" as $sel | $sel == "all" or
			 (any(.frames[]; (.function // "") | endswith("_usable")) == ($sel == "usable")))]
		| "\(map(.bytes) | add // 0) \(map(.count) | add // 0)"'
}

# left_out JSON: the drop counters that leave allocations out of the totals
# (all but truncated_stacks: a stack cut after its 32 frames still counts)
left_out() { jq_get "$1" '[.dropped | del(.truncated_stacks)[]] | add'; }

# run_both NAME STDIN ENV... -- CMD...: CMD under valgrind and under
# memleakbpf -c, both with stdin from STDIN, stdout to a
# file, and only ENV (plus LD_PRELOAD) in the environment.
run_both() {
	local name=$1 in=$2 env=() cmd
	shift 2
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	cmd=$(printf '%q ' "$@")
	env -i "${ENVV[@]}" "${env[@]}" "$VG" "${VGOPTS[@]}" --log-file="$TMP/$name.vg" "$@" \
		<"$in" >"$TMP/$name.vg.out" 2>"$TMP/$name.vg.err"
	env -i "${ENVV[@]}" "${env[@]}" LD_PRELOAD="$PAD" "$MEMLEAKBPF" --json -T 0 -o "$TMP/$name.json" -c "$cmd" \
		<"$in" >"$TMP/$name.ml.out" 2>"$TMP/$name.ml.err"
}

# compare NAME: same output, no drops, equal totals; a row of the table
compare() {
	local name=$1 vg ml
	vg=$(vg_total "$TMP/$name.vg")
	ml=$(ml_total "$TMP/$name.json")
	check "$name: valgrind ran" test -n "$vg"
	check "$name: the same output in both runs" cmp -s "$TMP/$name.vg.out" "$TMP/$name.ml.out"
	check_eq "$name: memleakbpf left no allocation out" 0 "$(left_out "$TMP/$name.json")"
	check_eq "$name: bytes in use at exit" "${vg% *}" "${ml% *}"
	check_eq "$name: blocks in use at exit" "${vg#* }" "${ml#* }"
	ROWS+=("$name|${vg% *}|${vg#* }|${ml% *}|${ml#* }")
}

# --- python3: a word count of a Debian text with json and collections
cat >"$TMP/wc.py" <<'EOF'
import collections, json, re
words = re.findall(r"[a-z]+", open("/usr/share/common-licenses/GPL-3").read().lower())
print(json.dumps(collections.Counter(words).most_common(5)))
EOF
# a fixed hash seed: set and dict layouts, and so their allocations, follow it
run_both python3 /dev/null PYTHONHASHSEED=0 -- /usr/bin/python3 -B -s "$TMP/wc.py"
compare python3

# --- sqlite3: an SQL session on an in-memory database, from stdin
cat >"$TMP/session.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
INSERT INTO t SELECT x, printf('row-%05d', x), x % 17 FROM c;
CREATE INDEX t_grp ON t(grp);
SELECT grp, count(*), min(name), max(name) FROM t GROUP BY grp ORDER BY grp LIMIT 5;
UPDATE t SET name = upper(name) WHERE grp = 3;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*), sum(length(name)) FROM t;
EOF
run_both sqlite3 "$TMP/session.sql" -- /usr/bin/sqlite3 :memory:
compare sqlite3

# --- mawk (Debian's awk): word frequencies, an associative array
cat >"$TMP/wc.awk" <<'EOF'
{ for (i = 1; i <= NF; i++) { w = tolower($i); gsub(/[^a-z]/, "", w); if (w != "") c[w]++ } }
END { for (w in c) { n++; if (c[w] > 100) big = big " " w "=" c[w] } print n, big }
EOF
run_both mawk /dev/null -- /usr/bin/mawk -f "$TMP/wc.awk" /usr/share/common-licenses/GPL-3
compare mawk

# --- redis-server, linked with jemalloc (valgrind replaces jemalloc's
# functions given its soname): started on a unix socket, fed commands by
# redis-cli, shut down.  Made deterministic: its dict hash seed comes from
# /dev/urandom, pinned to fixed bytes in a private mount namespace; no
# slowlog (valgrind's slowness would log commands) and no active rehashing
# (serverCron would finish a rehash, freeing a table, when time allows).
yes memleakbpf-oracle | head -c 4096 >"$TMP/urandom"
cat >"$TMP/cmds" <<'EOF'
SET greeting hello
MSET a 1 b 2 c 3
RPUSH list x y z w
HSET h f1 v1 f2 v2
SADD s m1 m2 m3
ZADD z 1 one 2 two
INCRBY counter 42
APPEND greeting ", world"
GET greeting
LRANGE list 0 -1
EOF
cat >"$TMP/redis.sh" <<'EOF'
# redis.sh SOCK URANDOM CMDS TRACER...: the tracer runs redis-server on SOCK;
# once the socket is up, CMDS then SHUTDOWN NOSAVE; waits for its exit
sock=$1 urandom=$2 cmds=$3; shift 3
mount --bind "$urandom" /dev/urandom || exit 1
"$@" &
pid=$!
for ((i = 0; i < 600; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
redis-cli -s "$sock" <"$cmds" >"$sock.cli" 2>&1
redis-cli -s "$sock" SHUTDOWN NOSAVE >>"$sock.cli" 2>&1
wait "$pid"
EOF
redis_cmd=(/usr/bin/redis-server --port 0 --unixsocket "$TMP/r.sock" --save '' --appendonly no
	--slowlog-log-slower-than -1 --activerehashing no)
# (the printf turns the empty --save argument into '', as -c reads it)
unshare -m bash "$TMP/redis.sh" "$TMP/r.sock" "$TMP/urandom" "$TMP/cmds" \
	env -i "${ENVV[@]}" "$VG" "${VGOPTS[@]}" --soname-synonyms='somalloc=*jemalloc*' --leak-check=full \
	--show-leak-kinds=all --num-callers=30 --log-file="$TMP/redis.vg" "${redis_cmd[@]}" \
	>"$TMP/redis.vg.out" 2>&1
mv "$TMP/r.sock.cli" "$TMP/redis.vg.cli"
unshare -m bash "$TMP/redis.sh" "$TMP/r.sock" "$TMP/urandom" "$TMP/cmds" \
	env -i "${ENVV[@]}" LD_PRELOAD="$PAD" "$MEMLEAKBPF" --json -T 0 -o "$TMP/redis.json" \
	-c "$(printf '%q ' "${redis_cmd[@]}")" >"$TMP/redis.ml.out" 2>&1
mv "$TMP/r.sock.cli" "$TMP/redis.ml.cli"
check_eq "redis: the same replies in both runs" "$(cat "$TMP/redis.vg.cli")" "$(cat "$TMP/redis.ml.cli")"
check_eq "redis: replies" "hello, world" "$(sed -n 9p "$TMP/redis.ml.cli")"
check "redis: jemalloc traced" grep -q '"module":"libjemalloc.so.2"' "$TMP/redis.json"
check_eq "redis: memleakbpf left no allocation out" 0 "$(left_out "$TMP/redis.json")"
vg=$(vg_total "$TMP/redis.vg")
ml=$(ml_total "$TMP/redis.json")
check "redis: valgrind ran" test -n "$vg"
check_eq "redis: blocks in use at exit" "${vg#* }" "${ml#* }"
# Redis sizes some blocks by what malloc_usable_size says (sds strings,
# listpacks grow into the slack): jemalloc's size classes in the traced run,
# the exact size under valgrind, so those blocks hold different bytes.
# Every other block must match to the byte.
vg_split=$(/usr/bin/python3 - "$TMP/redis.vg" <<'EOF'
import re, sys
tot = {True: [0, 0], False: [0, 0]}
for rec in re.split(r"\n==\d+== \n", open(sys.argv[1]).read()):
    m = re.search(r"([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in ([\d,]+) blocks are", rec)
    if not m:
        continue
    usable = any(f.split(" (")[0].endswith("_usable") for f in re.findall(r"(?:at|by) 0x[0-9A-F]+: (.*)", rec))
    tot[usable][0] += int((m.group(2) or m.group(1)).replace(",", ""))
    tot[usable][1] += int(m.group(3).replace(",", ""))
print("%d %d %d %d" % (tot[True][0], tot[True][1], tot[False][0], tot[False][1]))
EOF
)
read -r vg_ub vg_un vg_rb vg_rn <<<"$vg_split"
ml_u=$(ml_total "$TMP/redis.json" usable)
ml_r=$(ml_total "$TMP/redis.json" rest)
check_eq "redis: valgrind's loss records add up to its total" "$vg" "$((vg_ub + vg_rb)) $((vg_un + vg_rn))"
check_eq "redis: blocks sized by malloc_usable_size" "$vg_un" "${ml_u#* }"
check_eq "redis: every other block, bytes" "$vg_rb" "${ml_r% *}"
check_eq "redis: every other block, blocks" "$vg_rn" "${ml_r#* }"
echo "# redis: blocks sized by malloc_usable_size: valgrind $vg_ub bytes, memleakbpf ${ml_u% *} bytes" \
	"in $vg_un blocks (jemalloc's size classes); all others: $vg_rb bytes in $vg_rn blocks in both"
ROWS+=("redis-server|${vg% *}|${vg#* }|${ml% *}|${ml#* }")

echo "# oracle: in use at exit, valgrind memcheck vs memleakbpf (malloc family)"
printf '# %-13s %24s %24s\n' program "valgrind bytes/blocks" "memleakbpf bytes/blocks"
for r in "${ROWS[@]}"; do
	IFS='|' read -r p vb vn mb mn <<<"$r"
	printf '# %-13s %24s %24s\n' "$p" "$vb/$vn" "$mb/$mn"
done
