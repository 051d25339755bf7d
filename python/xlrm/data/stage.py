"""`xlrm data`: ingest preference data into the schema and write it with a manifest."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from xlrm.config import fingerprinted
from xlrm.data.config import DataConfig, SourceConfig
from xlrm.data.ingest import ingest
from xlrm.manifest import Output, StageResult, describe_path, run_stage

log = logging.getLogger(__name__)


def _histogram(table, column: str) -> dict[str, int]:
    values = table.column(column).to_pylist()
    return dict(Counter("null" if v is None else v for v in values).most_common())


def _source_inputs(src: SourceConfig) -> list[dict]:
    """What identifies a source's content, without reading it: file hashes, or the hub id."""
    if src.path is not None:
        from xlrm.data.records import expand_paths

        return [describe_path(f) for f in expand_paths(src.path)]
    if src.hub is not None:
        return [{"hub": src.hub, "split": src.split, "config_name": src.config_name}]
    return []  # the built-in generator: its settings are in the config


def run_data(cfg: DataConfig, inputs: list[str] = ()) -> dict:
    """Ingest ``cfg.sources`` plus ``inputs`` (paths) into ``cfg.out``."""
    if inputs:
        cfg = replace(cfg, sources=[*cfg.sources, *(SourceConfig(path=str(p)) for p in inputs)])
    if not cfg.sources:
        from xlrm.errors import ConfigError

        raise ConfigError("data: no sources: give input files on the command line or a `sources:` list")

    def work(ws) -> StageResult:
        tmp: Path = ws.path
        res = ingest(cfg)
        res.check_accounting()  # before anything is written: a lost row is a bug, not a result
        table = res.table
        pq.write_table(table, tmp / "pairs.parquet")
        # backslashreplace: a detail may quote a lone surrogate from the input
        with open(tmp / "dropped.jsonl", "w", encoding="utf-8", errors="backslashreplace") as f:
            for p in res.problems:
                f.write(json.dumps(p.as_dict(), ensure_ascii=False) + "\n")
        counts = {
            "in": res.rows_in,
            "out": table.num_rows,
            "dropped_by_reason": res.drop_counts(),
            "per_source": res.per_source,
        }
        extra = {
            "histograms": {k: _histogram(table, k) for k in ("language", "source", "category")},
            "language_tagging": {
                "method_counts": dict(res.language_method),
                "detector": _detector_name() if res.language_method.get("detected") else None,
            },
            "input_files": res.inputs,
        }
        outputs = [
            Output("pairs.parquet", "pairs", table.num_rows),
            Output("dropped.jsonl", "dropped", len(res.problems)),
        ]
        return StageResult(counts, outputs, extra)

    described = [d for s in cfg.sources for d in _source_inputs(s)]
    paths = [s.path for s in cfg.sources if s.path is not None]
    return run_stage(
        "data",
        cfg.out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[d["path"] for d in described if "path" in d] or paths,
    )


def _detector_name() -> str:
    from xlrm.data.langid import detector_name

    return detector_name()
