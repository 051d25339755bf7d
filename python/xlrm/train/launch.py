"""Train one ``train-rm`` unit from its spec file, in this process or in each process that
``accelerate launch -m xlrm.train.launch SPEC`` starts (the stage itself stays in one process:
only the training of a unit is distributed). Rank 0 writes ``metrics.json`` beside the spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq


def train_from_spec(spec_path: str | Path) -> dict:
    from xlrm.models import ModelOptions
    from xlrm.train.rm_train import train_reward_model
    from xlrm.train.tokenize import TokenizeConfig

    spec_path = Path(spec_path)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    val = pq.read_table(spec["val"])
    metrics = train_reward_model(
        pq.read_table(spec["train"]),
        val if val.num_rows else None,
        opts=ModelOptions(**spec["model"]),
        training=spec["training"],
        tokenize=TokenizeConfig(**spec["tokenize"]),
        out_dir=spec["out_dir"],
        train_top_blocks=spec["train_top_blocks"],
        lora=spec["lora"],
        gradient_checkpointing=spec["gradient_checkpointing"],
        progress=spec["progress"],
    )
    metrics = {**metrics, "unit": spec["unit"]}
    if _is_main_process():
        out = spec_path.parent / "metrics.json"
        tmp = out.with_suffix(".part")
        tmp.write_text(json.dumps(metrics, indent=1, default=str), encoding="utf-8")
        tmp.replace(out)
    return metrics


def _is_main_process() -> bool:
    import os

    return int(os.environ.get("RANK", "0")) == 0


if __name__ == "__main__":
    train_from_spec(sys.argv[1])
