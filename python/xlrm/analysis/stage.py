"""`xlrm analyze`: hidden-state spectra, collapse, norms and similarity to the base model."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path

from xlrm.analysis.config import AnalyzeConfig, parse_model_spec
from xlrm.config import fingerprinted
from xlrm.manifest import Output, StageResult, describe_path, run_stage

log = logging.getLogger(__name__)


def _progress(name: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(
            f"\r  {name}: {done}/{total} rows", end="" if done < total else "\n", file=sys.stderr, flush=True
        )


def run_analyze(cfg: AnalyzeConfig, inputs: list[str] = ()) -> dict:
    if inputs:
        from xlrm.models import model_specs

        cfg = replace(cfg, models=[*cfg.models, *model_specs(list(inputs))])
        cfg.validate()
    from xlrm.analysis.probes import describe_probes, load_probes

    def work(ws) -> StageResult:
        from xlrm.analysis.analyze import run_analysis
        from xlrm.analysis.report import markdown_table, write_plots, write_tables

        tmp: Path = ws.path
        probes = load_probes(
            cfg.probes, languages=cfg.languages, max_per_language=cfg.max_per_language, text=cfg.text
        )
        reports = run_analysis(cfg, probes, tmp, progress=_progress)
        meta = {
            "probes": {
                "source": cfg.probes,
                "rows": len(probes),
                "languages": probes.language_counts(),
                "dropped": dict(probes.dropped),
                "text": cfg.text,
            },
            "pooling": cfg.pooling,
            "layers": cfg.layers,
            "small_n": cfg.small_n,
        }
        files = write_tables(reports, tmp, meta)
        analysed = sorted({layer for r in reports for layer in r.layers})
        (tmp / "metrics.md").write_text(
            "\n".join(f"### layer {layer}\n\n" + markdown_table(reports, layer) for layer in analysed),
            encoding="utf-8",
        )
        n_rows = sum(len(r.rows) for r in reports)
        outputs = [Output(f, role, n_rows if role == "table" else None) for role, f in files.items()]
        outputs.append(Output("metrics.md", "markdown"))
        if cfg.plots:
            try:
                outputs += [Output(f, "plot") for f in write_plots(reports, tmp, cfg.plot_layers)]
            except ImportError:
                log.warning("matplotlib is not installed; no plots (pip install 'xlrm[plots]')")
        if cfg.save_states:
            outputs.append(Output("states", "states"))
        # rows are probe pairs: every one read is analysed or dropped with a reason
        counts = {
            "in": probes.rows_used + sum(probes.dropped.values()),
            "out": probes.rows_used,
            "texts": len(probes),
            "per_language": probes.language_counts(),
            "dropped_by_reason": dict(probes.dropped),
            "models": len(reports),
            "metric_rows": sum(len(r.rows) for r in reports),
        }
        extra = {
            "model_seconds": {r.name: r.seconds for r in reports},
            "model_timings": {r.name: r.timings for r in reports},
        }
        return StageResult(counts, outputs, extra)

    described = [{"probes": describe_probes(cfg.probes)}] + [
        {"model": name, **describe_path(path, role="model")}
        for name, path in map(parse_model_spec, cfg.all_models())
    ]
    return run_stage(
        "analyze",
        cfg.out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[p for _, p in map(parse_model_spec, cfg.all_models())],
    )
