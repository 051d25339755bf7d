"""The report's sections, built from a run's stage folders into document blocks (:mod:`.doc`).

Every number shown is read from a stage's outputs (by role, through its manifest) or computed from
them here; nothing about a run is written in by hand. The paper's findings, which the last section
sets beside the run's, are the only fixed figures, and they are labelled as the paper's.

A section whose stage was not run holds one "Not run" line. A stage folder whose outputs cannot be
read (a file listed in its manifest is gone or broken) gives a warning inside its section, and the
rest of the report is still written.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from xlrm import stages
from xlrm.report import plots
from xlrm.report.config import SECTIONS, ReportConfig
from xlrm.report.doc import PNG_MAGIC, Bullets, Code, Details, Heading, Image, Para, Section, Table, code
from xlrm.report.run import REPORTED, ReportInputError, Run, StageFolder, read_json, read_parquet_rows, tail

log = logging.getLogger(__name__)

ALL = "all"  # the analyze stage's row over every language (xlrm.analysis.analyze.ALL; not imported: torch)
METRICS = ("overall", "chat", "chat_hard", "safety", "reasoning")
METRIC_TITLES = {
    "overall": "Overall",
    "chat": "Chat",
    "chat_hard": "Chat Hard",
    "safety": "Safety",
    "reasoning": "Reasoning",
}
TITLES = {
    "run": "1. Run",
    "data": "2. Data",
    "reward_models": "3. Reward models",
    "transfer": "4. Transfer",
    "representations": "5. Representations",
    "alignment": "6. Alignment",
    "findings": "7. What this run shows and what it cannot",
}
IDS = {k: k.replace("_", "-") for k in SECTIONS}
PAPER = "Hong et al., Cross-lingual Transfer of Reward Models in Multilingual Alignment, NAACL 2025"


# ---------------------------------------------------------------------------------------------
# Formatting


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def pct(x) -> str:
    """A fraction as percent with one decimal; — when missing."""
    return f"{100 * x:.1f}" if _finite(x) else "—"


def pct_ci(x, lo, hi) -> str:
    if not _finite(x):
        return "—"
    return pct(x) + (f" ({pct(lo)}–{pct(hi)})" if _finite(lo) and _finite(hi) else "")


def points(x) -> str:
    """A difference of fractions in signed percentage points."""
    return f"{100 * x:+.1f}" if _finite(x) else "—"


def points_ci(x, lo, hi) -> str:
    """As eval-rm's gap.md writes a gap: ``+1.2 (-3.4, +5.6)``."""
    if not _finite(x):
        return "—"
    return points(x) + (f" ({points(lo)}, {points(hi)})" if _finite(lo) and _finite(hi) else "")


def num(x, digits: int = 4) -> str:
    if isinstance(x, bool) or x is None:
        return "—" if x is None else str(x)
    if isinstance(x, int):
        return str(x)
    if not _finite(x):
        return "—"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 10 ** -(digits - 1)):
        return f"{x:.{digits - 1}g}"
    return f"{x:.{digits}f}" if abs(x) < 10 else f"{x:.{max(1, digits - 2)}f}"


def _seconds(x) -> str:
    return f"{x:.1f}" if _finite(x) else "—"


def _level(group: str) -> int:
    """The Joshi class in a resource-level group's name ("mid (4)" -> 4; -1 without one)."""
    m = re.search(r"\((\d+)\)", group)
    return int(m.group(1)) if m else -1


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "plot"


# ---------------------------------------------------------------------------------------------
# The builder


@dataclass
class Figures:
    """The run's own figures the findings set beside the paper's (None: not computable)."""

    gap: dict | None = None  # mean English-RM gap: gap, ci_low, ci_high, languages, by_metric, data
    collapse: dict | None = None  # top-1 share per model vs base
    alignment: dict | None = None  # win rate of English-RM labels
    scale: dict = field(default_factory=dict)


class Builder:
    """Builds the sections of one report into ``out`` (plots under ``out/plots``)."""

    def __init__(self, run: Run, cfg: ReportConfig, out: Path):
        self.run, self.cfg, self.out = run, cfg, out
        self.plots: list[str] = []  # files under out, relative
        self.problems: list[str] = []
        self.figures = Figures()
        self.can_plot = plots.available()
        self.english = cfg.english or self._eval_english() or "en"
        # False while a section that is not selected runs only for the figures of the findings
        self.drawing = True
        self._rep_layer: int | None = None
        self._rep_rows: list[dict] = []

    def _eval_english(self) -> str | None:
        ev = self.run.get("eval-rm")
        label = ev.config().get("english") if ev else None
        return label if isinstance(label, str) and label else None

    # --- helpers ---------------------------------------------------------------------------

    def _plot(self, name: str, draw: Callable[[Path], None], alt: str, caption: str | None = None) -> list:
        """Draw a plot into plots/<name>; [Image] or [a note why there is none]."""
        if not self.drawing:
            return []
        if not self.can_plot:
            return [Para(plots.NO_MATPLOTLIB, "note")]
        rel = f"plots/{name}"
        try:
            draw(self.out / rel)
        except Exception as e:  # noqa: BLE001 - a broken plot must not cost the whole report
            log.warning("report: plot %s failed: %s", name, e)
            self.problems.append(f"plot {name}: {e}")
            return [Para(f"The plot {code(name)} could not be drawn: {e}.", "warning")]
        self.plots.append(rel)
        return [Image(rel, alt, caption)]

    def _copy_png(self, folder: StageFolder, output: dict, caption: str) -> list:
        """An upstream PNG (role ``plot``/``heatmap``), copied into plots/ so that report.md's images
        travel with the report folder; [Image] or a warning."""
        if not self.drawing:
            return []
        src = folder.path / output["file"]
        try:
            data = src.read_bytes()
        except OSError as e:
            return [
                self._problem(f"{src} is listed in {folder.path.name}/manifest.json but cannot be read ({e})")
            ]
        if not data.startswith(PNG_MAGIC) or len(data) < 60:
            return [self._problem(f"{src} is not a PNG image; rerun `xlrm {folder.name}` to draw it again")]
        rel = f"plots/{_safe(folder.name)}-{_safe(output['file'])}"
        if not rel.endswith(".png"):
            rel += ".png"
        (self.out / "plots").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, self.out / rel)
        self.plots.append(rel)
        return [Image(rel, caption, f"{caption} (from {code(folder.path.name + '/' + output['file'])})")]

    def _problem(self, text: str) -> Para:
        log.warning("report: %s", text)
        self.problems.append(text)
        return Para(text, "warning")

    def _guard(self, build: Callable[[], list]) -> list:
        """A sub-part of a section; an unreadable output becomes a warning in place of it."""
        try:
            return build()
        except ReportInputError as e:
            return [self._problem(str(e))]

    def not_run(self, stage: str) -> Para:
        section = stages.get(stage).section
        return Para(
            f"Not run: the run folder has no {code(stage)} stage folder. Run {code('xlrm ' + stage)} with "
            f"{code('--out')} inside the run folder, or add the section {code(section + ':')} to the pipeline config.",
            "missing",
        )

    # --- the sections ----------------------------------------------------------------------

    def build(self) -> tuple[list, list[Section], dict[str, int]]:
        """(intro blocks, sections, dropped_by_reason)."""
        sections, dropped = [], {}
        builders = {
            "run": self.section_run,
            "data": self.section_data,
            "reward_models": self.section_reward_models,
            "transfer": self.section_transfer,
            "representations": self.section_representations,
            "alignment": self.section_alignment,
            "findings": self.section_findings,
        }
        # findings read the figures the other sections computed: built last, always
        for key in SECTIONS:
            if key not in self.cfg.sections:
                dropped["not_selected"] = dropped.get("not_selected", 0) + 1
                if key == "findings":
                    continue
                # the figures of an unselected section are still computed for the findings
                if SECTIONS[key] is not None and self.run.get(SECTIONS[key]):
                    self.drawing = False
                    try:
                        builders[key]()
                    finally:
                        self.drawing = True
                continue
            stage = SECTIONS[key]
            s = Section(key, IDS[key], TITLES[key])
            if stage is not None and self.run.get(stage) is None:
                s.rendered = False
                s.blocks = [self.not_run(stage)]
                dropped["missing_stage"] = dropped.get("missing_stage", 0) + 1
            else:
                s.blocks = builders[key]()
            sections.append(s)
        return self.intro(), sections, dropped

    def intro(self) -> list:
        from xlrm import __version__

        found = ", ".join(code(s) for s in self.run.stages)
        missing = ", ".join(code(s) for s in self.run.missing) or "none"
        return [
            Para(
                f"Run folder {code(self.run.path)}; written {time.strftime('%Y-%m-%d %H:%M:%S %z')} by xlrm "
                f"{__version__}. Stages found: {found}. Not run: {missing}."
            )
        ]

    # 1. Run -----------------------------------------------------------------------------------

    def section_run(self) -> list:
        rows, total = [], 0.0
        for name in REPORTED:
            f = self.run.get(name)
            if f is None:
                rows.append([name, "—", "not run", "—", "—", "—"])
                continue
            m = f.manifest
            wall = m.get("wall_time_s")
            total += wall if _finite(wall) else 0.0
            units = m.get("units") or {}
            reused = m.get("units_reused") or []
            unit_text = f"{len(units)} ({len(reused)} reused)" if units else "—"
            rows.append(
                [
                    name,
                    f.path.name + "/",
                    str(m.get("created", "—")),
                    _seconds(wall),
                    code(str(m.get("fingerprint", ""))[:12]) if m.get("fingerprint") else "—",
                    unit_text,
                ]
            )
        blocks: list = [
            Table(
                ["stage", "folder", "finished", "wall time (s)", "fingerprint", "units"],
                rows,
                caption=f"Stage folders of the run; wall time in all: {total:.1f} s",
            ),
        ]
        if self.run.notes:
            blocks += [Para("Folders left out:", "note"), Bullets(self.run.notes)]
        blocks += [Heading("Versions", "run-versions"), self._versions()]
        blocks.append(Heading("Configuration of each stage", "run-config"))
        for name, f in self.run.stages.items():
            text = yaml.safe_dump(f.config(), sort_keys=False, allow_unicode=True, default_flow_style=None)
            blocks.append(
                Details(f"{code(name)} ({f.path.name}/manifest.json)", [Code(text.strip() or "{}")])
            )
        log_file = self.run.log_file()
        blocks.append(Heading("pipeline.log", "run-log"))
        if log_file is None:
            blocks.append(
                Para(
                    "No pipeline.log in the run folder: its stages were run one by one, not by "
                    f"{code('xlrm pipeline')}.",
                    "note",
                )
            )
        elif self.cfg.log_lines:
            lines = tail(log_file, self.cfg.log_lines)
            blocks += [Para(f"Its last {len(lines)} lines:", "note"), Code("\n".join(lines) or "(empty)")]
        return blocks

    def _versions(self) -> Table:
        per: dict[str, dict[str, list[str]]] = {}
        for name, f in self.run.stages.items():
            for pkg, v in (f.manifest.get("versions") or {}).items():
                per.setdefault(pkg, {}).setdefault(str(v), []).append(name)
        rows = []
        for pkg, by_version in per.items():
            if len(by_version) == 1:
                rows.append([pkg, next(iter(by_version)), "all"])
            else:
                for v, names in by_version.items():
                    rows.append([pkg, v, ", ".join(names)])
        return Table(["package", "version", "stages"], rows)

    # 2. Data ----------------------------------------------------------------------------------

    def section_data(self) -> list:
        rows = []
        for name in REPORTED:
            f = self.run.get(name)
            if f is None:
                rows.append([name, "not run", "", "", "", ""])
                continue
            c = f.counts()
            reasons = c.get("dropped_by_reason") or {}
            dropped = sum(v for v in reasons.values() if _finite(v))
            reason_text = "; ".join(f"{k}: {v}" for k, v in reasons.items()) or "—"
            other = [
                f"{k}: {v}"
                for k, v in c.items()
                if k not in ("in", "out", "dropped_by_reason")
                and isinstance(v, int)
                and not isinstance(v, bool)
            ]
            rows.append(
                [
                    name,
                    num(c.get("in")),
                    num(c.get("out")),
                    str(dropped),
                    reason_text,
                    "; ".join(other) or "—",
                ]
            )
        blocks: list = [
            Table(
                ["stage", "in", "out", "dropped", "drop reasons", "other counts"],
                rows,
                caption="Counts of every stage's manifest (each stage counts its own unit: pairs, "
                "pairs × models, probe rows)",
                id="data-counts",
            ),
        ]
        explained = {}
        for f in self.run.stages.values():
            for k, v in (f.manifest.get("drop_reasons") or {}).items():
                explained.setdefault(k, f"{v} ({f.name})")
        if explained:
            blocks += [
                Para("Drop reasons:", "note"),
                Bullets([f"{code(k)}: {v}" for k, v in explained.items()]),
            ]
        blocks += self._languages_table()
        return blocks

    def _languages_table(self) -> list:
        sources = {
            "data": lambda f: (f.manifest.get("histograms") or {}).get("language"),
            "translate": lambda f: (
                f.counts().get("per_language") or (f.manifest.get("histograms") or {}).get("language")
            ),
            "train-rm": lambda f: f.counts().get("items_per_language"),
            "eval-rm": lambda f: f.counts().get("pairs_per_language"),
            "analyze": lambda f: f.counts().get("per_language"),
        }
        cols, per = [], {}
        for name, get in sources.items():
            f = self.run.get(name)
            value = get(f) if f else None
            if isinstance(value, dict) and value:
                cols.append(name)
                per[name] = value
        if not cols:
            return []
        langs = sorted({lang for v in per.values() for lang in v}, key=lambda x: (x != "en", x))
        rows = [[lang, *(num(per[c].get(lang)) if lang in per[c] else "—" for c in cols)] for lang in langs]
        headers = [
            "language",
            *[
                {
                    "data": "data: pairs",
                    "translate": "translate: pairs",
                    "train-rm": "train-rm: items",
                    "eval-rm": "eval-rm: pairs",
                    "analyze": "analyze: probes",
                }[c]
                for c in cols
            ],
        ]
        return [Heading("Per language", "data-languages"), Table(headers, rows)]

    # 3. Reward models -------------------------------------------------------------------------

    def section_reward_models(self) -> list:
        f = self.run.get("train-rm")
        cfg = f.config()
        model = cfg.get("model") or {}
        base = model.get("path") if isinstance(model, dict) else None
        blocks: list = []
        if base:
            rev = model.get("revision")
            blocks.append(
                Para(f"Base model {code(base)}" + (f" (revision {code(rev)})" if rev else "") + ".")
            )
        units = list(dict.fromkeys(o["unit"] for o in f.manifest.get("outputs", []) if o.get("unit")))
        summary = f.manifest.get("languages") if isinstance(f.manifest.get("languages"), dict) else {}
        rows = []
        for unit in units:
            info = summary.get(unit)
            if not isinstance(info, dict):
                info = self._guard_value(lambda unit=unit: self._unit_metrics(f, unit)) or {}
            pairs = info.get("pairs") or {}
            train, val = pairs.get("train") or {}, pairs.get("val") or {}
            rows.append(
                [
                    unit,
                    num(train.get("used")),
                    num(val.get("in")) if val else "0",
                    pct(info.get("val_accuracy")),
                    num(info.get("val_loss")),
                    num(info.get("final_train_loss")),
                    num(info.get("tokens_per_s"), 3),
                    num(info.get("global_step")),
                    _seconds(info.get("wall_s")),
                ]
            )
        self.figures.scale["rms"] = units
        self.figures.scale["base"] = base
        self.figures.scale["train_pairs"] = [r[1] for r in rows]
        blocks.append(
            Table(
                [
                    "RM",
                    "pairs used",
                    "held out",
                    "val accuracy (%)",
                    "val loss",
                    "final train loss",
                    "tokens/s",
                    "steps",
                    "wall (s)",
                ],
                rows,
                id="rm-table",
                caption="One RM per training language (val: the held-out pairs of that language)",
            )
        )
        blocks += self._guard(lambda: self._curves(f, units))
        return blocks

    def _guard_value(self, get: Callable[[], Any]) -> Any:
        try:
            return get()
        except ReportInputError as e:
            self._problem(str(e))
            return None

    def _unit_metrics(self, f: StageFolder, unit: str) -> dict:
        for o in f.outputs("metrics", ".json"):
            if o.get("unit") == unit:
                doc = read_json(f.path / o["file"])
                return doc if isinstance(doc, dict) else {}
        return {}

    def _curves(self, f: StageFolder, units: list[str]) -> list:
        logs, fallback = {}, []
        by_unit = {o.get("unit"): o for o in f.outputs("train_log", ".json")}
        pngs = {o.get("unit"): o for o in f.outputs("plot", ".png")}
        warnings = []
        for unit in units:
            o = by_unit.get(unit)
            doc = None
            if o and (f.path / o["file"]).is_file():
                try:
                    doc = read_json(f.path / o["file"])
                except ReportInputError as e:  # that RM's own picture, if any, is shown instead
                    warnings.append(self._problem(str(e)))
            if isinstance(doc, dict) and (doc.get("train") or doc.get("eval")):
                logs[unit] = doc
            elif unit in pngs:
                fallback.append(unit)
        blocks: list = [Heading("Training curves", "rm-curves"), *warnings]
        if logs:
            blocks += self._plot(
                "training_curves.png",
                lambda p: plots.training_curves(logs, p, self.cfg.dpi),
                "training curves of the reward models",
                "Drawn from each RM's train_log: loss, accuracy and learning rate per step.",
            )
        for unit in fallback:  # no readable log: train-rm's own picture of that RM
            blocks += self._copy_png(f, pngs[unit], f"training curves of the {unit} RM")
        if not logs and not fallback:
            blocks.append(Para("train-rm wrote no training log nor curve for any RM.", "note"))
        return blocks

    # 4. Transfer ------------------------------------------------------------------------------

    def section_transfer(self) -> list:
        f = self.run.get("eval-rm")
        cfg = f.config()
        if cfg.get("from_scores"):
            source = f"scores file {code(cfg['from_scores'])}"
        else:
            source = ", ".join(code(d) for d in cfg.get("data") or []) or "—"
        self.figures.scale["eval_data"] = cfg.get("data") or []
        self.figures.scale["from_scores"] = bool(cfg.get("from_scores"))
        blocks: list = [
            Para(
                f"Evaluation data: {source}; subset weights {code(cfg.get('weights', '—'))}; "
                f"{cfg.get('bootstrap', '—')} bootstrap resamples (seed {cfg.get('seed', '—')}). Rows: reward "
                "models (named by training language); columns: evaluation languages; accuracy in percent "
                "with its 95% bootstrap CI."
            )
        ]
        blocks += self._guard(lambda: self._matrix(f))
        blocks += self._guard(lambda: self._gaps(f))
        return blocks

    def _matrix(self, f: StageFolder) -> list:
        rows = read_parquet_rows(f.file("transfer", ".parquet"))
        if not rows:
            return [Para("The transfer table is empty: eval-rm scored no pair.", "warning")]
        need = {"model", "language", "metric", "score"}
        if not need <= set(rows[0]):
            raise ReportInputError(
                f"{f.file('transfer', '.parquet')} lacks the columns {sorted(need - set(rows[0]))}; "
                "rerun `xlrm eval-rm` with this xlrm"
            )
        models = list(dict.fromkeys(r["model"] for r in rows))
        langs = list(dict.fromkeys(r["language"] for r in rows))
        cell = {(r["model"], r["language"], r["metric"]): r for r in rows}
        metrics = [m for m in METRICS if any(k[2] == m for k in cell)]
        metrics += sorted({k[2] for k in cell} - set(metrics))
        blocks: list = []
        sections: list = []  # the per-section matrices, folded away in the HTML (the heatmaps show them)
        incomplete = False
        for metric in metrics:
            table_rows = []
            for m in models:
                row = [m]
                for lang in langs:
                    r = cell.get((m, lang, metric))
                    text = pct_ci(r["score"], r.get("ci_low"), r.get("ci_high")) if r else "—"
                    if r and r.get("complete") is False:
                        text += "*"
                        incomplete = True
                    row.append(text)
                table_rows.append(row)
            title = METRIC_TITLES.get(metric, metric)
            if metric.startswith("subset:"):  # pairs of no RewardBench section (e.g. held-out pairs)
                title = f"{metric.split(':', 1)[1]} (outside RewardBench's sections)"
            table = Table(
                ["RM \\ eval", *langs], table_rows, id=f"transfer-{_safe(metric).replace('_', '-')}"
            )
            if metric == "overall":
                blocks += [Heading("Transfer matrix: Overall", "transfer-matrix"), table]
            else:
                sections.append(Details(f"Transfer matrix: {title}", [table]))
        blocks += sections
        if incomplete:
            blocks.append(
                Para(
                    "* some expected subsets were not scored in this cell (see eval-rm's results JSON).",
                    "note",
                )
            )

        def values(metric):
            return np.array(
                [
                    [
                        cell[(m, lang, metric)]["score"]
                        if (m, lang, metric) in cell and _finite(cell[(m, lang, metric)]["score"])
                        else np.nan
                        for lang in langs
                    ]
                    for m in models
                ],
                dtype=float,
            )

        blocks.append(Heading("Heatmaps", "transfer-heatmaps"))
        blocks += self._plot(
            "transfer_overall.png",
            lambda p: plots.heatmaps([("Overall", values("overall"))], models, langs, p, self.cfg.dpi),
            "heatmap of the overall transfer matrix",
            "Overall accuracy (%), RM × evaluation language.",
        )
        section_metrics = [m for m in metrics if m != "overall"]
        if section_metrics:
            blocks += self._plot(
                "transfer_sections.png",
                lambda p: plots.heatmaps(
                    [(METRIC_TITLES.get(m, m), values(m)) for m in section_metrics],
                    models,
                    langs,
                    p,
                    self.cfg.dpi,
                ),
                "heatmaps of the section transfer matrices",
                "Accuracy (%) per section.",
            )
        blocks += self._groups(rows, models, langs, cell)
        self.figures.scale.update(
            models=models,
            languages=langs,
            pairs_per_language=[
                cell[(models[0], lang, "overall")].get("n")
                for lang in langs
                if (models[0], lang, "overall") in cell
            ],
        )
        return blocks

    def _meta(self, rows: list[dict]) -> dict[str, dict]:
        """Per evaluation language its family, script and resource level: eval-rm's columns first,
        xlrm's language table where eval-rm left them empty."""
        from xlrm.languages import LANGUAGES

        meta: dict[str, dict] = {}
        for r in rows:
            lang = r["language"]
            if lang in meta:
                continue
            entry = LANGUAGES.get(lang)
            level = r.get("language_resource_level") or (entry.resource_level if entry else None)
            res = (
                r.get("language_resource")
                if r.get("language_resource") is not None
                else (entry.resource if entry else None)
            )
            meta[lang] = {
                "family": r.get("language_family") or (entry.family if entry else None) or "unknown",
                "script": r.get("language_script") or (entry.script if entry else None) or "unknown",
                "resource level": f"{level} ({res})" if level and res is not None else (level or "unknown"),
            }
        return meta

    def _groups(self, rows, models, langs, cell) -> list:
        meta = self._meta(rows)
        panels, table_rows = [], []
        for attr in ("family", "script", "resource level"):
            # resource levels from the most resourced down ("high (5)", "mid (4)", "low (3)")
            order = (
                (lambda g: (g == "unknown", -_level(g), g))
                if attr == "resource level"
                else (lambda g: (g == "unknown", g))
            )
            groups = sorted({meta[lang][attr] for lang in langs}, key=order)
            per = {}
            for m in models:
                per[m] = [
                    [
                        cell[(m, lang, "overall")]["score"]
                        for lang in langs
                        if meta[lang][attr] == g and (m, lang, "overall") in cell
                    ]
                    for g in groups
                ]
            panels.append((attr, groups, per))
            for gi, g in enumerate(groups):
                members = [lang for lang in langs if meta[lang][attr] == g]
                means = []
                for m in models:
                    vals = [v for v in per[m][gi] if _finite(v)]
                    means.append(pct(float(np.mean(vals))) if vals else "—")
                table_rows.append([attr, g, ", ".join(members), *means])
        blocks: list = [
            Heading(
                "Transfer by the evaluation language's family, script and resource level", "transfer-groups"
            ),
            Table(
                ["attribute", "group", "languages", *models],
                table_rows,
                id="transfer-groups-table",
                caption="Mean overall accuracy (%) of each RM over the evaluation languages of the group",
            ),
        ]
        blocks += self._plot(
            "transfer_by_group.png",
            lambda p: plots.by_group(panels, p, self.cfg.dpi),
            "overall accuracy by language family, script and resource level",
            "Dots: one evaluation language each; bars: the RM's mean over the group.",
        )
        return blocks

    def _gaps(self, f: StageFolder) -> list:
        blocks: list = [
            Heading(f"English RM ({code(self.english)}) minus each target-language RM", "transfer-gap")
        ]
        if not f.outputs("gap", ".parquet"):
            notes = (f.manifest.get("tables") or {}).get("notes") or []
            why = next((n for n in notes if "gap" in n), None)
            blocks.append(Para("eval-rm wrote no gap table" + (f": {why}" if why else "") + ".", "missing"))
            return blocks
        rows = read_parquet_rows(f.file("gap", ".parquet"))
        by_lang: dict[str, dict[str, dict]] = {}
        for r in rows:
            by_lang.setdefault(r["language"], {})[r["metric"]] = r
        metrics = [m for m in METRICS if any(m in v for v in by_lang.values())]
        table_rows, strong, order = [], set(), []
        for lang, per in by_lang.items():
            first = per.get("overall") or next(iter(per.values()))
            is_mean = first.get("row_kind") == "mean"
            name = first.get("language_name") or ""
            cells = [
                points_ci(per[m]["gap"], per[m].get("ci_low"), per[m].get("ci_high")) if m in per else "—"
                for m in metrics
            ]
            if is_mean:
                strong.add(len(table_rows))
            table_rows.append(
                [
                    "mean" if is_mean else lang,
                    "" if is_mean else name,
                    first.get("target_model") or "",
                    num(first.get("n_pairs")) if first.get("n_pairs") is not None else "",
                    *cells,
                ]
            )
            order.append(lang)
        blocks.append(
            Table(
                ["language", "name", "RM", "pairs", *[METRIC_TITLES.get(m, m) for m in metrics]],
                table_rows,
                strong_rows=strong,
                id="gap-table",
                caption="English RM minus the target-language RM on the target language, in percentage points "
                "(positive: the English RM is more accurate); 95% paired-bootstrap CI in parentheses",
            )
        )
        lang_rows = [
            (lang, per["overall"])
            for lang, per in by_lang.items()
            if "overall" in per and per["overall"].get("row_kind") != "mean"
        ]
        mean = by_lang.get("mean", {})
        if lang_rows:
            mean_o = mean.get("overall")
            blocks += self._plot(
                "gap.png",
                lambda p: plots.gap_points(
                    [lang for lang, _ in lang_rows],
                    [r["gap"] for _, r in lang_rows],
                    [r.get("ci_low") for _, r in lang_rows],
                    [r.get("ci_high") for _, r in lang_rows],
                    (mean_o["gap"], mean_o.get("ci_low"), mean_o.get("ci_high")) if mean_o else None,
                    p,
                    self.cfg.dpi,
                ),
                "English-RM gap per target language",
                "Overall accuracy gap per target language and the mean, 95% CI.",
            )
        if mean.get("overall"):
            o = mean["overall"]
            self.figures.gap = {
                "gap": o["gap"],
                "ci_low": o.get("ci_low"),
                "ci_high": o.get("ci_high"),
                "languages": [lang for lang, _ in lang_rows],
                "by_metric": {m: mean[m]["gap"] for m in metrics if m in mean and m != "overall"},
                "english": o.get("english_model") or self.english,
            }
        return blocks

    # 5. Representations -----------------------------------------------------------------------

    def section_representations(self) -> list:
        f = self.run.get("analyze")
        cfg = f.config()
        blocks: list = []
        base = cfg.get("base")
        blocks.append(
            Para(
                f"Base model {code(base) if base else '(none: no CKA or change vs base)'}; probes {code(cfg.get('probes', '—'))}, "
                f"text {code(cfg.get('text', '—'))}, pooling {code(cfg.get('pooling', '—'))}."
            )
        )
        blocks += self._guard(lambda: self._rep_tables(f))
        blocks += self._guard(lambda: self._rep_plots(f))
        return blocks

    def _layer(self, rows: list[dict]) -> tuple[int | None, bool]:
        """The layer to show (as analyze numbers it) and whether it is the one asked for.

        analyze writes each layer's index from the bottom and from the end (`layer_from_end`),
        so `layer: -1` finds the last block whatever the model's depth."""
        layers = list(dict.fromkeys(r.get("layer") for r in rows if r.get("layer") is not None))
        if not layers:
            return None, False
        want = self.cfg.layer
        for r in rows:
            if r.get("layer") == want or (want < 0 and r.get("layer_from_end") == want):
                return r["layer"], True
        return layers[0], False

    def _rep_tables(self, f: StageFolder) -> list:
        rows = read_parquet_rows(f.file("table", ".parquet"))
        layer, asked = self._layer(rows)
        self._rep_layer = layer
        blocks: list = []
        if layer is None:
            return [Para("analyze wrote no metric rows.", "warning")]
        if not asked:
            blocks.append(Para(f"analyze kept no layer {self.cfg.layer}; shown: layer {layer}.", "note"))
        at = [r for r in rows if r.get("layer") == layer]
        cols = [
            ("top1_share", "Top-1 share of variance"),
            ("effective_rank", "Effective rank"),
            ("stable_rank", "Stable rank"),
            ("cka_vs_base", "Linear CKA vs the base model"),
            ("mean_cosine_vs_base", "Mean cosine vs the base model"),
            ("norm_mean", "Mean hidden-state norm"),
            ("norm_std", "Hidden-state norm sd"),
        ]
        cols = [(k, t) for k, t in cols if any(r.get(k) is not None for r in at)]
        errors = [f"{r.get('model')} / {r.get('language')}: {r['error']}" for r in at if r.get("error")]
        at = [r for r in at if not r.get("error")]
        models = list(dict.fromkeys(r.get("model") for r in at))
        langs = list(dict.fromkeys(r.get("language") for r in at))
        role = {r.get("model"): r.get("role") or "" for r in at}
        cell = {(r.get("model"), r.get("language")): r for r in at}
        blocks.append(Heading(f"Metrics per model and language (layer {layer})", "rep-metrics"))
        if models:
            n = [f"{lang} {cell[(models[0], lang)].get('n')}" for lang in langs if (models[0], lang) in cell]
            blocks.append(Para(f"Probe rows per language: {', '.join(n)}.", "note"))
        # one model × language matrix per metric: compact for many languages, like the transfer matrix
        more: list = []
        for key, title in cols:
            table_rows = [
                [
                    str(m),
                    str(role[m]),
                    *[num(cell[(m, lang)].get(key)) if (m, lang) in cell else "—" for lang in langs],
                ]
                for m in models
            ]
            table = Table(
                ["model", "role", *langs], table_rows, caption=f"{title} (layer {layer})", id=f"rep-{key}"
            )
            # the two the paper's argument rests on stay in view; the others fold away in the HTML
            (blocks if key in ("top1_share", "cka_vs_base") else more).append(table)
        if more:
            blocks.append(
                Details(
                    "More metrics: "
                    + ", ".join(t.lower() for k, t in cols if k not in ("top1_share", "cka_vs_base")),
                    more,
                )
            )
        if errors:
            blocks += [Para("Rows analyze could not compute:", "note"), Bullets(errors)]
        blocks += self._collapse(at, layer)
        self._rep_rows = at
        return blocks

    def _collapse(self, at: list[dict], layer: int) -> list:
        """Top-1 share of each model (over all languages) against the base model's."""

        def top1(model: str) -> float | None:
            overall = [
                r
                for r in at
                if r.get("model") == model and r.get("language") == ALL and _finite(r.get("top1_share"))
            ]
            if overall:
                return float(overall[0]["top1_share"])
            vals = [r["top1_share"] for r in at if r.get("model") == model and _finite(r.get("top1_share"))]
            return float(np.mean(vals)) if vals else None

        models = list(dict.fromkeys(r.get("model") for r in at))
        bases = [m for m in models if any(r.get("role") == "base" for r in at if r.get("model") == m)]
        base = bases[0] if bases else None
        b = top1(base) if base else None
        rows, per = [], {}
        for m in models:
            if m == base:
                continue
            v = top1(m)
            per[m] = v
            rows.append(
                [
                    m,
                    num(v),
                    num(b),
                    f"{v - b:+.4f}" if v is not None and b is not None else "—",
                    f"{v / b:.2f}×" if v is not None and b else "—",
                ]
            )
        self.figures.collapse = {"base": base, "base_top1": b, "models": per, "layer": layer}
        if not rows:
            return []
        return [
            Heading("Top-1 share of variance against the base model", "rep-collapse"),
            Table(
                ["model", "top-1 share", f"base ({base or 'none'})", "change", "ratio"],
                rows,
                id="collapse-table",
                caption=f"Share of the hidden-state variance (layer {layer}, all languages) along the top singular "
                "direction; a growing share is the collapse the paper describes",
            ),
        ]

    def _rep_plots(self, f: StageFolder) -> list:
        layer = self._rep_layer
        captions = (
            ("spectra_layer", "Normalised hidden-state spectra per language"),
            ("top1_share_layer", "Top-1 share of variance, model × language"),
            ("cka_vs_base_layer", "Similarity to the base model: linear CKA, model × language"),
            ("hidden_norms_layer", "Hidden-state norm histograms per language"),
            ("embedding_norms", "Token-embedding norm distributions per language"),
        )
        blocks: list = [Heading("Plots", "rep-plots")]
        chosen = []
        for o in f.outputs("plot", ".png"):
            stem = Path(o["file"]).stem
            # analyze names a plot by what it shows and the layer it shows (`<what>_layer<N>`)
            m = re.match(r"(.+)_layer(-?\d+)$", stem)
            if m and layer is not None and int(m.group(2)) != layer:
                continue
            what = next((c for p, c in captions if stem.startswith(p)), stem.replace("_", " "))
            chosen.append((o, what + (f" (layer {layer})" if m else "")))
        for o, caption in chosen:
            blocks += self._copy_png(f, o, caption)
        if chosen:
            return blocks
        # analyze ran with plots off: draw from its tables
        blocks.append(Para("analyze wrote no plots for this layer; these are drawn from its tables.", "note"))
        at = self._rep_rows
        spectra_out = f.outputs("spectra", ".parquet")
        if spectra_out and layer is not None:
            curves: dict[str, dict[str, list]] = {}
            for r in read_parquet_rows(f.file("spectra", ".parquet")):
                if r.get("layer") == layer and r.get("singular_values"):
                    curves.setdefault(r["language"], {})[r["model"]] = r["singular_values"]
            if curves:
                blocks += self._plot(
                    "spectra.png",
                    lambda p: plots.spectra(curves, p, self.cfg.dpi, layer),
                    "hidden-state spectra",
                    "Normalised hidden-state spectra per language.",
                )
        models = list(dict.fromkeys(r.get("model") for r in at))
        langs = list(dict.fromkeys(r.get("language") for r in at))

        def grid(key):
            g = np.full((len(models), len(langs)), np.nan)
            for r in at:
                if _finite(r.get(key)):
                    g[models.index(r["model"]), langs.index(r["language"])] = r[key]
            return g

        if at and np.isfinite(grid("cka_vs_base")).any():
            blocks += self._plot(
                "cka.png",
                lambda p: plots.grid(
                    models, langs, grid("cka_vs_base"), f"linear CKA vs base (layer {layer})", p, self.cfg.dpi
                ),
                "similarity to the base model",
                "Linear CKA against the base model.",
            )
        if at and np.isfinite(grid("norm_mean")).any():
            blocks += self._plot(
                "norms.png",
                lambda p: plots.norm_bars(
                    models, langs, grid("norm_mean"), grid("norm_std"), p, self.cfg.dpi, layer
                ),
                "hidden-state norms",
                "Mean hidden-state norm ± sd (histograms need analyze's own plots).",
            )
        return blocks

    # 6. Alignment -----------------------------------------------------------------------------

    def section_alignment(self) -> list:
        f = self.run.get("align")
        blocks: list = []
        own = f.outputs("plot", ".png")
        blocks += self._guard(lambda: self._win_rates(f, draw=not own))
        for o in own:  # align's own chart; the report draws one only when align wrote none
            blocks += self._copy_png(f, o, Path(o["file"]).stem.replace("_", " "))
        return blocks

    def _win_rates(self, f: StageFolder, *, draw: bool) -> list:
        rows = read_parquet_rows(f.file("win_rates", ".parquet"))
        if not rows:
            return [Para("The win-rate table is empty.", "warning")]
        cols = list(rows[0])
        wr = _win_rate_column(cols, rows)
        percent = wr is not None and any(_finite(r.get(wr)) and r[wr] > 1.0 for r in rows)
        table_rows = [[_cell(r.get(c), c, percent) for c in cols] for r in rows]
        unit = "percent" if percent else "fractions shown as percent"
        judge = _first(cols, ("judge",))
        judges = sorted({str(r[judge]) for r in rows if r.get(judge)}) if judge else []
        blocks: list = [
            Table(
                cols,
                table_rows,
                id="win-rate-table",
                caption=f"align's win-rate table, every column as written (rates: {unit})"
                + (f"; judge: {', '.join(judges)}" if judges else ""),
            ),
        ]
        lang_col = _first(cols, ("language", "lang", "target_language", "eval_language"))
        self.figures.alignment = (
            _english_label_advantage(rows, cols, wr, lang_col, percent, self.english)
            if wr and lang_col
            else None
        )
        if wr is None or lang_col is None:
            blocks.append(
                Para(
                    "No chart and no English-label figure: the table has no language or win-rate column "
                    f"(columns: {', '.join(cols)}).",
                    "note",
                )
            )
            return blocks
        if not draw:
            return blocks
        langs = list(dict.fromkeys(str(r[lang_col]) for r in rows))
        names = list(dict.fromkeys(_series(r, cols, lang_col, self.english) for r in rows))
        series = {n: [None] * len(langs) for n in names}
        lows = {n: [None] * len(langs) for n in names}
        highs = {n: [None] * len(langs) for n in names}
        lo_col, hi_col = _ci_columns(cols, wr)
        for r in rows:
            n, i = _series(r, cols, lang_col, self.english), langs.index(str(r[lang_col]))
            if _finite(r.get(wr)):
                series[n][i] = r[wr]
                lows[n][i] = r.get(lo_col) if lo_col and _finite(r.get(lo_col)) else None
                highs[n][i] = r.get(hi_col) if hi_col and _finite(r.get(hi_col)) else None
        blocks += self._plot(
            "win_rates.png",
            lambda p: plots.win_rate_bars(
                langs, series, lows, highs, p, self.cfg.dpi, percent, "Win rate per language"
            ),
            "win rates per language",
            f"Win rate ({wr}) per language and comparison; 50% is parity.",
        )
        return blocks

    # 7. Findings ------------------------------------------------------------------------------

    def section_findings(self) -> list:
        blocks: list = [Para(self._summary())]
        rows = [
            [
                "English RM vs target-language RMs on RewardBench-style accuracy",
                "+3 to +4 points on average on Multilingual RewardBench",
                self._run_gap(),
            ],
            ["Section where the English RM gains most", "Reasoning", self._run_section()],
            [
                "Representations after fine-tuning",
                "target-language fine-tuning collapses them (the top singular value takes a growing share); "
                "English fine-tuning less so",
                self._run_collapse(),
            ],
            [
                "Preference labels for DPO",
                "English-RM labels: +9.5 points win rate on average across es, it, ko, zh "
                "(Multilingual AlpacaEval)",
                self._run_alignment(),
            ],
        ]
        blocks.append(
            Table(
                ["finding", "paper", "this run"],
                rows,
                id="findings-table",
                caption=f"The paper: {PAPER}. The run's figures are computed from its outputs.",
            )
        )
        return blocks

    def _run_gap(self) -> str:
        g = self.figures.gap
        if g is None:
            if self.run.get("eval-rm") is None:
                return "missing: eval-rm was not run"
            return "missing: eval-rm wrote no gap table (it needs an English RM and a target-language RM scored on its language)"
        ci = f" (95% CI {points(g['ci_low'])} to {points(g['ci_high'])})" if _finite(g.get("ci_low")) else ""
        return (
            f"{points(g['gap'])} points{ci} on average over {len(g['languages'])} target language(s) "
            f"({', '.join(g['languages'])}), on {self._eval_data_text()}"
        )

    def _eval_data_text(self) -> str:
        if self.figures.scale.get("from_scores"):
            return "a scores file"
        data = self.figures.scale.get("eval_data") or []
        return ", ".join(map(str, data)) or "unknown data"

    def _run_section(self) -> str:
        g = self.figures.gap
        if g is None or not g["by_metric"]:
            return "missing: no per-section gaps"
        finite = {m: v for m, v in g["by_metric"].items() if _finite(v)}
        if not finite:
            return "missing: no per-section gaps"
        best = max(finite, key=finite.get)
        others = ", ".join(f"{METRIC_TITLES.get(m, m)} {points(v)}" for m, v in finite.items() if m != best)
        return f"{METRIC_TITLES.get(best, best)} ({points(finite[best])} points)" + (
            f"; {others}" if others else ""
        )

    def _run_collapse(self) -> str:
        c = self.figures.collapse
        if c is None:
            return (
                "missing: analyze was not run"
                if self.run.get("analyze") is None
                else "missing: analyze has no metric rows"
            )
        if c["base_top1"] is None:
            return "missing: analyze had no base model, so no change in top-1 share"
        if not c["models"]:
            return "missing: analyze compared no fine-tuned model with the base"
        parts = [f"{m} {v - c['base_top1']:+.4f}" for m, v in c["models"].items() if v is not None]
        text = f"top-1 share change vs base ({c['base_top1']:.4f}): " + ", ".join(parts)
        en = c["models"].get(self.english)
        targets = [v for m, v in c["models"].items() if m != self.english and v is not None]
        if en is not None and targets:
            t = float(np.mean(targets)) - c["base_top1"]
            e = en - c["base_top1"]
            verdict = "more than" if t > e else "not more than"
            text += (
                f"; the target-language RMs ({t:+.4f} on average) grew {verdict} the English RM ({e:+.4f})"
            )
        return text

    def _run_alignment(self) -> str:
        if self.run.get("align") is None:
            return "missing: align was not run"
        a = self.figures.alignment
        if a is None:
            return "missing: align's win-rate table names no English-RM-labelled policy to compare"
        return a["text"]

    def _summary(self) -> str:
        s, parts = self.figures.scale, []
        if s.get("rms"):
            pairs = ", ".join(x for x in s.get("train_pairs", []) if x and x != "—")
            parts.append(
                f"This run trained {len(s['rms'])} reward model(s) ({', '.join(s['rms'])})"
                + (f" from {code(s['base'])}" if s.get("base") else "")
                + (f" on {pairs} pairs" if pairs else "")
                + "."
            )
        if s.get("models"):
            n = [x for x in s.get("pairs_per_language", []) if _finite(x)]
            per = f", about {round(float(np.mean(n)))} pairs per language" if n else ""
            parts.append(
                f"It scored {len(s['models'])} RM(s) on {len(s['languages'])} language(s){per} "
                f"({self._eval_data_text()})."
            )
            data = [str(d) for d in s.get("eval_data") or []]
            if any(d.startswith("builtin") for d in data) and "m-rewardbench" not in data:
                parts.append(
                    "The built-in evaluation pairs are synthetic, with labels right by construction: they "
                    "test the machinery, not the paper's claim on Multilingual RewardBench."
                )
        g = self.figures.gap
        if g is not None and _finite(g.get("ci_low")) and _finite(g.get("ci_high")):
            if g["ci_low"] > 0 or g["ci_high"] < 0:
                side = "ahead of" if g["ci_low"] > 0 else "behind"
                parts.append(
                    f"The English RM is {side} the target-language RMs on average, and the 95% CI of the "
                    "mean gap excludes zero."
                )
            else:
                parts.append(
                    "The 95% CI of the mean English-RM gap includes zero: at this size the run cannot tell "
                    "the English RM from the target-language RMs."
                )
        if self.run.get("analyze") is not None:
            parts.append(
                "The representation metrics describe the models; set beside the transfer matrix they can "
                "show whether collapse and weak transfer go together here, not that one causes the other."
            )
        missing = [m for m in ("train-rm", "eval-rm", "analyze", "align") if self.run.get(m) is None]
        if missing:
            topics = {
                "train-rm": "training",
                "eval-rm": "transfer",
                "analyze": "representations",
                "align": "alignment",
            }
            parts.append(
                f"Stages not run ({', '.join(missing)}): the run says nothing about "
                f"{', '.join(topics[m] for m in missing)}."
            )
        if not parts:
            parts.append(
                "The run holds only data stages: it shows how the preference data was built and filtered."
            )
        return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Win-rate tables (align writes them; their columns are read by name, robustly)

#: Columns naming the policy (or labelling RM) a win rate belongs to, and the one it was judged
#: against; align writes ``policy_a`` / ``policy_b`` (policies named ``<rm>-rm``, and ``base``).
POLICY_COLUMNS = (
    "policy_a",
    "labeler",
    "labeller",
    "label_rm",
    "labeling_rm",
    "labelling_rm",
    "reward_model",
    "rm",
    "policy",
    "model",
    "name",
)
OPPONENT_COLUMNS = ("policy_b", "opponent", "baseline", "versus", "vs", "against", "reference")
BASE_NAMES = ("base", "sft", "reference", "ref")


def _first(cols: Iterable[str], candidates: Iterable[str]) -> str | None:
    low = {c.lower(): c for c in cols}
    return next((low[c] for c in candidates if c in low), None)


def _win_rate_column(cols: list[str], rows: list[dict]) -> str | None:
    exact = _first(cols, ("win_rate", "winrate", "win_rate_mean"))
    if exact:
        return exact
    for c in cols:
        lc = c.lower()
        if (
            "win" in lc
            and "ci" not in lc
            and "low" not in lc
            and "high" not in lc
            and any(_finite(r.get(c)) for r in rows)
        ):
            return c
    return None


def _ci_columns(cols: list[str], wr: str) -> tuple[str | None, str | None]:
    lo = _first(cols, (f"{wr}_ci_low", f"{wr}_low", "ci_low", "low", "lower"))
    hi = _first(cols, (f"{wr}_ci_high", f"{wr}_high", "ci_high", "high", "upper"))
    return lo, hi


def _cell(v, col: str, percent: bool) -> str:
    if isinstance(v, float):
        lc = col.lower()
        rate_like = (
            "rate" in lc or lc.startswith("ci") or lc.endswith(("_low", "_high")) or lc in ("low", "high")
        )
        if rate_like and not percent and _finite(v) and -1.0 <= v <= 1.0:
            return pct(v)
        return num(v, 3) if abs(v) < 100 or not _finite(v) else f"{v:.1f}"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return "—" if v is None else str(v)


def _is_english(value, english: str) -> bool:
    """A policy or labeller name that means the English RM: ``en``, ``en-rm``, ``dpo_en``, ``english``."""
    if value is None:
        return False
    text, low = str(value).lower(), english.lower()
    return text == low or low in re.split(r"[^a-z0-9]+", text) or text.split("-")[0] == "english"


def _is_base(value) -> bool:
    return value is not None and str(value).lower() in BASE_NAMES


def _series(row: dict, cols: list[str], lang_col: str, english: str) -> str:
    """The bar a row belongs to in the chart: what was compared, in words that are the same for
    every language (the target-language RM's policy is named after its language)."""
    a_col, b_col = _first(cols, POLICY_COLUMNS), _first(cols, OPPONENT_COLUMNS)
    if a_col is None:
        return "win rate"

    def role(v) -> str:
        if _is_english(v, english):
            return "English-RM policy"
        if _is_base(v):
            return "base"
        lang = str(row.get(lang_col, "")).lower()
        text = str(v).lower()
        return "target-RM policy" if text.startswith(("target", lang)) else str(v)

    a = role(row.get(a_col))
    return f"{a} vs {role(row.get(b_col))}" if b_col and row.get(b_col) is not None else a


def _english_label_advantage(rows, cols, wr, lang_col, percent, english) -> dict | None:
    """What the English RM's labels are worth in win rate, in points, from whichever rows the table
    has (the first that applies):

    1. head to head: the English-RM-labelled policy against a target-RM-labelled one (align's
       ``english_vs_target`` rows): win rate - 50% per language, averaged;
    2. against a common baseline (align's ``aligned_vs_base`` rows, or one row per labeller): the
       English-RM-labelled policy's win rate minus the others' on the same language, averaged;
    3. only English-labelled rows: their mean win rate, with nothing to compare it with."""
    scale = 1.0 if percent else 100.0
    a_col, b_col = _first(cols, POLICY_COLUMNS), _first(cols, OPPONENT_COLUMNS)
    if a_col is None:
        return None
    usable = [r for r in rows if _finite(r.get(wr)) and r.get(lang_col) is not None]
    rival = [r for r in usable if b_col and r.get(b_col) is not None and not _is_base(r.get(b_col))]
    h2h: dict[str, list[float]] = {}
    for r in rival:
        a_en, b_en = _is_english(r.get(a_col), english), _is_english(r.get(b_col), english)
        if a_en != b_en:  # one side English, the other a target-language labelling
            h2h.setdefault(str(r[lang_col]), []).append(
                scale * r[wr] - 50.0 if a_en else 50.0 - scale * r[wr]
            )
    if h2h:
        per = {lang: float(np.mean(v)) for lang, v in h2h.items()}
        mean = float(np.mean(list(per.values())))
        return {
            "points": mean,
            "per_language": per,
            "text": f"{mean:+.1f} points above parity on average over {', '.join(per)} (win rate of the "
            "English-RM-labelled policy against the target-RM-labelled one, minus 50%)",
        }
    common = [r for r in usable if not b_col or r.get(b_col) is None or _is_base(r.get(b_col))]
    per, base = {}, None
    for lang in dict.fromkeys(str(r[lang_col]) for r in common):
        here = [r for r in common if str(r[lang_col]) == lang]
        en = [r[wr] for r in here if _is_english(r.get(a_col), english)]
        others = [
            r[wr] for r in here if not _is_english(r.get(a_col), english) and not _is_base(r.get(a_col))
        ]
        if en and others:
            per[lang] = scale * (float(np.mean(en)) - float(np.mean(others)))
            base = next((r.get(b_col) for r in here if b_col and r.get(b_col) is not None), base)
    if per:
        mean = float(np.mean(list(per.values())))
        against = f" against {base}" if base else ""
        return {
            "points": mean,
            "per_language": per,
            "text": f"{mean:+.1f} points on average over {', '.join(per)} (win rate{against} of the English-RM-"
            "labelled policy minus that of the target-RM-labelled one)",
        }
    en_rows = [r for r in usable if _is_english(r.get(a_col), english)]
    if not en_rows:
        return None
    mean_wr = float(np.mean([scale * r[wr] for r in en_rows]))
    return {
        "points": None,
        "per_language": {},
        "text": f"English-RM labels: {mean_wr:.1f}% win rate on average; no other labelling to compare with",
    }
