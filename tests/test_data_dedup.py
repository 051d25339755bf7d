"""Dedup on the `data` stage's output, and the built-in set's train/eval separation seen by it."""

import pyarrow.parquet as pq

from xlrm.config import from_dict
from xlrm.data import builtin
from xlrm.data.config import DataConfig
from xlrm.data.schema import pairs_to_table
from xlrm.data.stage import run_data
from xlrm.dedup import DedupConfig, dedup_table
from xlrm.dedup.stage import run_dedup


def test_builtin_train_and_eval_do_not_overlap():
    langs = ("en", "es", "it", "ko", "zh")
    train = pairs_to_table(builtin.generate(languages=langs, split="train", per_section=150))
    evals = pairs_to_table(builtin.generate(languages=langs, split="eval", per_section=150))
    res = dedup_table(train, DedupConfig(on="prompt", threshold=0.8), {"builtin-eval": evals})
    assert res.counts["removed_by_reason"]["contamination"] == 0
    # the same check finds a planted leak: eval prompts copied into training
    leaked = pairs_to_table(evals.slice(0, 7).to_pylist() + train.to_pylist())
    res = dedup_table(leaked, DedupConfig(on="prompt", threshold=0.8), {"builtin-eval": evals})
    assert res.counts["removed_by_reason"]["contamination"] >= 7


def test_dedup_stage_on_the_data_stage_output_accounts_for_every_row(tmp_path):
    cfg = from_dict(
        DataConfig,
        {
            "sources": [
                {"builtin": "train", "languages": ["en", "ko"], "per_section": 10},
                {"builtin": "train", "languages": ["en", "ko"], "per_section": 10, "name": "again"},
            ],
            "out": str(tmp_path / "data"),
        },
    )
    data = run_data(cfg)
    dcfg = from_dict(DedupConfig, {"eval_sets": ["builtin:eval"], "out": str(tmp_path / "dedup")})
    m = run_dedup(dcfg, [str(tmp_path / "data")])
    d = m["counts"]
    assert d["in"] == data["counts"]["out"] == 160 and d["kept"] + d["removed"] == 160
    assert d["dropped_by_reason"]["exact"] >= 80  # the second source repeats the first
    assert d["contamination_by_eval_set"] == {"builtin-eval": 0}
    removed = pq.read_table(tmp_path / "dedup" / "removed.parquet")
    assert removed.num_rows == d["removed"] == sum(d["dropped_by_reason"].values())
    assert set(removed.column("kind").to_pylist()) <= {"exact", "near"}
    assert pq.read_table(tmp_path / "dedup" / "kept.parquet").num_rows == d["kept"] == d["out"]
