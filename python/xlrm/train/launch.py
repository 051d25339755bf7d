"""Train one ``train-rm`` unit from its spec file, in this process or in each process that
``accelerate launch -m xlrm.train.launch SPEC`` starts (the stage itself stays in one process:
only the training of a unit is distributed). Rank 0 writes ``metrics.json`` beside the spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

from xlrm.train.trainer_support import progress_bars, write_unit_metrics


def train_from_spec(spec_path: str | Path) -> dict:
    from xlrm.models import ModelOptions
    from xlrm.train.rm_train import train_reward_model
    from xlrm.train.tokenize import TokenizeConfig

    spec_path = Path(spec_path)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    val = pq.read_table(spec["val"])
    with progress_bars(spec["progress"]):
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
    write_unit_metrics(spec_path, metrics, "metrics.json")
    return metrics


if __name__ == "__main__":
    train_from_spec(sys.argv[1])
