"""`xlrm dedup`: exact and near-duplicate removal and eval decontamination of pair files."""

from __future__ import annotations

import logging

import pyarrow.parquet as pq

from xlrm.config import fingerprinted
from xlrm.data.pairfile import eval_set_names, pair_files, read_pairs
from xlrm.dedup.config import DedupConfig
from xlrm.dedup.core import dedup_table
from xlrm.manifest import Output, StageResult, describe_path, run_stage

log = logging.getLogger(__name__)
BUILTIN_EVAL = "builtin:eval"
#: A large draw of the built-in set's held-out templates, so any overlap with training shows.
BUILTIN_EVAL_PER_SECTION = 200


def _builtin_eval(table):
    """The built-in eval split in the languages of ``table`` it covers."""
    from xlrm.data import builtin
    from xlrm.data.builtin.core import LANGUAGES as BUILTIN_LANGUAGES
    from xlrm.data.schema import pairs_to_table

    langs = sorted(set(table.column("language").to_pylist()) & set(BUILTIN_LANGUAGES)) or ["en"]
    rows = builtin.generate(languages=tuple(langs), split="eval", per_section=BUILTIN_EVAL_PER_SECTION)
    return pairs_to_table(rows)


def run_dedup(cfg: DedupConfig, inputs: list[str]) -> dict:
    """Reads ``inputs`` (and ``cfg.eval_sets``), writes ``{kept,removed}.parquet`` and the manifest."""
    cfg.validate()
    paths = [f for p in inputs for f in pair_files(p)]
    eval_paths = [e for e in cfg.eval_sets if e != BUILTIN_EVAL]
    eval_files = {name: pair_files(p) for name, p in zip(eval_set_names(eval_paths), eval_paths, strict=True)}

    def work(ws) -> StageResult:
        table = read_pairs(paths)
        evals = {name: read_pairs(files) for name, files in eval_files.items()}
        if BUILTIN_EVAL in cfg.eval_sets:
            evals["builtin-eval"] = _builtin_eval(table)
        res = dedup_table(table, cfg, evals or None)
        pq.write_table(res.kept, ws.path / "kept.parquet")
        pq.write_table(res.removed, ws.path / "removed.parquet")
        log.info("dedup: %d of %d rows kept", res.kept.num_rows, table.num_rows)
        counts = dict(res.counts)
        counts.pop("rows_in")
        by_reason = {k: v for k, v in counts.pop("removed_by_reason").items() if v}
        counts = {"in": table.num_rows, "out": res.kept.num_rows, "dropped_by_reason": by_reason, **counts}
        outputs = [
            Output("kept.parquet", "pairs", res.kept.num_rows),
            Output("removed.parquet", "removed", res.removed.num_rows),
        ]
        return StageResult(
            counts, outputs, {"eval_sets": {n: [str(f) for f in fs] for n, fs in eval_files.items()}}
        )

    described = [describe_path(p) for p in paths]
    described += [describe_path(f, role="eval") for fs in eval_files.values() for f in fs]
    return run_stage(
        "dedup",
        cfg.out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[*inputs, *eval_paths],
    )
