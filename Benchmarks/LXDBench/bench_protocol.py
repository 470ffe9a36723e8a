"""The line protocol between lxd-bench and its Python sides (raw_rest.py, pylxd_bench.py).

lxd-bench writes one command a line on standard input, `SCENARIO N`; the side runs N calls
of that scenario, timing them itself with a monotonic clock, and answers one line: the
nanoseconds they took (or, when the scenario returns a number, that number), or `ERR message`. `quit` or the end of input ends it. Timing inside the
side keeps the pipe's round trip out of the measurement, as the Swift side times itself.
"""

import sys
import time


def serve(scenarios):
    """Answers lxd-bench's commands with `scenarios[name](n)` timed, until the end of input."""
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        try:
            name, count = words[0], int(words[1])
            run = scenarios[name]
            cpu = time.process_time_ns()
            start = time.perf_counter_ns()
            timed = run(count)
            # A scenario that retried a call returns the nanoseconds of the calls that counted.
            elapsed = timed if timed is not None else time.perf_counter_ns() - start
            cpu = time.process_time_ns() - cpu
            out.write(f"{elapsed} {cpu}\n")
        except Exception as error:  # reported to lxd-bench, which stops the run
            message = f"{type(error).__name__}: {error}".replace("\n", " ")
            out.write(f"ERR {message}\n")
        out.flush()
