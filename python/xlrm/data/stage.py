"""`xlrm data`: ingest preference data into the schema and write it with a manifest."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from xlrm.config import add_config_arguments, config_from_args, to_dict
from xlrm.data.config import DataConfig
from xlrm.data.ingest import ingest
from xlrm.manifest import StageResult, fingerprint, run_stage

HELP = "Ingest preference data into the xlrm schema: adapt, validate, tag languages"
log = logging.getLogger(__name__)
BUILTIN_EVAL_PER_SECTION = 200


def add_arguments(parser) -> None:
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="files, folders or globs to ingest (added to the config's sources)",
    )
    parser.add_argument("--config", help="YAML file (a DataConfig, or a pipeline config's `data:` section)")
    add_config_arguments(parser, DataConfig)


def _histogram(table, column: str) -> dict[str, int]:
    values = table.column(column).to_pylist()
    return dict(Counter("null" if v is None else v for v in values).most_common())


def run_data(cfg: DataConfig) -> dict:
    def work(tmp: Path) -> StageResult:
        res = ingest(cfg)
        table, dedup_counts = res.table, None
        if cfg.dedup is not None:
            table, dedup_counts = _dedup(cfg, table, tmp)
        pq.write_table(table, tmp / "pairs.parquet")
        with open(tmp / "dropped.jsonl", "w", encoding="utf-8") as f:
            for p in res.problems:
                f.write(json.dumps(p.as_dict(), ensure_ascii=False) + "\n")
        counts = {
            "rows_in": res.rows_in,
            "pairs_out": table.num_rows,
            "dropped": len(res.problems),
            "dropped_by_reason": res.drop_counts(),
            "per_source": res.per_source,
        }
        if dedup_counts is not None:
            counts["dedup"] = dedup_counts
        extra = {
            "outputs": {"pairs": "pairs.parquet", "dropped": "dropped.jsonl"}
            | ({"removed": "removed.parquet"} if dedup_counts is not None else {}),
            "histograms": {k: _histogram(table, k) for k in ("language", "source", "category")},
            "language_tagging": {
                "method_counts": dict(res.language_method),
                "detector": _detector_name() if res.language_method.get("detected") else None,
            },
            "input_files": res.inputs,
        }
        return StageResult(counts, extra)

    config = to_dict(cfg)
    config.pop("force")
    # Source files are hashed inside the stage; the fingerprint also covers their paths and mtimes.
    inputs = [{"source": s, "stat": _stat(s.get("path"))} for s in config["sources"]]
    return run_stage("data", cfg.out, config=config, inputs=inputs, work=work, force=cfg.force)


def _eval_tables(cfg: DataConfig) -> dict:
    """Eval sets for decontamination: schema files, or `builtin:eval` for the built-in eval split
    in the languages of the config's built-in sources."""
    from xlrm.data.pairfile import eval_set_names, read_pairs

    tables = {}
    files = [e for e in cfg.dedup.eval_sets if e != "builtin:eval"]
    for name, path in zip(eval_set_names(files), files, strict=True):
        tables[name] = read_pairs(path)
    if "builtin:eval" in cfg.dedup.eval_sets:
        from xlrm.data import builtin
        from xlrm.data.schema import pairs_to_table

        langs = sorted({c for s in cfg.sources if s.builtin for c in s.languages}) or ["en"]
        # a large draw of the held-out templates, so any overlap with training would show
        rows = builtin.generate(languages=tuple(langs), split="eval", per_section=BUILTIN_EVAL_PER_SECTION)
        tables["builtin-eval"] = pairs_to_table(rows)
    return tables


def _dedup(cfg: DataConfig, table, tmp: Path):
    from xlrm.dedup import dedup_table

    res = dedup_table(table, cfg.dedup, _eval_tables(cfg) or None)
    pq.write_table(res.removed, tmp / "removed.parquet")
    log.info("dedup: %d of %d rows kept", res.kept.num_rows, table.num_rows)
    return res.kept, res.counts


def _stat(path: str | None):
    if path is None:
        return None
    from xlrm.data.records import expand_paths

    files = expand_paths(path)
    return fingerprint([[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files])


def _detector_name() -> str:
    from xlrm.data.langid import detector_name

    return detector_name()


def run(args) -> int:
    extra = {}
    if args.inputs:
        from xlrm.config import read_yaml

        base = read_yaml(args.config) if args.config else {}
        base = base.get("data", base) if isinstance(base.get("data"), dict) else base
        extra["sources"] = list(base.get("sources", [])) + [{"path": p} for p in args.inputs]
    cfg = config_from_args(DataConfig, args, section="data", extra=extra)
    m = run_data(cfg)
    c = m["counts"]
    state = "unchanged, skipped" if m.get("skipped") else f"{m['wall_time_s']}s"
    print(
        f"data: {c['rows_in']} rows in, {c['pairs_out']} pairs out, {c['dropped']} dropped ({state}) -> {cfg.out}"
    )
    for reason, n in c["dropped_by_reason"].items():
        print(f"  dropped {n:6d}  {reason}")
    print("  languages: " + ", ".join(f"{k}={v}" for k, v in m["histograms"]["language"].items()))
    return 0
