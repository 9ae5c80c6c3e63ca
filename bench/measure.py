"""Runs argv once under GNU time with output discarded; prints its wall time
in ms, its CPU time (user + system, ms, 10 ms resolution) and the program's
peak resident memory in KiB. GNU time, not this python, forks the program:
a child forked from python would carry python's own memory into its peak.
Exit codes other than 0 and 1 (doctor's "a check failed") are errors."""
import subprocess
import sys
import time

start = time.perf_counter()
result = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *sys.argv[1:]], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, text=True)
elapsed = (time.perf_counter() - start) * 1000
last = result.stderr.strip().splitlines()[-1]
if result.returncode not in (0, 1):
    sys.exit(f"{' '.join(sys.argv[1:])} exited with {result.returncode}: {result.stderr.strip()}")
kib, user, system = last.split()
print(f"{elapsed:.1f} {(float(user) + float(system)) * 1000:.0f} {kib}")
