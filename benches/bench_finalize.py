"""``GramAccumulator.finalize()`` alone (the eigenvalues of the ``d × d`` scatter matrix, a fixed
``O(d³)`` cost whatever ``n``) against ``numpy.linalg.eigvalsh`` (LAPACK) on the same matrix.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python \\
        python benches/bench_finalize.py [--d 1024 2048 3072] [--repeats 3]
"""

from __future__ import annotations

import argparse

import numpy as np

from common import machine_line, timed
from xlrm import stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", type=int, nargs="+", default=[1024, 2048, 3072])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine_line()}", flush=True)
    for d in args.d:
        x = np.random.default_rng(0).standard_normal((d + 500, d), dtype=np.float32)
        acc = stats.GramAccumulator(d).update(x)
        scatter = acc.scatter()
        t_x, _ = timed(acc.finalize, args.repeats)
        t_np, _ = timed(lambda s=scatter: np.linalg.eigvalsh(s), args.repeats)
        got = acc.finalize().singular_values ** 2
        want = np.sort(np.linalg.eigvalsh(scatter))[::-1][: len(got)]
        err = float(np.max(np.abs(got - np.clip(want, 0, None))) / want[0])
        print(
            f"d={d}: xlrm finalize {t_x:.2f}s, numpy eigvalsh {t_np:.2f}s "
            f"(xlrm/numpy {t_x / t_np:.2f}), max |Δλ|/λ₁ {err:.1e}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
