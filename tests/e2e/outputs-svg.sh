#!/usr/bin/env bash
# --svg, read by its real consumer: headless Chromium loads the flame graph
# of leaky (known leaks) without a script error, renders it to PNG, and its
# DOM has the leak sites with widths proportional to their bytes; a click
# zooms.  Kernel and shmem (--stacks) graphs load the same way.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../user_lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	fail "chromium" "not installed (scripts/deps installs chromium)"
	exit 0
fi
export HOME=$TMP/home
mkdir -p "$HOME"
# chrome ARGS... FILE: headless, its console on stderr ($TMP/chrome.err).
chrome() {
	timeout 120 "$CHROMIUM" --headless --disable-gpu --no-sandbox --user-data-dir="$TMP/profile" \
		--enable-logging=stderr --v=0 "$@" 2>"$TMP/chrome.err"
}
# boxes DOM: "name<TAB>bytes<TAB>width<TAB>shown" per box of the flame graph.
boxes() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
for g in ET.parse(sys.argv[1]).getroot().iter(ns + "g"):
    if g.get("class") != "f":
        continue
    r = g.find(ns + "rect")
    print("%s\t%s\t%s\t%s" % (g.get("data-n"), g.get("data-v"), r.get("width"),
                              "hidden" if "none" in (g.get("style") or "") else "shown"))
' "$1"
}
# script_errors: console lines of an uncaught exception or a parse error
script_errors() { grep -cE 'CONSOLE.*(Uncaught|Error)|XML Parsing|error on line' "$TMP/chrome.err"; }

# --- user mode: leaky, every stack
trace "$TMP/leaky" -c "$PROGS/leaky" -T 0 --svg "$TMP/leaky.svg"
check_eq "leaky: exit status" 0 "$(cat "$TMP/leaky.rc")"
check "the SVG is well-formed XML" python3 -c "import xml.etree.ElementTree as E, sys; E.parse(sys.argv[1])" "$TMP/leaky.svg"
chrome --dump-dom "file://$TMP/leaky.svg" >"$TMP/leaky.dom"
check_eq "chromium: loads it without a script error" 0 "$(script_errors)"
boxes "$TMP/leaky.dom" >"$TMP/boxes"
check_ge "the DOM has the flame graph's boxes" 10 "$(wc -l <"$TMP/boxes")"
check_eq "the root box holds total_bytes" "$(jq_get "$TMP/leaky" .total_bytes)" \
	"$(awk -F'\t' '$1 == "all" { print $2 }' "$TMP/boxes")"
for spec in "leak_malloc malloc" "leak_calloc calloc" "leak_realloc realloc" "leak_mmap mmap"; do
	set -- $spec
	check_eq "$1: its box holds the JSON report's bytes" "$(stack_bytes "$TMP/leaky" "$1" "$2")" \
		"$(awk -F'\t' -v f="$1" '$1 == f { s += $2 } END { print s + 0 }' "$TMP/boxes")"
done
# Width per byte is one constant (the root's): every box, leak sites included.
check_eq "every box's width is proportional to its bytes (within 0.01 px)" 0 \
	"$(awk -F'\t' '$1 == "all" { k = $3 / $2 } { b[NR] = $2; w[NR] = $3 }
		END { for (i in b) if (w[i] - b[i] * k > 0.01 || b[i] * k - w[i] > 0.01) bad++; print bad + 0 }' "$TMP/boxes")"
check_eq "leak_malloc : leak_calloc widths = 5000 : 7200" "0.694" \
	"$(awk -F'\t' '$1 == "leak_malloc" { m = $3 } $1 == "leak_calloc" { c = $3 } END { printf "%.3f", m / c }' "$TMP/boxes")"
check "hover titles name function and bytes" grep -q '<title>leak_malloc (5000 bytes, ' "$TMP/leaky.dom"

chrome --screenshot="$TMP/leaky.png" --window-size=1200,800 "file://$TMP/leaky.svg" >/dev/null
# a PNG of 1200 x 800: its signature, then IHDR's width and height (no
# `file` on a minimal machine)
check_eq "chromium renders it to PNG, 1200 x 800" "89504e470d0a1a0a 000004b0 00000320" \
	"$(od -An -tx1 -N24 "$TMP/leaky.png" | tr -d ' \n' | sed 's/^\(.\{16\}\).\{16\}\(.\{8\}\)\(.\{8\}\)$/\1 \2 \3/')"
check_eq "... without a script error" 0 "$(script_errors)"

# Click to zoom: a click on leak_malloc gives it the full width, keeps its
# ancestors and hides its siblings.
sed 's|</svg>|<script>document.querySelector(\x27g.f[data-n="leak_malloc"]\x27).dispatchEvent(new MouseEvent("click"));</script></svg>|' \
	"$TMP/leaky.svg" >"$TMP/zoom.svg"
chrome --dump-dom "file://$TMP/zoom.svg" >"$TMP/zoom.dom"
check_eq "zoom: no script error" 0 "$(script_errors)"
boxes "$TMP/zoom.dom" >"$TMP/zboxes"
check_eq "zoom: leak_malloc fills the width" "1180.000 shown" \
	"$(awk -F'\t' '$1 == "leak_malloc" { print $3, $4 }' "$TMP/zboxes")"
check_eq "zoom: main (an ancestor) stays, full width" "1180.000 shown" \
	"$(awk -F'\t' '$1 == "main" { print $3, $4 }' "$TMP/zboxes")"
check_eq "zoom: leak_calloc (a sibling) hides" hidden "$(awk -F'\t' '$1 == "leak_calloc" { print $4 }' "$TMP/zboxes")"

# --- kernel mode: kernel_hold's sockets, pipes and threads
kernel_hold_traced "$TMP/k.json" --svg "$TMP/k.svg"
check_eq "kernel: exit status" 0 "$TRACER_RC"
chrome --dump-dom "file://$TMP/k.svg" >"$TMP/k.dom"
check_eq "kernel: chromium loads it without a script error" 0 "$(script_errors)"
boxes "$TMP/k.dom" >"$TMP/kboxes"
check_eq "kernel: the root box holds the JSON stacks' bytes" "$(jq_get "$TMP/k.json" '[.stacks[].bytes] | add')" \
	"$(awk -F'\t' '$1 == "all" { print $2 }' "$TMP/kboxes")"
check_eq "kernel: __sys_socket's boxes hold its JSON bytes" \
	"$(jq_get "$TMP/k.json" '[.stacks[] | select(any(.frames[]; .function == "__sys_socket")) | .bytes] | add')" \
	"$(awk -F'\t' '$1 == "__sys_socket" { s += $2 } END { print s + 0 }' "$TMP/kboxes")"
kill -USR1 "$HOLD"
wait_line "$TMP/hold.out" '^released' 10
kill -USR1 "$HOLD"
wait "$HOLD"

# --- shmem mode, --stacks: a writer of 200 KiB on a tmpfs of our own
MNT=$TMP/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=16m tmpfs "$MNT" || { fail "mount tmpfs"; exit 1; }
on_exit "umount -l '$MNT'"
"$MEMLEAKBPF" shmem --json --stacks --mount "$MNT" --svg "$TMP/sh.svg" >"$TMP/sh.json" 2>"$TMP/sh.err" &
ST=$!
on_exit "kill -KILL $ST"
wait_line "$TMP/sh.err" '^Tracing' 120
# -l: the writer stays 300 ms, time enough to copy its mappings.
"$PROGS/shmem_writer" -l write "$MNT/big" 204800 >/dev/null
kill -INT "$ST"
wait "$ST"
check_eq "shmem: exit status" 0 "$?"
chrome --dump-dom "file://$TMP/sh.svg" >"$TMP/sh.dom"
check_eq "shmem: chromium loads it without a script error" 0 "$(script_errors)"
boxes "$TMP/sh.dom" >"$TMP/shboxes"
check_eq "shmem: the writer's box holds its 204800 bytes" 204800 \
	"$(awk -F'\t' '$1 ~ /^shmem_writer \(pid [0-9]+\)$/ { s += $2 } END { print s + 0 }' "$TMP/shboxes")"
check_eq "shmem: the writer's stack reaches main" 204800 \
	"$(awk -F'\t' '$1 ~ /^main \(.*shmem_writer\.c:[0-9]+\) \[shmem_writer\]$/ { s += $2 } END { print s + 0 }' "$TMP/shboxes")"
