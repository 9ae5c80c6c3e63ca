"""Runs argv once under GNU time with output discarded; prints its wall time
in ms and the program's peak resident memory in KiB. GNU time, not this
python, forks the program: a child forked from python would carry python's
own memory into its peak."""
import subprocess
import sys
import time

start = time.perf_counter()
result = subprocess.run(["/usr/bin/time", "-f", "%M", *sys.argv[1:]], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, text=True, check=True)
elapsed = (time.perf_counter() - start) * 1000
print(f"{elapsed:.1f} {result.stderr.strip().splitlines()[-1]}")
