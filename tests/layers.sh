#!/usr/bin/env bash
# The layering rule of src/ (doc/architecture.md), checked on every #include:
#   lib      includes lib only
#   procfs   lib, procfs
#   sym      lib, procfs, sym
#   probe    lib, probe
#   a mode (user shmem kernel oom why) the layers above and its own folder,
#            never another mode's folder
#   growth   a mode on user mode's engine (user_run, its unwinder, report
#            and outputs): the layers above, its own folder and user's
#   serve    (a driver of modes) the layers above, its own folder and
#            modes.h: it runs the modes through their run_X entry points,
#            never including a mode's folder
#   main.c   modes.h (each mode's entry point) and lib
# Plain ABI headers (include/*.h) may be included anywhere, BPF skeletons
# (*.skel.h) only by a mode.  Prints PASS/FAIL lines (tests/run counts them).
set -u
cd "$(dirname "$0")/.."
modes="user growth shmem kernel oom why"
allowed() { # folder -> folders its files may include
	case $1 in
	lib) echo lib ;;
	procfs) echo lib procfs ;;
	sym) echo lib procfs sym ;;
	probe) echo lib probe ;;
	growth) echo lib procfs sym probe growth user ;;
	*) echo lib procfs sym probe "$1" ;;
	esac
}
bad=0 n=0
check() { # file, folder
	local f=$1 dir=$2 inc ok a
	while IFS= read -r inc; do
		n=$((n + 1))
		case $inc in
		*.skel.h)
			case " $modes " in *" $dir "*) continue ;; esac
			echo "FAIL: layers: $f includes the skeleton $inc (only a mode may)"
			bad=$((bad + 1)); continue ;;
		*/*) ;;
		*)
			# a bare name: an ABI header in include/, or modes.h (main.c
			# and each mode's entry point)
			if [ -f "include/$inc" ] || { [ "$inc" = modes.h ] &&
				[ "$(allowed "$dir" | wc -w)" -ge 5 ]; }; then
				continue
			fi
			echo "FAIL: layers: $f includes \"$inc\", not an ABI header (include/) nor layer/name.h"
			bad=$((bad + 1)); continue ;;
		esac
		ok=
		for a in $(allowed "$dir"); do [ "${inc%%/*}" = "$a" ] && ok=1; done
		if [ -z "$ok" ]; then
			echo "FAIL: layers: $f ($dir) includes $inc"
			bad=$((bad + 1))
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
}
for f in src/*/*.[ch]; do
	d=${f#src/}; check "$f" "${d%%/*}"
done
for f in src/*.[ch]; do
	# main.c dispatches: modes.h and lib only
	check "$f" .
done
# A folder the rule above does not know is a new layer or mode: name it here.
for d in src/*/; do
	d=${d#src/}; d=${d%/}
	case " lib procfs sym probe serve $modes " in *" $d "*) ;; *)
		echo "FAIL: layers: src/$d is neither a known layer nor a mode (tests/layers.sh)"
		bad=$((bad + 1)) ;;
	esac
done
if [ "$n" -lt 100 ]; then
	echo "FAIL: layers: only $n includes read (the parser is broken?)"
	bad=$((bad + 1))
fi
[ "$bad" -eq 0 ] && echo "PASS: layers: $n includes in src/ follow lib < procfs < sym, probe < modes, and no mode includes another"
exit 0
