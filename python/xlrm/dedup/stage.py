"""`xlrm dedup`: exact and near-duplicate removal and eval decontamination of pair files."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow.parquet as pq

from xlrm.config import add_config_arguments, config_from_args, to_dict
from xlrm.data.pairfile import eval_set_names, pair_files, read_pairs
from xlrm.dedup.config import DedupConfig
from xlrm.dedup.core import dedup_table
from xlrm.manifest import StageResult, file_sha256, run_stage

HELP = "Exact and near-duplicate removal and eval decontamination (Rust)"
log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="pair files in the xlrm schema (.parquet, .jsonl[.gz], .json) or folders of them, concatenated in order",
    )
    parser.add_argument(
        "--out", required=True, help="output folder: kept.parquet, removed.parquet, manifest.json"
    )
    parser.add_argument("--config", help="YAML file (a DedupConfig, or a pipeline config's `dedup:` section)")
    parser.add_argument("--force", action="store_true", help="rerun even if inputs and config are unchanged")
    add_config_arguments(parser, DedupConfig)


def run_dedup(inputs: list[str], cfg: DedupConfig, out: str | Path, *, force: bool = False) -> dict:
    """Reads ``inputs`` (and ``cfg.eval_sets``), writes ``out/{kept,removed}.parquet`` and the manifest."""
    cfg.validate()
    paths = [f for p in inputs for f in pair_files(p)]
    eval_paths = [Path(p) for p in cfg.eval_sets]
    eval_files = [f for p in eval_paths for f in pair_files(p)]

    def work(tmp: Path) -> StageResult:
        table = read_pairs(paths)
        evals = {name: read_pairs(p) for name, p in zip(eval_set_names(eval_paths), eval_paths, strict=True)}
        res = dedup_table(table, cfg, evals or None)
        pq.write_table(res.kept, tmp / "kept.parquet")
        pq.write_table(res.removed, tmp / "removed.parquet")
        extra = {
            "outputs": {"kept": "kept.parquet", "removed": "removed.parquet"},
            "eval_sets": {n: str(p) for n, p in zip(evals, eval_paths, strict=True)},
        }
        return StageResult(res.counts, extra)

    config = to_dict(cfg)
    config.pop("threads")  # does not change the result
    inputs_fp = [{"path": str(p), "sha256": file_sha256(p), "role": "input"} for p in paths]
    inputs_fp += [{"path": str(p), "sha256": file_sha256(p), "role": "eval"} for p in eval_files]
    return run_stage("dedup", out, config=config, inputs=inputs_fp, work=work, force=force)


def run(args) -> int:
    cfg = config_from_args(DedupConfig, args, section="dedup")
    m = run_dedup(args.inputs, cfg, args.out, force=args.force)
    c = m["counts"]
    state = "unchanged, skipped" if m.get("skipped") else f"{m['wall_time_s']}s"
    print(f"dedup: {c['rows_in']} rows in, {c['kept']} kept, {c['removed']} removed ({state}) -> {args.out}")
    for reason, n in c["removed_by_reason"].items():
        print(f"  removed {n:8d}  {reason}")
    for name, n in c.get("contamination_by_eval_set", {}).items():
        print(f"  contaminated by {name}: {n}")
    return 0
