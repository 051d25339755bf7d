"""`xlrm analyze`: hidden-state spectra, collapse, norms and similarity to the base model."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from xlrm.analysis.config import AnalyzeConfig, parse_model_spec
from xlrm.config import add_config_arguments, config_from_args, to_dict
from xlrm.manifest import StageResult, fingerprint, run_stage

HELP = "Hidden-state analysis: spectra, collapse, norms and similarity to the base model"
log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument(
        "model_args",
        nargs="*",
        metavar="MODEL",
        help="reward models to analyse, `name=path` or a path (added to the config's models)",
    )
    parser.add_argument(
        "--config", help="YAML file (an AnalyzeConfig, or a pipeline config's `analyze:` section)"
    )
    add_config_arguments(parser, AnalyzeConfig)


def _model_stat(path: str) -> dict:
    """A cheap fingerprint of a model: file names, sizes and mtimes (weights are not hashed)."""
    p = Path(path)
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file())
    else:
        return {"id": path}
    return {
        "path": str(p),
        "files": fingerprint(
            [[str(f.relative_to(p.parent)), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
        ),
    }


def _progress(name: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(
            f"\r  {name}: {done}/{total} rows", end="" if done < total else "\n", file=sys.stderr, flush=True
        )


def run_analyze(cfg: AnalyzeConfig) -> dict:
    from xlrm.analysis.probes import load_probes

    probes, probe_desc = load_probes(
        cfg.probes, languages=cfg.languages, max_per_language=cfg.max_per_language, text=cfg.text
    )

    def work(tmp: Path) -> StageResult:
        from xlrm.analysis.analyze import run_analysis
        from xlrm.analysis.report import markdown_table, write_plots, write_tables

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
        }
        outputs = write_tables(reports, tmp, meta)
        (tmp / "metrics.md").write_text(
            "\n".join(f"### layer {layer}\n\n" + markdown_table(reports, layer) for layer in cfg.layers),
            encoding="utf-8",
        )
        outputs["markdown"] = "metrics.md"
        if cfg.plots:
            try:
                layers = [layer for layer in cfg.plot_layers if layer in cfg.layers]
                outputs["plots"] = write_plots(reports, tmp, layers)
            except ImportError:
                log.warning("matplotlib is not installed; no plots (pip install 'xlrm[plots]')")
        if cfg.save_states:
            outputs["states"] = "states/"
        counts = {
            "probe_rows": len(probes),
            "per_language": probes.language_counts(),
            "dropped_by_reason": dict(probes.dropped),
            "models": len(reports),
            "metric_rows": sum(len(r.rows) for r in reports),
        }
        return StageResult(
            counts, {"outputs": outputs, "model_seconds": {r.name: r.seconds for r in reports}}
        )

    config = to_dict(cfg)
    config.pop("force")
    inputs = [{"probes": probe_desc}] + [
        {"model": name, **_model_stat(path)} for name, path in map(parse_model_spec, cfg.all_models())
    ]
    return run_stage("analyze", cfg.out, config=config, inputs=inputs, work=work, force=cfg.force)


def run(args) -> int:
    extra = {}
    if args.model_args:
        from xlrm.config import read_yaml

        base = read_yaml(args.config) if args.config else {}
        base = base.get("analyze", base) if isinstance(base.get("analyze"), dict) else base
        extra["models"] = list(base.get("models", [])) + list(args.model_args)
    cfg = config_from_args(AnalyzeConfig, args, section="analyze", extra=extra)
    m = run_analyze(cfg)
    state = "unchanged, skipped" if m.get("skipped") else f"{m['wall_time_s']}s"
    c = m["counts"]
    print(f"analyze: {c['models']} models x {c['probe_rows']} probe rows ({state}) -> {cfg.out}")
    md = Path(cfg.out) / "metrics.md"
    if md.is_file():
        print(md.read_text(encoding="utf-8"))
    return 0
