"""Hidden-state spectra: xlrm's streaming Gram + eigendecomposition against the tools a user
would otherwise reach for, side by side in one run.

Contenders for an ``n × d`` float32 matrix ``X`` (what ``xlrm analyze`` needs: the singular
values of the centred matrix):

- ``xlrm``: ``GramAccumulator(d)`` fed ``X`` in chunks of ``--chunk`` rows (as a model's
  batches would arrive), then ``finalize()`` (centred singular values); its accumulate and
  finalize times are reported apart. Memory is bounded by ``d × d`` whatever ``n`` is; with
  ``n ≤ d`` (``--small``) the rows are kept and the spectrum comes from their ``n × n`` Gram;
- ``xlrm-dense`` (``n ≤ d`` only): the same with ``small_n=False``, the streaming ``d × d``
  path that every group took before the small-n path existed;
- ``xlrm-exact``: f64 products (``--exact``; slower, for reference);
- ``numpy-syrk``: the bare product ``X.T @ X`` of the f32 matrix (made before the clock starts;
  numpy hands ``A.T @ A`` to BLAS syrk): the floor, the least any Gram-based method can pay.
  It neither centres nor decomposes, so it is below what the task needs;
- ``numpy-centred``: ``Xc = X - X.mean(0)`` then ``Xc.T @ Xc``: the floor plus the copy that
  centring in numpy costs (what a user of numpy would write);
- ``numpy-svd``: ``numpy.linalg.svd(X - mean, compute_uv=False)``;
- ``torch-svdvals``: ``torch.linalg.svdvals`` on CPU.

Ratios are times over the bare product's, measured in the same run: ``accumulate / syrk`` and
``(accumulate + finalize) / syrk``.

The SVD contenders are capped by a time budget: their cost is predicted from the fastest SVD
rate seen so far (``4nd² − 4d³/3`` flops) and a case predicted over ``--budget`` seconds is
reported as skipped. Peak memory is the peak RSS above the RSS before each contender
(``/proc/self/clear_refs``), so the input matrix itself is not counted.

Run (OpenBLAS's tuning variables in this environment slow numpy down; unset them)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python \\
        python benches/bench_stats.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from common import machine, machine_line, measure

SIZES_N = (10_000, 50_000, 200_000)
SIZES_D = (1024, 2048, 3072)
QUICK_N = (10_000, 50_000)
QUICK_D = (1024, 2048)
SMALL_N = (200, 1000, 2048)  # probe rows of one (model, layer, language) group: n ≤ d
SMALL_D = (2048,)


def report(n: int, d: int, name: str, entry: dict) -> None:
    extra = f" ({entry['gram_gflops']:.0f} GFLOP/s Gram)" if "gram_gflops" in entry else ""
    if "accumulate_s" in entry:
        extra += f" [accumulate {entry['accumulate_s']:.2f}s + finalize {entry['finalize_s']:.2f}s]"
    peak = entry.get("peak_extra_mib")
    mem = f", peak +{peak:.0f} MiB" if peak is not None else ""
    print(f"n={n:>7} d={d:>5} {name:<14} {entry['seconds']:8.2f}s{extra}{mem}", flush=True)


def nominal_peak_gflops() -> float | None:
    """f32 peak at the reported clock: cores × GHz × flops per cycle (two FMA pipes of 8 lanes
    with AVX2, of 16 with AVX-512). A nominal ceiling, not a measurement."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    mhz = [float(line.split(":")[1]) for line in info.splitlines() if line.startswith("cpu MHz")]
    flags = next((line for line in info.splitlines() if line.startswith("flags")), "")
    if not mhz or " fma" not in flags:
        return None
    per_cycle = 64 if " avx512f" in flags else 32 if " avx2" in flags else 16
    return len(mhz) * (sum(mhz) / len(mhz)) / 1e3 * per_cycle


def make_matrix(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Hidden-state-like rows: decaying column scales and a common offset."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, d), dtype=np.float32)
    scale = np.geomspace(3.0, 0.05, d).astype(np.float32)
    offset = rng.standard_normal(d).astype(np.float32)
    step = 8192
    for i in range(0, n, step):
        block = rng.standard_normal((min(step, n - i), d), dtype=np.float32)
        block *= scale
        block += offset
        x[i : i + step] = block
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"n in {QUICK_N}, d in {QUICK_D}")
    ap.add_argument("--small", action="store_true", help=f"the small-n grid: n in {SMALL_N}, d in {SMALL_D}")
    ap.add_argument("--n", type=int, nargs="+", help="row counts (overrides the grid)")
    ap.add_argument("--d", type=int, nargs="+", help="widths (overrides the grid)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per contender (median reported)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds an SVD contender may take per case")
    ap.add_argument("--chunk", type=int, default=8192, help="rows per update() call")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds of idle before each timed run")
    ap.add_argument("--exact", action="store_true", help="also time xlrm's exact (f64) mode")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-svd", action="store_true", help="only the Gram-based contenders")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)

    from xlrm import stats

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None
    ns = args.n or (SMALL_N if args.small else QUICK_N if args.quick else SIZES_N)
    ds = args.d or (SMALL_D if args.small else QUICK_D if args.quick else SIZES_D)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"warning: {var} is set; numpy may be slower than usual (run with env -u {var})")
    host = machine()
    info = host | {
        "numpy": np.__version__,
        "torch": getattr(torch, "__version__", None),
        "torch_threads": torch.get_num_threads() if torch else None,
        "nominal_peak_f32_gflops": nominal_peak_gflops(),
    }
    print(
        f"# {machine_line(host)}; numpy {info['numpy']}, torch {info['torch']} "
        f"({info['torch_threads']} threads), nominal f32 peak {info['nominal_peak_f32_gflops']} GFLOP/s"
    )
    rates: dict[str, float] = {}  # best observed SVD flop rate per contender
    rows = []

    def svd_flops(n: int, d: int) -> float:
        k = min(n, d)
        return 4.0 * max(n, d) * k * k - 4.0 * k**3 / 3.0

    for d in ds:
        for n in ns:
            x = make_matrix(n, d)
            gram_flops = float(n) * d * d  # symmetric product: n·d(d+1)/2 multiply-adds
            case: dict = {"n": n, "d": d, "results": {}}

            def xlrm_run(exact: bool, small_n: bool = True, x=x, d=d):
                acc = stats.GramAccumulator(d, exact=exact, small_n=small_n)
                t = time.perf_counter()
                for i in range(0, x.shape[0], args.chunk):
                    acc.update(x[i : i + args.chunk])
                t_acc = time.perf_counter() - t
                res = acc.finalize()
                return res, t_acc

            contenders = [("xlrm", lambda: xlrm_run(False))]
            if n <= d:
                contenders.append(("xlrm-dense", lambda: xlrm_run(False, small_n=False)))
            if args.exact:
                contenders.append(("xlrm-exact", lambda: xlrm_run(True)))

            def numpy_syrk(x=x):
                return x.T @ x

            def numpy_centred(x=x):
                xc = x - x.mean(axis=0)
                return xc.T @ xc

            def numpy_svd(x=x):
                return np.linalg.svd(x - x.mean(axis=0), compute_uv=False)

            contenders += [("numpy-syrk", numpy_syrk), ("numpy-centred", numpy_centred)]
            if not args.no_svd:
                contenders.append(("numpy-svd", numpy_svd))
            if torch is not None and not args.no_svd:

                def torch_svd(x=x):
                    t = torch.from_numpy(x)
                    return torch.linalg.svdvals(t - t.mean(0)).numpy()

                contenders.append(("torch-svdvals", torch_svd))

            # Gram-based contenders run interleaved, `repeats` rounds (load on a shared machine then
            # hits all of them alike), each after a short pause so that thread pools spinning after
            # the previous contender (OpenBLAS, OpenMP) are idle. SVDs run once, last.
            fast = [(nm, f) for nm, f in contenders if nm not in ("numpy-svd", "torch-svdvals")]
            slow = [(nm, f) for nm, f in contenders if nm in ("numpy-svd", "torch-svdvals")]
            timings: dict[str, list] = {nm: [] for nm, _ in contenders}
            peaks: dict[str, float | None] = {}
            for rnd in range(args.repeats):
                for name, fn in fast:
                    time.sleep(args.pause)
                    t, peak, out = measure(fn, 1, track_peak=rnd == 0)
                    timings[name].append((t, out if name.startswith("xlrm") else None))
                    del out
                    if rnd == 0:
                        peaks[name] = peak
            reference = None
            for name, _ in fast:
                runs = timings[name]
                t = statistics.median(r[0] for r in runs)
                entry: dict = {"seconds": t, "peak_extra_mib": peaks[name], "runs": [r[0] for r in runs]}
                if name.startswith("xlrm"):
                    t_acc = statistics.median(r[1][1] for r in runs)
                    entry.update(
                        accumulate_s=t_acc, finalize_s=t - t_acc, gram_gflops=gram_flops / t_acc / 1e9
                    )
                    if name == "xlrm":
                        reference = runs[0][1][0].singular_values
                else:
                    entry["gram_gflops"] = gram_flops / t / 1e9
                case["results"][name] = entry
                report(n, d, name, entry)
            for name, fn in slow:
                if name in rates:
                    est = svd_flops(n, d) / rates[name]
                    if est > args.budget:
                        case["results"][name] = {
                            "skipped": f"predicted {est:.0f}s > budget {args.budget:.0f}s"
                        }
                        print(f"n={n:>7} d={d:>5} {name:<14} skipped (predicted {est:.0f}s)")
                        continue
                time.sleep(args.pause)
                t, peak, out = measure(fn, 1)
                rates[name] = max(rates.get(name, 0.0), svd_flops(n, d) / t)
                entry = {"seconds": t, "peak_extra_mib": peak}
                sv = np.asarray(out, dtype=np.float64)
                if reference is not None:
                    k = min(len(sv), len(reference))
                    entry["max_rel_err_sigma2"] = float(
                        np.max(np.abs(reference[:k] ** 2 - sv[:k] ** 2)) / sv[0] ** 2
                    )
                case["results"][name] = entry
                report(n, d, name, entry)
            res = case["results"]
            base = res["xlrm"]["seconds"]
            for name, entry in res.items():
                if "seconds" in entry and name != "xlrm":
                    entry["ratio_vs_xlrm"] = entry["seconds"] / base
            floor = res["numpy-syrk"]["seconds"]
            case["vs_syrk"] = {
                "accumulate": res["xlrm"]["accumulate_s"] / floor,
                "accumulate_finalize": base / floor,
                "numpy_centred": res["numpy-centred"]["seconds"] / floor,
            }
            ratios = ", ".join(
                f"{k} {v['ratio_vs_xlrm']:.2f}x" for k, v in res.items() if "ratio_vs_xlrm" in v
            )
            print(f"n={n:>7} d={d:>5} time / xlrm time: {ratios}", flush=True)
            v = case["vs_syrk"]
            print(
                f"n={n:>7} d={d:>5} / X.T@X: xlrm accumulate {v['accumulate']:.2f}x, accumulate + finalize "
                f"{v['accumulate_finalize']:.2f}x, numpy centred {v['numpy_centred']:.2f}x",
                flush=True,
            )
            rows.append(case)
            del x
            gc.collect()
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "cases": rows}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
