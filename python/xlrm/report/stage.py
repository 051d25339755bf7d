"""``xlrm report``: tables and plots of a run, as ``report.md`` and a self-contained ``report.html``.

    xlrm report RUN_DIR [--out DIR]          # default out: RUN_DIR/report

Reads the stage folders of a run (found through their manifests, :mod:`xlrm.report.run`) and
renders one section per stage that ran, with a "Not run" line for each that did not. The inputs of
the fingerprint are the manifests of the stage folders and every output file a section reads or
embeds (content hashes): an unchanged run is not rendered again, and any change to a stage's output
is. ``pipeline.log`` is shown but not fingerprinted: every ``xlrm pipeline`` call appends to it
before the report runs, so a fingerprinted log would re-render an unchanged run each time; the
lines shown are the log as it was when a stage's output last changed (or with ``--force``).

Counts in the manifest: ``in`` = stage folders found; ``out`` = sections rendered;
``dropped_by_reason`` = sections not rendered (``missing_stage``: their stage was not run,
``not_selected``: left out by ``sections``). They count different things, so ``in`` need not be
``out`` plus the drops.
"""

from __future__ import annotations

import logging
from pathlib import Path

from xlrm.config import fingerprinted
from xlrm.errors import ConfigError
from xlrm.manifest import MANIFEST, Output, StageResult, describe_path, run_stage
from xlrm.report.config import ReportConfig
from xlrm.report.run import load_run

log = logging.getLogger(__name__)

REPORT_MD = "report.md"
REPORT_HTML = "report.html"


def run_report(cfg: ReportConfig, inputs: list[str] = ()) -> dict:
    inputs = list(inputs)
    if len(inputs) != 1:
        got = "none" if not inputs else f"{len(inputs)}: {', '.join(inputs)}"
        raise ConfigError(
            f"xlrm report reads one run folder (the pipeline's run_dir, one sub-folder per stage); got {got}"
        )
    run_dir = Path(inputs[0])
    if not cfg.out:
        # set on the caller's config itself: `xlrm report` prints cfg.out as the folder it wrote
        cfg.out = str(run_dir / "report")
    out = Path(cfg.out)
    run = load_run(run_dir, exclude=out)
    described = []
    for name, folder in run.stages.items():
        described.append({"stage": name, **describe_path(folder.path / MANIFEST, role="manifest")})
    for name, role, path in run.files():
        described.append({"stage": name, **describe_path(path, role=role)})

    def work(ws) -> StageResult:
        from xlrm.report.doc import to_html, to_markdown
        from xlrm.report.sections import Builder

        builder = Builder(run, cfg, ws.path)
        intro, sections, dropped = builder.build()
        (ws.path / REPORT_MD).write_text(to_markdown(cfg.title, intro, sections), encoding="utf-8")
        (ws.path / REPORT_HTML).write_text(to_html(cfg.title, intro, sections, ws.path), encoding="utf-8")
        outputs = [Output(REPORT_MD, "report_md"), Output(REPORT_HTML, "report_html")]
        outputs += [Output(p, "plot") for p in builder.plots]
        rendered = [s.key for s in sections if s.rendered]
        counts = {
            "in": len(run.stages),
            "out": len(rendered),
            "dropped_by_reason": dropped,
            "stages": list(run.stages),
            "stages_missing": run.missing,
            "sections": rendered,
            "plots": len(builder.plots),
            "problems": len(builder.problems),
        }
        extra = {"run_dir": str(run_dir), "problems": builder.problems, "folders_left_out": run.notes}
        return StageResult(counts, outputs, extra)

    return run_stage(
        "report",
        out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[f.path for f in run.stages.values()],
    )
