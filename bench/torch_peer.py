#!/usr/bin/env python3
"""Add PyTorch to the GPU benchmark table: for every row of bench_stats_gpu's CSV,
time torch.var_mean, (x > 0).float().mean and amax over the same shape, layout and
dtype (the same set of statistics), and write a CSV with a torch column.

    python3 bench/torch_peer.py IN.csv OUT.csv

Without PyTorch or a GPU it says so and copies nothing."""
import csv
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    try:
        import torch
    except ImportError:
        print("torch_peer: PyTorch is not installed; no torch column")
        return 0
    if not torch.cuda.is_available():
        print("torch_peer: no CUDA device; no torch column")
        return 0
    rows = list(csv.DictReader(open(sys.argv[1])))
    dtypes = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")

    def median_ms(fn, reps=7):
        times = []
        fn()
        for _ in range(reps):
            flush.zero_()
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
        return sorted(times)[len(times) // 2]

    out = []
    for r in rows:
        dt = dtypes[r["dtype"]]
        n = int(float(r["bytes"])) // torch.tensor([], dtype=dt).element_size()
        if r["layout"] == "rows":
            x, dims = torch.randn(n // 1024, 1024, device="cuda", dtype=dt), (0,)
        elif r["layout"] == "nhwc":
            x, dims = torch.randn(n // 256, 256, device="cuda", dtype=dt), (0,)
        else:
            x, dims = torch.randn(n // (64 * 3136), 64, 3136, device="cuda", dtype=dt), (0, 2)

        def stats():
            torch.var_mean(x, dim=dims, unbiased=False)
            (x > 0).float().mean(dim=dims)
            x.amax(dim=dims)

        t = median_ms(stats)
        r = dict(r)
        r["torch_ms"] = f"{t:.4f}"
        r["torch_ratio"] = f"{t / float(r['ms']):.2f}"
        out.append(r)
        print(f"{r['layout']:6} {r['dtype']:5} {float(r['bytes']):10.3g}  torch {t:9.3f} ms  "
              f"cubias {float(r['ms']):9.3f} ms  torch/cubias {t / float(r['ms']):6.2f}x")
        del x
    with open(sys.argv[2], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
