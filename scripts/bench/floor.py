#!/usr/bin/python3
# The floor for scripts/bench-user: an empty uprobe + uretprobe pair on
# libc's malloc in one process, i.e. what the traps alone cost.  bcc rather
# than bpftrace because bcc attaches library uprobes to the one pid, while
# bpftrace 0.17 attaches them system-wide even with -p.  The BPF programs
# do nothing.  Needs BCC_KERNEL_SOURCE (scripts/bcc-headers) and Debian's
# python3-bpfcc, hence /usr/bin/python3 rather than whatever is on PATH.
#   bcc-run floor.py PID [FREE_OFF]
# runs until SIGTERM/SIGINT (bcc-run: see there).  FREE_OFF adds an empty
# uprobe at free+FREE_OFF: the traps alone at another tracer's hook sites.
# The malloc pair stays at malloc+0: an entry probe and a return probe at
# one address share one trap, and a return probe must sit where the return
# address is on top of the stack.
import os
import signal
import sys

from bcc import BPF

if not 2 <= len(sys.argv) <= 3 or not all(a.isdigit() for a in sys.argv[1:]):
    sys.exit("usage: floor.py PID [FREE_OFF]")
pid = int(sys.argv[1])
b = BPF(text="int empty(void *ctx) { return 0; }")
b.attach_uprobe(name="c", sym="malloc", fn_name="empty", pid=pid)
b.attach_uretprobe(name="c", sym="malloc", fn_name="empty", pid=pid)
if len(sys.argv) > 2:
    b.attach_uprobe(name="c", sym="free", sym_off=int(sys.argv[2]), fn_name="empty", pid=pid)
print("attached", flush=True)
# Closing the perf fds at exit detaches the probes; bcc's own atexit
# cleanup would only fail on the uprobe_events file of an unmounted tracefs.
for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, lambda *_: os._exit(0))
while True:
    signal.pause()
