#!/usr/bin/env python3
"""numpy's per-column statistics over a float32 [rows, cols] array, timed.

Prints one line per call, "name seconds", then "total seconds": the median of
`reps` runs each. Used by bench_stats_cpu as the peer in the same run."""
import sys
import time

try:
    import numpy as np
except ImportError:
    print("numpy-missing")
    sys.exit(0)


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    rows, cols, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    x = np.random.default_rng(1).standard_normal((rows, cols), dtype=np.float32)
    calls = [
        ("mean", lambda: x.mean(axis=0)),
        ("var", lambda: x.var(axis=0)),
        ("active", lambda: (x > 0).mean(axis=0)),
        ("max", lambda: x.max(axis=0)),
    ]
    total = 0.0
    for name, fn in calls:
        fn()  # warm-up
        t = median_time(fn, reps)
        total += t
        print(f"{name} {t:.6f}")
    print(f"total {total:.6f}")


if __name__ == "__main__":
    main()
