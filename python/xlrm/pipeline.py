"""`xlrm pipeline`: every stage from one YAML config, in data-flow order.

The pipeline is a loop over the stage registry (:mod:`xlrm.stages`): each stage that has a
section in the config runs on the output folders of its upstream stages, into its own folder of
the run directory, and is skipped when its inputs and config are unchanged. An interrupted run
continues where it stopped (finished stages are skipped, the interrupted one adopts its work
folder). With no config, the embedded demo (``xlrm/configs/demo.yaml``) runs on a CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from importlib import resources
from pathlib import Path

from xlrm import stages
from xlrm.config import from_dict, option, read_yaml
from xlrm.errors import ConfigError

log = logging.getLogger(__name__)

DEMO_CONFIG = "demo.yaml"
QUICK_CONFIG = "demo-quick.yaml"
LOG_FILE = "pipeline.log"


def _built() -> list[stages.Stage]:
    return [s for s in stages.STAGES if stages.is_built(s)]


def pipeline_config_class() -> type:
    """``PipelineConfig``: ``run_dir``, ``seed`` and one optional section per built stage."""
    fields = [
        ("run_dir", str, option("xlrm-runs/demo", help="Folder that receives one sub-folder per stage")),
        ("seed", int, option(0, help="Seed shared by every stage")),
    ]
    for s in _built():
        cls = s.config_class()
        fields.append((s.section, cls | None, dataclasses.field(default=None, metadata={"help": s.help})))
    return dataclasses.make_dataclass("PipelineConfig", fields)


def demo_config_path(quick: bool = False) -> Path:
    return Path(str(resources.files("xlrm") / "configs" / (QUICK_CONFIG if quick else DEMO_CONFIG)))


def load_pipeline_config(path: str | Path | None, run_dir: str | None = None, *, quick: bool = False):
    where = str(path) if path else f"embedded {QUICK_CONFIG if quick else DEMO_CONFIG}"
    raw = read_yaml(path if path else demo_config_path(quick))
    if run_dir is not None:
        raw["run_dir"] = run_dir
    built = {s.section for s in _built()}
    for key in raw:
        stage = stages.BY_NAME.get(key.replace("_", "-"))
        if stage is not None and key not in built:
            raise ConfigError(
                f"{where}: section '{key}': the `{stage.name}` stage is not built in this xlrm; remove the section"
            )
    root = Path(raw.get("run_dir", "xlrm-runs/demo"))
    for s in _built():
        section = raw.get(s.section)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(
                f"{where}: key '{s.section}': expected a mapping of {s.config_class().__name__} keys"
            )
        section.setdefault("out", str(root / s.name))
    return from_dict(pipeline_config_class(), raw, where)


def _stage_inputs(stage: stages.Stage, outs: dict[str, Path], run_dir: Path) -> list[str]:
    if stage.name == "report":
        return [str(run_dir)]
    inputs = []
    for slot in stage.upstream:
        src = next((u for u in slot if u in outs), None)
        if src is not None:
            inputs.append(str(outs[src]))
        elif stage.min_inputs:
            raise ConfigError(
                f"the `{stage.name}` stage reads the output of {' or '.join(f'`{u}`' for u in slot)}, "
                "and the config has none of those sections; add one"
            )
    return inputs


def _select(configured: list[stages.Stage], from_stage: str | None, only: str | None) -> set[str]:
    names = [s.name for s in configured]
    for flag, value in (("--from", from_stage), ("--only", only)):
        if value is None:
            continue
        stages.get(value)  # unknown names: an error listing the stages
        if stages.get(value).name not in names:
            raise ConfigError(
                f"{flag} {value}: the config has no `{stages.get(value).section}:` section "
                f"(its stages: {', '.join(names)})"
            )
    if only is not None:
        return {stages.get(only).name}
    if from_stage is not None:
        return set(names[names.index(stages.get(from_stage).name) :])
    return set(names)


def run_pipeline(
    cfg, *, from_stage: str | None = None, only: str | None = None, force: bool = False
) -> list[dict]:
    """Run the configured stages; returns one summary row per stage."""
    from xlrm.manifest import stage_manifest

    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    started = time.time()
    rows: list[dict] = []
    try:
        configured = [s for s in _built() if getattr(cfg, s.section) is not None]
        selected = _select(configured, from_stage, only)
        outs = {s.name: Path(getattr(cfg, s.section).out) for s in configured}
        for stage in configured:
            scfg = getattr(cfg, stage.section)
            if stage.name not in selected:
                m = stage_manifest(outs[stage.name], expect=f"a finished `{stage.name}` run (run it first)")
                rows.append(_row(stage.name, m, "not selected"))
                continue
            inputs = _stage_inputs(stage, outs, run_dir)
            if force:
                scfg = dataclasses.replace(scfg, force=True)
            log.info("[%s] start (inputs: %s)", stage.name, ", ".join(inputs) or "config")
            m = stage.run_function()(scfg, inputs)
            rows.append(_row(stage.name, m, "cached" if m.get("skipped") else "ran"))
            log.info("[%s] %s", stage.name, rows[-1]["state"])
        missing = [s.name for s in stages.STAGES if s.name not in outs]
        if missing:
            log.info("not in this config or not built yet: %s", ", ".join(missing))
        log.info("done in %.1fs; run folder: %s", time.time() - started, run_dir)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    return rows


def _row(name: str, manifest: dict, state: str) -> dict:
    c = manifest.get("counts", {})
    return {
        "stage": name,
        "state": state,
        "in": c.get("in"),
        "out": c.get("out"),
        "dropped": sum(c.get("dropped_by_reason", {}).values()),
        "wall_time_s": manifest.get("wall_time_s", 0.0),
    }


def summary_table(rows: list[dict]) -> str:
    head = ("stage", "state", "in", "out", "dropped", "wall s")
    body = [
        (r["stage"], r["state"], str(r["in"]), str(r["out"]), str(r["dropped"]), f"{r['wall_time_s']:.1f}")
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


def main(argv: list[str]) -> int:
    from xlrm.cli import PIPELINE_HELP, _logging

    parser = argparse.ArgumentParser(prog="xlrm pipeline", description=PIPELINE_HELP)
    parser.add_argument("--config", help="pipeline YAML (default: the embedded CPU demo)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the embedded demo's stages with tiny random models (a check of the machinery in about a minute)",
    )
    parser.add_argument("--run-dir", help="override run_dir from the config")
    parser.add_argument(
        "--from", dest="from_stage", metavar="STAGE", help="run this stage and the ones after it"
    )
    parser.add_argument("--only", metavar="STAGE", help="run this stage alone (its upstream must have run)")
    parser.add_argument("--force", action="store_true", help="rerun the selected stages even if unchanged")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings, errors and the summary only")
    args = parser.parse_args(argv)
    _logging(args.verbose, args.quiet)
    if args.quick and args.config:
        raise ConfigError("--quick runs the embedded quick demo; drop --config (or drop --quick)")
    cfg = load_pipeline_config(args.config, args.run_dir, quick=args.quick)
    rows = run_pipeline(cfg, from_stage=args.from_stage, only=args.only, force=args.force)
    print(summary_table(rows))
    print(f"run folder: {cfg.run_dir} (log: {Path(cfg.run_dir) / LOG_FILE})")
    return 0
