# Debug info from a debuginfod server: a library stripped of everything
# but its dynamic symbols gets its file:line only through a local
# debuginfod (Debian's `debuginfod` package) serving its build-id; without
# the server, the report says in one line which build-id would supply it.
source tests/lib.sh
source tests/user_lib.sh

command -v debuginfod >/dev/null || { fail "debuginfod not installed (scripts/deps)"; exit 0; }
mkdir -p "$TMP/srv" "$TMP/lib" "$TMP/cache"
cp "$PROGS/libdlleak.so" "$TMP/lib/"
objcopy --only-keep-debug "$TMP/lib/libdlleak.so" "$TMP/srv/libdlleak.debug"
strip --strip-all "$TMP/lib/libdlleak.so"
bid=$(readelf -n "$TMP/lib/libdlleak.so" | awk '/Build ID/ { print $3 }')
check "the library has a build-id" test -n "$bid"
check_eq "stripped: no DWARF left" 0 "$(readelf -S "$TMP/lib/libdlleak.so" | grep -c '\.debug_')"
line=$(mark_line libdlleak.so.c LEAK_DL)
dl_frame() { jq_get "$1" '[.stacks[].frames[] | select(.function == "dl_leak")][0] | "\(.file) \(.line)"'; }

# Without a server: the function from .dynsym, no file:line, and one line
# naming the build-id that would supply them.
"$MEMLEAKBPF" --json -c "$PROGS/dlopener $TMP/lib/libdlleak.so" >"$TMP/plain.json" 2>/dev/null
check_eq "no server: dl_leak named, without file:line" "null null" "$(dl_frame "$TMP/plain.json")"
check_eq "no server: the build-id is listed as missing" "$bid" \
	"$(jq_get "$TMP/plain.json" '.no_debuginfo[] | select(.module == "libdlleak.so") | .build_id')"
"$MEMLEAKBPF" -c "$PROGS/dlopener $TMP/lib/libdlleak.so" >"$TMP/plain.txt" 2>/dev/null
check_eq "no server: one text line names the build-id and DEBUGINFOD_URLS" 1 \
	"$(grep -c "no debug info for libdlleak.so (build-id $bid).*DEBUGINFOD_URLS" "$TMP/plain.txt")"

# A local server on a free port, indexing the split debug file.
port=$((20000 + $$ % 20000))
debuginfod -p "$port" -F "$TMP/srv" -d "$TMP/db.sqlite" >"$TMP/srv.log" 2>&1 &
on_exit "kill $!"
served=
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /buildid/%s/debuginfo HTTP/1.0\r\n\r\n' "$bid" >&3 &&
		head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null; then
		served=1
		break
	fi
	sleep 0.2
done
check "debuginfod serves the build-id" test -n "$served"
DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$TMP/cache \
	"$MEMLEAKBPF" --json -c "$PROGS/dlopener $TMP/lib/libdlleak.so" >"$TMP/dbg.json" 2>/dev/null
check_eq "debuginfod: dl_leak at its file:line" "tests/progs/libdlleak.so.c $line" "$(dl_frame "$TMP/dbg.json")"
check_eq "debuginfod: nothing listed as missing debug info" 0 \
	"$(jq_get "$TMP/dbg.json" '[.no_debuginfo[] | select(.module == "libdlleak.so")] | length')"
check_eq "debuginfod: bytes" 1665 "$(stack_bytes "$TMP/dbg.json" dl_leak malloc)"
check "debuginfod: the client cached the file it fetched" test -n "$(find "$TMP/cache" -name debuginfo -size +0)"
