#!/usr/bin/env bash
# Fuzzes each /proc parser (src/procfs) for 20 s (libFuzzer + ASan + UBSan):
# one PASS/FAIL line per parser.  A longer run: scripts/fuzz 300.
source "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
if [ -n "${SKIP_FUZZ:-}" ]; then
	# the fuzz targets are built with ASan+UBSan already: once per CI run
	echo "why-fuzz: not run again in the sanitizer pass"
	exit 0
fi
if ! command -v "${CLANG:-clang}" >/dev/null; then
	fail "fuzz" "clang not installed"
	exit 0
fi
scripts/fuzz "${WHY_FUZZ_SECONDS:-20}" | sed 's/^\(PASS\|FAIL\): fuzz: /\1: why-fuzz: /'
