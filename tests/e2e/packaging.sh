#!/usr/bin/env bash
# Packaging: --version's fields, make install/uninstall with DESTDIR and
# PREFIX, the bash completion and the systemd unit (no BPF loaded).  The .deb
# build takes minutes and is run by hand (README, "Install").
source "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
MODES="user growth shmem kernel oom why serve"

# --- --version ------------------------------------------------------------
out=$("$MEMLEAKBPF" --version 2>"$TMP/err"); rc=$?
check_eq "--version exits 0" 0 "$rc"
check_eq "--version writes nothing on stderr" "" "$(cat "$TMP/err")"
check_eq "--version prints four lines" 4 "$(wc -l <<<"$out")"
want=$(sed -n 's/^VERSION *:= *//p' "$REPO/Makefile")
check_eq "line 1 is the Makefile's VERSION" "memleakbpf $want" "$(sed -n 1p <<<"$out")"
check_eq "debian/changelog has the same version" "$want" \
	"$(sed -n '1s/^memleakbpf (\([^)]*\)).*/\1/p' "$REPO/debian/changelog")"
commit=$(sed -n 's/^commit: //p' <<<"$out")
if head=$(git -C "$REPO" rev-parse --short=7 HEAD 2>/dev/null); then
	# git describe --always: HASH, or TAG-N-gHASH once there are tags.
	case $commit in
	*"$head"*) pass "commit line names HEAD ($commit)" ;;
	*) fail "commit line names HEAD" "HEAD $head, got '$commit'" ;;
	esac
else
	check_eq "commit line outside git" unknown "$commit"
fi
bpf_v=$(pkg-config --modversion libbpf 2>/dev/null | cut -d. -f1,2)
dw_v=$(pkg-config --modversion libdw 2>/dev/null)
check_eq "built with: the libbpf and elfutils of the build host" \
	"built with: libbpf $bpf_v, elfutils $dw_v" "$(sed -n 3p <<<"$out")"
if grep -Eq '^running with: libbpf [0-9]+\.[0-9]+, elfutils 0\.[0-9]+$' <<<"$out"; then
	pass "running with: libbpf and elfutils versions"
else
	fail "running with: libbpf and elfutils versions" "$(sed -n 4p <<<"$out")"
fi
check_eq "-V prints the same" "$out" "$("$MEMLEAKBPF" -V 2>&1)"
for m in $MODES; do
	o=$("$MEMLEAKBPF" "$m" --version 2>&1); rc=$?
	check_eq "$m --version: exit 0, same text" "0 $out" "$rc $o"
done
# Before the checks made after parsing (user mode needs -p or -c).
check_eq "-V with other options" "memleakbpf $want" "$("$MEMLEAKBPF" -T 3 -V | head -n 1)"
check_fails "-W is still an invalid option" "invalid option '-W'" "$MEMLEAKBPF" -W
for m in $MODES; do
	check "$m --help lists -V, --version" grep -q -- '-V, --version' \
		<("$MEMLEAKBPF" ${m/#user/} --help)
done
check "man page documents --version" grep -q -- 'BR \\-V ", " \\-\\-version' "$REPO/man/memleakbpf.8"

# --- make install / uninstall ------------------------------------------------
R=$TMP/root
if make -s -C "$REPO" install DESTDIR="$R" PREFIX=/usr >"$TMP/install.log" 2>&1; then
	pass "make install DESTDIR PREFIX=/usr"
else
	fail "make install DESTDIR PREFIX=/usr" "$(tail -n 3 "$TMP/install.log")"
fi
check "binary in /usr/sbin, mode 0755" test "$(stat -c %a "$R/usr/sbin/memleakbpf" 2>/dev/null)" = 755
for p in "$REPO"/man/*.8; do
	check "man page $(basename "$p") in share/man/man8" cmp -s "$p" "$R/usr/share/man/man8/$(basename "$p")"
done
check "completion in share/bash-completion/completions" \
	cmp -s "$REPO/completion/memleakbpf" "$R/usr/share/bash-completion/completions/memleakbpf"
unit=$R/usr/lib/systemd/system/memleakbpf.service
check "systemd unit in lib/systemd/system" test -f "$unit"
check_eq "unit runs the installed binary" "ExecStart=/usr/sbin/memleakbpf serve \$MEMLEAKBPF_OPTS" \
	"$(grep '^ExecStart=' "$unit" 2>/dev/null)"
o=$("$R/usr/sbin/memleakbpf" --version 2>&1); rc=$?
check_eq "installed binary runs --version" "0 $out" "$rc $o"
check "nothing outside PREFIX" test "$(cd "$R" && ls)" = usr

# Another PREFIX: the unit follows SBINDIR; uninstall leaves no file.
R2=$TMP/root2
make -s -C "$REPO" install DESTDIR="$R2" PREFIX=/opt/mlb >/dev/null 2>&1
check_eq "PREFIX=/opt/mlb: unit's ExecStart follows" \
	"ExecStart=/opt/mlb/sbin/memleakbpf serve \$MEMLEAKBPF_OPTS" \
	"$(grep '^ExecStart=' "$R2/opt/mlb/lib/systemd/system/memleakbpf.service" 2>/dev/null)"
make -s -C "$REPO" uninstall DESTDIR="$R2" PREFIX=/opt/mlb >/dev/null 2>&1
check_eq "make uninstall removes every file" 0 "$(find "$R2" -type f | wc -l)"

# --- bash completion ----------------------------------------------------------
# complete WORD...: what the completion offers for the last word, sorted.
complete_words() {
	bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_memleakbpf; printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$R/usr/share/bash-completion/completions/memleakbpf" "$@"
}
B=$R/usr/sbin/memleakbpf
check_eq "completion: modes as first word" "$(printf '%s\n' $MODES | sort)" "$(complete_words "$B" "")"
check_eq "completion: a mode's prefix" "kernel" "$(complete_words "$B" ke)"
check_eq "completion: no mode after a mode" "" "$(complete_words "$B" kernel "")"
# Every mode offers exactly the long options its --help lists.
for m in $MODES; do
	want=$("$B" ${m/#user/} --help | grep -oE '^ +(-[[:alnum:]], )?--[[:alnum:]][-[:alnum:]]*' |
		grep -oE -- '--[[:alnum:]][-[:alnum:]]*' | sort)
	args=("$B"); [ "$m" = user ] || args+=("$m")
	check_eq "completion: $m options = its --help" "$want" "$(complete_words "${args[@]}" -- | grep -- '^--')"
done
check "completion: kernel --k offers --kind" grep -qx -- --kind <(complete_words "$B" kernel --k)
check "completion: user offers --command, shmem does not" \
	test "$(complete_words "$B" --com)" = --command -a -z "$(complete_words "$B" shmem --com)"
check_eq "completion: -p offers pids" "$$" "$(complete_words "$B" -p "$$" | grep -x "$$")"

# --- systemd unit ----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart exists on this host: point it at the
	# DESTDIR binary.  --man=no: the man page is not installed here.
	sed "s|/usr/sbin/memleakbpf|$R/usr/sbin/memleakbpf|" "$unit" >"$TMP/memleakbpf.service"
	o=$(systemd-analyze verify --man=no "$TMP/memleakbpf.service" 2>&1); rc=$?
	check_eq "systemd-analyze verify: clean" "0 " "$rc $o"
else
	echo "SKIP: $TEST_NAME: no systemd-analyze"
fi
check_eq "unit capabilities = bounding set" \
	"$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" "$(sed -n 's/^AmbientCapabilities=//p' "$unit")"
for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes; do
	check "unit sets $k" grep -qx "$k" "$unit"
done
check "unit keeps /dev/kmsg readable (oom)" grep -qx 'DeviceAllow=/dev/kmsg r' "$unit"
