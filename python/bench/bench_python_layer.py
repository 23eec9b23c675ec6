"""What the Python layer costs over the C call, on the same data in the same run.

    python python/bench/bench_python_layer.py [--mb 64] [--reps 5]

1. Per call on a small tensor ([4, 8] f32): cubias.Stats.accumulate (the package:
   array view, checks, struct fill, ctypes call), the raw ctypes call with a
   prepared struct, and cubias_stats_accumulate in a C loop (python/bench/c_loop.c,
   compiled here with cc against include/cubias.h and loaded into this process,
   called on the same handle, statistics and view).
2. The statistics pass over a --mb MB NumPy f32 array [N, 256]: Stats.accumulate vs the
   C loop on the same array. Median of --reps runs each. CPU backend.
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

import cubias
from cubias import _lib
from cubias._stats import tensor_struct
from cubias._arrays import view

HERE = os.path.dirname(os.path.abspath(__file__))


def c_loop():
    tmp = tempfile.mkdtemp()
    so = os.path.join(tmp, "c_loop.so")
    subprocess.check_call([os.environ.get("CC", "cc"), "-O2", "-shared", "-fPIC", "-I",
                           os.path.dirname(_lib.HEADER_PATH), os.path.join(HERE, "c_loop.c"),
                           "-o", so])
    lib = ctypes.CDLL(so)
    fn = lib.cubias_bench_accumulate_ns
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                   ctypes.POINTER(ctypes.c_int)]
    fn.restype = ctypes.c_double
    acc = ctypes.cast(_lib.lib.cubias_stats_accumulate, ctypes.c_void_p)
    return lambda *a: fn(acc, *a)


def per_call(fn, reps):
    t0 = time.perf_counter_ns()
    for _ in range(reps):
        fn()
    return (time.perf_counter_ns() - t0) / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    cfn = c_loop()
    st = ctypes.c_int()

    small = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    s = cubias.Stats(8)
    t = tensor_struct(view(small))
    raw = _lib.lib.cubias_stats_accumulate
    h, sp, tp = s.handle.ptr, s.ptr, ctypes.byref(t)
    n = 20000
    rows = []
    for _ in range(args.reps):
        rows.append((per_call(lambda: s.accumulate(small), n),
                     per_call(lambda: raw(h, sp, tp), n),
                     cfn(h, sp, ctypes.byref(t), n, ctypes.byref(st))))
    pkg, rawc, cc = (statistics.median(r[i] for r in rows) for i in range(3))
    print("small tensor [4, 8] f32, ns per call (median of %d x %d calls):" % (args.reps, n))
    print("  cubias.Stats.accumulate  %8.0f ns" % pkg)
    print("  raw ctypes call          %8.0f ns" % rawc)
    print("  C loop                   %8.0f ns" % cc)
    print("  Python layer over C      %8.0f ns" % (pkg - cc))

    n_rows = args.mb * (1 << 20) // (256 * 4)
    big = np.random.default_rng(1).normal(size=(n_rows, 256)).astype(np.float32)
    s = cubias.Stats(256)
    t = tensor_struct(view(big))
    py, c = [], []
    for _ in range(args.reps):
        t0 = time.perf_counter_ns()
        s.accumulate(big)
        py.append(time.perf_counter_ns() - t0)
        c.append(cfn(s.handle.ptr, s.ptr, ctypes.byref(t), 1, ctypes.byref(st)))
    assert st.value == 0
    gb = big.nbytes / 1e9
    mp, mc = statistics.median(py), statistics.median(c)
    print("statistics pass, %d MB f32 [%d, 256], median of %d:" % (args.mb, n_rows, args.reps))
    print("  cubias.Stats.accumulate  %8.2f ms  %6.2f GB/s" % (mp / 1e6, gb / (mp / 1e9)))
    print("  C call                   %8.2f ms  %6.2f GB/s" % (mc / 1e6, gb / (mc / 1e9)))
    print("  difference               %8.3f ms  (%+.2f %%)" % ((mp - mc) / 1e6, 100 * (mp - mc) / mc))


if __name__ == "__main__":
    main()
