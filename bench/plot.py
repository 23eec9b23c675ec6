#!/usr/bin/env python3
"""Draw GB/s against size for cubias and every peer in a benchmark CSV.

    python3 bench/plot.py IN.csv OUT.png

GB/s of a peer is computed from the same bytes as cubias's (the input read once)."""
import csv
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib is not installed; no plot")
        return 0
    rows = list(csv.DictReader(open(sys.argv[1])))
    impls = [("ms", "cubias"), ("naive_ms", "one block per channel"), ("cublas_ms", "cuBLAS gemv + pass"),
             ("cudnn_ms", "cuDNN BN training"), ("torch_ms", "PyTorch var_mean+mean+amax")]
    groups = sorted({(r["layout"], r["dtype"]) for r in rows})
    fig, axes = plt.subplots(1, len(groups), figsize=(4 * len(groups), 3.6), squeeze=False)
    for ax, (layout, dtype) in zip(axes[0], groups):
        sel = sorted((r for r in rows if r["layout"] == layout and r["dtype"] == dtype),
                     key=lambda r: float(r["bytes"]))
        for key, label in impls:
            pts = [(float(r["bytes"]), float(r["bytes"]) / (float(r[key]) * 1e-3) / 1e9)
                   for r in sel if key in r and r[key] not in ("", "nan")]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_title(f"{layout} {dtype}")
        ax.set_xlabel("bytes")
        ax.set_ylabel("GB/s")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"plot: wrote {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
