"""`xlrm report` over run folders written by the stages themselves where that is cheap (data and
dedup through `xlrm pipeline`, eval-rm from a per-pair scores file) and, for the model stages
(train-rm, analyze, align), stage folders written through `xlrm.manifest.run_stage` with small
synthetic outputs of the documented layout.

The synthetic folders STAND IN for the real stages until running those here is cheap (train-rm and
analyze need torch and a model; align is not built yet): when a real stage can run in a test, its
stand-in below should be replaced by that stage's own output. One test already renders a real
analyze folder (tiny random models) to keep the analyze stand-in honest.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from xlrm.cli import main
from xlrm.eval.rewardbench import BUILTIN_SECTIONS
from xlrm.manifest import Output, StageResult, read_manifest, run_stage

RM_LANGS = ["en", "es", "ko", "zh"]
SKILL = {"en": 0.82, "es": 0.7, "ko": 0.62, "zh": 0.58}  # chance that an RM ranks a pair right
REPORT_SECTIONS = ("run", "data", "reward-models", "transfer", "representations", "alignment", "findings")
MODEL_SECTIONS = {
    "train-rm": "reward-models",
    "eval-rm": "transfer",
    "analyze": "representations",
    "align": "alignment",
}


# ---------------------------------------------------------------------------------------------
# Building run folders


def pipeline_data_stages(run_dir: Path, tmp: Path, *, report: bool = False) -> None:
    """data + dedup (and report) through `xlrm pipeline` with a small YAML."""
    cfg = {
        "run_dir": str(run_dir),
        "data": {"sources": [{"builtin": "train", "languages": RM_LANGS, "per_section": 4}]},
        "dedup": {"threshold": 0.8},
    }
    if report:
        cfg["report"] = {"title": "pipeline report"}
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert main(["pipeline", "--config", str(path), "-q"]) == 0


def eval_rm_stage(run_dir: Path, tmp: Path, *, seed: int = 0, bootstrap: int = 100) -> Path:
    """The real eval-rm stage, from a scores file: every RM scores every built-in subset in every
    language, ranking a pair right with its language's SKILL."""
    rng = np.random.default_rng(seed)
    rows = []
    for model in RM_LANGS:
        for lang in RM_LANGS:
            for subsets in BUILTIN_SECTIONS.values():
                for subset in subsets:
                    for i in range(5):
                        good = rng.random() < SKILL[model]
                        chosen = float(rng.normal())
                        rows.append(
                            {
                                "id": f"{lang}-{subset}-{i}",
                                "language": lang,
                                "subset": subset,
                                "score_chosen": chosen,
                                "score_rejected": chosen + (-1.0 if good else 1.0),
                                "model": model,
                            }
                        )
    scores = tmp / f"scores-{seed}.parquet"
    pq.write_table(pa.Table.from_pylist(rows), scores)
    out = run_dir / "eval-rm"
    args = [
        "eval-rm",
        "--from-scores",
        str(scores),
        "--out",
        str(out),
        "--bootstrap",
        str(bootstrap),
        "--plots",
        "false",
    ]
    assert main(args) == 0
    return out


def _png(path: Path, seed: int = 0) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    FigureCanvasAgg(fig)
    fig.add_subplot(1, 1, 1).plot(np.random.default_rng(seed).random(10))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=40)


def train_rm_standin(run_dir: Path, *, curves_png: tuple[str, ...] = ()) -> dict:
    """train-rm's layout: per language <lang>/model, <lang>/train_log.json (role train_log),
    <lang>/metrics.json (role metrics), optionally <lang>/curves.png (role plot), and the manifest's
    per-language summary under `languages`."""
    summary = {}

    def work(ws):
        outputs = []
        for k, lang in enumerate(RM_LANGS):
            d = ws.path / lang
            (d / "model").mkdir(parents=True)
            (d / "model" / "config.json").write_text("{}", encoding="utf-8")
            log = {
                "train": [
                    {
                        "step": s,
                        "loss": 0.7 / (1 + 0.1 * s * (k + 1)),
                        "learning_rate": 1e-5 * (1 - s / 40),
                        "accuracy": min(0.95, 0.5 + 0.01 * s * (k + 1)),
                    }
                    for s in range(1, 41)
                ],
                "eval": [
                    {"step": 20, "eval_loss": 0.6 - 0.02 * k, "eval_accuracy": 0.6 + 0.05 * k},
                    {"step": 40, "eval_loss": 0.5 - 0.02 * k, "eval_accuracy": 0.65 + 0.05 * k},
                ],
                "summary": {},
                "val": {},
                "global_step": 40,
            }
            (d / "train_log.json").write_text(json.dumps(log), encoding="utf-8")
            info = {
                "pairs": {
                    "train": {"in": 70, "used": 68 - k, "dropped": {}},
                    "val": {"in": 12, "used": 12, "dropped": {}},
                },
                "val_accuracy": 0.65 + 0.05 * k,
                "val_loss": 0.5 - 0.02 * k,
                "final_train_loss": 0.2 + 0.01 * k,
                "tokens_seen": 40000 + k,
                "tokens_per_s": 1234.5 + k,
                "wall_s": 12.5 + k,
                "global_step": 40,
            }
            (d / "metrics.json").write_text(json.dumps(info), encoding="utf-8")
            summary[lang] = info
            outputs += [
                Output(f"{lang}/model", "model", 68 - k, unit=lang),
                Output(f"{lang}/train_log.json", "train_log", unit=lang),
                Output(f"{lang}/metrics.json", "metrics", unit=lang),
            ]
            if lang in curves_png:
                _png(d / "curves.png", k)
                outputs.append(Output(f"{lang}/curves.png", "plot", unit=lang))
        counts = {
            "in": 400,
            "out": sum(i["pairs"]["train"]["used"] for i in summary.values()),
            "dropped_by_reason": {"not_shared_item": 16},
            "held_out": 48,
        }
        return StageResult(counts, outputs, {"languages": summary})

    run_stage(
        "train-rm",
        run_dir / "train-rm",
        config={"model": {"path": "tiny/base-model", "revision": None}, "train_languages": RM_LANGS},
        inputs=[],
        work=work,
    )
    return summary


# top-1 share of variance per model: the target-language RMs collapse more than the English RM
TOP1 = {"base": 0.20, "en": 0.22, "es": 0.31, "ko": 0.35, "zh": 0.33}


def analyze_standin(run_dir: Path, *, with_plots: bool = True) -> list[dict]:
    """analyze's layout: metrics.parquet (role table), spectra.parquet (role spectra), plots
    (role plot) named `<what>_layer<N>.png`, for layers -1 and 1."""
    rows, spectra = [], []
    for model, top1 in TOP1.items():
        role = "base" if model == "base" else "model"
        for layer in (-1, 1):
            for lang in [*RM_LANGS, "all"]:
                shift = 0.0 if layer == -1 else -0.05
                rows.append(
                    {
                        "model": model,
                        "role": role,
                        "layer": layer,
                        "language": lang,
                        "n": 40,
                        "top1_share": top1 + shift + (0.01 if lang == "ko" else 0.0),
                        "effective_rank": 20.0 - 20 * top1,
                        "stable_rank": 1 / (top1 + shift),
                        "sigma1": 3.0,
                        "total_variance": 9.0 / (top1 + shift),
                        "cka_vs_base": 1.0 if role == "base" else 1.0 - top1 + 0.1,
                        "mean_cosine_vs_base": 1.0 if role == "base" else 0.9,
                        "norm_mean": 10.0 + 5 * top1,
                        "norm_std": 1.0,
                    }
                )
                sv = np.sort(np.random.default_rng(len(spectra)).random(16))[::-1] * 3
                sv[0] = 10 * top1
                spectra.append(
                    {"model": model, "layer": layer, "language": lang, "singular_values": sv.tolist()}
                )

    def work(ws):
        pq.write_table(pa.Table.from_pylist(rows), ws.path / "metrics.parquet")
        pq.write_table(pa.Table.from_pylist(spectra), ws.path / "spectra.parquet")
        outputs = [Output("metrics.parquet", "table", len(rows)), Output("spectra.parquet", "spectra")]
        if with_plots:
            for i, name in enumerate(
                (
                    "spectra_layer-1",
                    "cka_vs_base_layer-1",
                    "hidden_norms_layer-1",
                    "spectra_layer1",
                    "embedding_norms",
                )
            ):
                _png(ws.path / "plots" / f"{name}.png", i)
                outputs.append(Output(f"plots/{name}.png", "plot"))
        counts = {
            "in": 160,
            "out": len(rows),
            "dropped_by_reason": {},
            "per_language": dict.fromkeys(RM_LANGS, 40),
        }
        return StageResult(counts, outputs)

    config = {
        "base": "base=tiny/base-model",
        "probes": "builtin:eval",
        "layers": [-1, 1],
        "text": "chosen",
        "pooling": "last",
        "plots": with_plots,
    }
    run_stage("analyze", run_dir / "analyze", config=config, inputs=[], work=work)
    return rows


ALIGN_LANGS = ["es", "it", "ko", "zh"]
# win rates of align's comparisons per language: each aligned policy against the base policy, and
# the English-RM policy against the target-RM policy (head to head)
VS_BASE = {
    "en-rm": {"es": 0.62, "it": 0.60, "ko": 0.58, "zh": 0.57},
    "target": {"es": 0.51, "it": 0.52, "ko": 0.47, "zh": 0.50},
}
HEAD_TO_HEAD = {"es": 0.61, "it": 0.55, "ko": 0.63, "zh": 0.56}


def align_rows() -> list[dict]:
    """Rows in the layout of align's `win_rates.parquet` (xlrm.align.judging.TABLE_SCHEMA)."""
    rows = []

    def row(lang, comparison, a, b, rate, i):
        n = 40
        wins = round(rate * n)
        return {
            "language": lang,
            "comparison": comparison,
            "policy_a": a,
            "policy_b": b,
            "judge": "judge-rm",
            "prompts": n,
            "wins": wins,
            "losses": n - wins,
            "ties": 0,
            "undecided": 0,
            "win_rate": rate,
            "ci_low": rate - 0.05,
            "ci_high": rate + 0.05,
            "a_mean_chars": 400.0 + i,
            "b_mean_chars": 380.5,
        }

    for i, lang in enumerate(ALIGN_LANGS):
        rows.append(row(lang, "aligned_vs_base", "en-rm", "base", VS_BASE["en-rm"][lang], i))
        rows.append(row(lang, "aligned_vs_base", f"{lang}-rm", "base", VS_BASE["target"][lang], i))
        rows.append(row(lang, "english_vs_target", "en-rm", f"{lang}-rm", HEAD_TO_HEAD[lang], i))
    return rows


def align_standin(run_dir: Path, rows: list[dict] | None = None, *, chart: bool = False) -> list[dict]:
    """align's `win_rates` output (role win_rates, and its chart as role plot): the align stage
    needs sampling, DPO training and a judge, too much for this test."""
    rows = align_rows() if rows is None else rows

    def work(ws):
        pq.write_table(pa.Table.from_pylist(rows), ws.path / "win_rates.parquet")
        outputs = [Output("win_rates.parquet", "win_rates", len(rows))]
        if chart:
            _png(ws.path / "win_rates.png")
            outputs.append(Output("win_rates.png", "plot"))
        return StageResult({"in": len(rows), "out": len(rows), "dropped_by_reason": {}}, outputs)

    run_stage("align", run_dir / "align", config={"languages": ALIGN_LANGS}, inputs=[], work=work, force=True)
    return rows


def build_full_run(root: Path) -> Path:
    """A run folder with every stage but translate (the report lists it as not run)."""
    run_dir = root / "run"
    pipeline_data_stages(run_dir, root)
    train_rm_standin(run_dir)
    eval_rm_stage(run_dir, root)
    analyze_standin(run_dir)
    align_standin(run_dir)
    return run_dir


# ---------------------------------------------------------------------------------------------
# Reading the report


class _Page(HTMLParser):
    """Sections (id → class, text), tables (id → rows of cell texts), images, links and ids."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, dict] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self._section = None
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        if tag == "section":
            self._section = a["id"]
            self.sections[a["id"]] = {"class": a.get("class"), "text": ""}
        elif tag == "table":
            self._table = a.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        elif tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._section:
            self.sections[self._section]["text"] += data
        if self._cell is not None:
            self._cell += data


def page(report_dir: Path) -> _Page:
    p = _Page()
    p.feed((report_dir / "report.html").read_text(encoding="utf-8"))
    return p


def md_sections(report_dir: Path) -> dict[str, str]:
    text = (report_dir / "report.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {p.split("\n", 1)[0]: p.split("\n", 1)[1].strip() for p in parts}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking that its image data inflates to the size the
    header promises (a truncated or corrupt PNG fails here)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = header[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + math.ceil(width * channels * depth / 8))
    return width, height


def check_self_contained(report_dir: Path) -> _Page:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    p = page(report_dir)
    assert "<script" not in html.lower()
    assert not re.search(r"url\(\s*['\"]?https?:", html), "CSS must not load anything"
    assert not re.search(r"@import", html)
    for ref in p.hrefs + p.srcs:
        assert not ref.lower().startswith(("http:", "https:", "//", "file:")), ref
    for href in p.hrefs:
        assert href.startswith("#") and href[1:] in p.ids, f"link {href} goes nowhere in the page"
    assert p.images, "the report has no image"
    for img in p.images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,"), src[:40]
        w, h = png_size(base64.b64decode(src.split(",", 1)[1], validate=True))
        assert w > 0 and h > 0
        assert img.get("alt")
    return p


def run_report(run_dir: Path, *extra: str) -> Path:
    assert main(["report", str(run_dir), *extra]) == 0
    out = Path(extra[extra.index("--out") + 1]) if "--out" in extra else run_dir / "report"
    return out


# ---------------------------------------------------------------------------------------------
# Tests


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    run_dir = build_full_run(root)
    out = run_report(run_dir)
    return {"run": run_dir, "out": out, "page": page(out), "md": md_sections(out)}


def test_every_section_renders_when_its_stage_ran(full):
    p, out = full["page"], full["out"]
    assert list(p.sections) == list(REPORT_SECTIONS)
    for sid, s in p.sections.items():
        assert s["class"] == "rendered", sid
        assert "Not run:" not in s["text"], sid
    # translate is the one stage this run lacks: the Run and Data tables say so
    assert ["translate", "—", "not run", "—", "—", "—"] in p.tables["table-0"]
    assert any(r[:2] == ["translate", "not run"] for r in p.tables["data-counts"])
    m = read_manifest(out)
    assert m["stage"] == "report" and m["counts"]["in"] == 6 and m["counts"]["out"] == 7
    assert m["counts"]["dropped_by_reason"] == {} and m["counts"]["stages_missing"] == ["translate"]
    assert m["counts"]["problems"] == 0 and m["problems"] == []  # every output read, every plot drawn
    roles = {o["role"] for o in m["outputs"]}
    assert roles == {"report_md", "report_html", "plot"}
    for o in m["outputs"]:
        assert (out / o["file"]).is_file() and (out / o["file"]).stat().st_size > 0
    # the inputs are the stage manifests and the files embedded, by content hash
    described = {(i.get("stage"), i["role"]) for i in m["inputs"]}
    assert {
        ("eval-rm", "manifest"),
        ("eval-rm", "transfer"),
        ("eval-rm", "gap"),
        ("train-rm", "train_log"),
        ("analyze", "table"),
        ("analyze", "plot"),
        ("align", "win_rates"),
    } <= described
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    # the Markdown holds the same sections, its images as files of the report folder
    assert [t.split(". ", 1)[1] for t in full["md"]] == [
        "Run",
        "Data",
        "Reward models",
        "Transfer",
        "Representations",
        "Alignment",
        "What this run shows and what it cannot",
    ]
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (out / "report.md").read_text())
    assert images and all((out / f).is_file() and f.startswith("plots/") for f in images)


def test_html_is_self_contained(full):
    p = check_self_contained(full["out"])
    assert len(p.images) >= 8  # curves, 2 heatmaps, groups, gap, 4 analyze plots, win rates


def test_gap_table_numbers_are_eval_rms(full):
    gap_rows = pq.read_table(full["run"] / "eval-rm" / "gap.parquet").to_pylist()
    table = full["page"].tables["gap-table"]
    header, body = table[0], table[1:]
    assert header[:4] == ["language", "name", "RM", "pairs"]
    titles = {
        "overall": "Overall",
        "chat": "Chat",
        "chat_hard": "Chat Hard",
        "safety": "Safety",
        "reasoning": "Reasoning",
    }
    by_lang = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_lang) == {"es", "ko", "zh", "mean"}
    for g in gap_rows:
        cell = by_lang[g["language"]][titles[g["metric"]]]
        got = [float(x) for x in re.findall(r"[+-]\d+\.\d", cell)]
        assert got == pytest.approx([100 * g["gap"], 100 * g["ci_low"], 100 * g["ci_high"]], abs=0.051), cell
        if g["row_kind"] == "language":
            assert by_lang[g["language"]]["pairs"] == str(g["n_pairs"])
    # and exactly as eval-rm's own gap.md writes them
    gap_md = (full["run"] / "eval-rm" / "gap.md").read_text()
    for line in gap_md.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] in ("es", "ko", "zh"):
            assert by_lang[cells[0]]["Overall"] == cells[3], line


def test_transfer_matrix_and_groups_match_the_transfer_table(full):
    rows = pq.read_table(full["run"] / "eval-rm" / "transfer.parquet").to_pylist()
    overall = {(r["model"], r["language"]): r for r in rows if r["metric"] == "overall"}
    tables = full["page"].tables
    matrix = next(t for t in tables.values() if t and t[0][0] == "RM \\ eval")
    langs = matrix[0][1:]
    for row in matrix[1:]:
        for lang, cell in zip(langs, row[1:], strict=True):
            r = overall[(row[0], lang)]
            assert cell == f"{100 * r['score']:.1f} ({100 * r['ci_low']:.1f}–{100 * r['ci_high']:.1f})"
    groups = tables["transfer-groups-table"]
    head = groups[0]
    romance = next(r for r in groups if r[:2] == ["family", "Romance"])
    assert romance[2] == "es"
    for model in RM_LANGS:
        assert romance[head.index(model)] == f"{100 * overall[(model, 'es')]['score']:.1f}"
    latin = next(r for r in groups if r[:2] == ["script", "Latin"])
    assert latin[2] == "en, es"
    want = np.mean([overall[("ko", "en")]["score"], overall[("ko", "es")]["score"]])
    assert latin[head.index("ko")] == f"{100 * want:.1f}"


def test_reward_model_and_representation_tables(full):
    tables = full["page"].tables
    rm = {r[0]: r for r in tables["rm-table"][1:]}
    assert set(rm) == set(RM_LANGS)
    assert rm["es"][1:4] == ["67", "12", "70.0"]  # used, held out, val accuracy (%)
    assert rm["zh"][4:7] == ["0.4400", "0.2300", "1237.5"]  # val loss, final train loss, tokens/s
    top1 = tables["rep-top1_share"]
    assert top1[0] == ["model", "role", *RM_LANGS, "all"]
    for row in top1[1:]:
        want = [TOP1[row[0]] + (0.01 if lang == "ko" else 0.0) for lang in [*RM_LANGS, "all"]]
        assert [float(x) for x in row[2:]] == pytest.approx(want) and row[1] == (
            "base" if row[0] == "base" else "model"
        )
    assert [r[0] for r in top1[1:]] == list(TOP1)
    assert {"rep-effective_rank", "rep-cka_vs_base", "rep-norm_mean"} <= set(tables)
    collapse = {r[0]: r for r in tables["collapse-table"][1:]}
    assert set(collapse) == {"en", "es", "ko", "zh"}
    for m, r in collapse.items():
        assert float(r[1]) == pytest.approx(TOP1[m]) and float(r[2]) == pytest.approx(TOP1["base"])
        assert float(r[3]) == pytest.approx(TOP1[m] - TOP1["base"], abs=1e-4)
    # only layer -1's plots of analyze are shown (spectra_layer1 is another layer's)
    captions = full["page"].sections["representations"]["text"]
    assert "plots/spectra_layer-1.png" in captions and "spectra_layer1.png" not in captions


def test_findings_compute_the_runs_figures(full):
    gap_rows = pq.read_table(full["run"] / "eval-rm" / "gap.parquet").to_pylist()
    mean = next(r for r in gap_rows if r["row_kind"] == "mean" and r["metric"] == "overall")
    findings = {r[0]: r for r in full["page"].tables["findings-table"][1:]}
    gap = findings["English RM vs target-language RMs on RewardBench-style accuracy"][2]
    assert gap.startswith(
        f"{100 * mean['gap']:+.1f} points (95% CI {100 * mean['ci_low']:+.1f} to {100 * mean['ci_high']:+.1f})"
    )
    sections = {
        r["metric"]: r["gap"] for r in gap_rows if r["row_kind"] == "mean" and r["metric"] != "overall"
    }
    best = max(sections, key=sections.get)
    titles = {"chat": "Chat", "chat_hard": "Chat Hard", "safety": "Safety", "reasoning": "Reasoning"}
    assert findings["Section where the English RM gains most"][2].startswith(
        f"{titles[best]} ({100 * sections[best]:+.1f} points)"
    )
    collapse = findings["Representations after fine-tuning"][2]
    target = np.mean([TOP1[m] for m in ("es", "ko", "zh")]) - TOP1["base"]
    assert (
        f"({target:+.4f} on average) grew more than the English RM ({TOP1['en'] - TOP1['base']:+.4f})"
        in collapse
    )
    align = findings["Preference labels for DPO"][2]
    want = np.mean([100 * HEAD_TO_HEAD[lang] - 50 for lang in ALIGN_LANGS])  # head to head first
    assert align.startswith(f"{want:+.1f} points above parity on average over es, it, ko, zh")
    text = full["page"].sections["findings"]["text"]
    assert "trained 4 reward model(s) (en, es, ko, zh) from" in text


def test_partial_run_renders_what_it_has_and_lists_the_rest(tmp_path):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path, report=True)  # the pipeline runs the report stage itself
    out = run_dir / "report"
    p = check_self_contained_or_no_images(out)
    for stage, sid in MODEL_SECTIONS.items():
        s = p.sections[sid]
        assert s["class"] == "notrun" and "Not run:" in s["text"] and stage in s["text"], sid
    assert p.sections["data"]["class"] == "rendered"
    assert "dedup" in p.sections["data"]["text"]
    m = read_manifest(out)
    assert m["counts"]["in"] == 2 and m["counts"]["out"] == 3
    assert m["counts"]["dropped_by_reason"] == {"missing_stage": 4}
    md = md_sections(out)
    assert md["4. Transfer"].startswith("> Not run: the run folder has no `eval-rm` stage folder")
    findings = {r[0]: r[2] for r in p.tables["findings-table"][1:]}
    assert all(v.startswith("missing:") for v in findings.values())
    assert (out / "report.md").read_text().startswith("# pipeline report\n")
    # the pipeline's log tail is in the Run section
    assert "[dedup] ran" in p.sections["run"]["text"]

    # add eval-rm: its section appears, the other model sections stay "not run"
    eval_rm_stage(run_dir, tmp_path)
    run_report(run_dir)
    p = page(out)
    assert p.sections["transfer"]["class"] == "rendered" and "gap-table" in p.tables
    assert p.sections["reward-models"]["class"] == "notrun"
    assert read_manifest(out)["counts"]["dropped_by_reason"] == {"missing_stage": 3}
    findings = {r[0]: r[2] for r in p.tables["findings-table"][1:]}
    assert not findings["English RM vs target-language RMs on RewardBench-style accuracy"].startswith(
        "missing"
    )
    assert findings["Representations after fine-tuning"] == "missing: analyze was not run"


def check_self_contained_or_no_images(out: Path) -> _Page:
    """A report of data stages only has no image; everything else of the self-contained check holds."""
    html = (out / "report.html").read_text(encoding="utf-8")
    p = page(out)
    assert "<script" not in html.lower() and not p.images
    for href in p.hrefs:
        assert href.startswith("#") and href[1:] in p.ids
    return p


def test_unchanged_run_is_skipped_and_a_changed_output_rerenders(tmp_path, capsys):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    eval_rm_stage(run_dir, tmp_path)
    out = run_report(run_dir)
    first = (out / "report.md").read_text()
    capsys.readouterr()
    run_report(run_dir)
    assert "unchanged, skipped" in capsys.readouterr().out
    # new scores: eval-rm's outputs change, so the report is rendered again with the new numbers
    eval_rm_stage(run_dir, tmp_path, seed=1)
    capsys.readouterr()
    run_report(run_dir)
    assert "unchanged, skipped" not in capsys.readouterr().out
    second = (out / "report.md").read_text()
    assert second != first
    mean = next(
        r
        for r in pq.read_table(run_dir / "eval-rm" / "gap.parquet").to_pylist()
        if r["row_kind"] == "mean" and r["metric"] == "overall"
    )
    assert f"{100 * mean['gap']:+.1f} points (95% CI" in second
    # a fingerprinted setting renders again; --force does too
    capsys.readouterr()
    run_report(run_dir, "--title", "Another title")
    assert "unchanged, skipped" not in capsys.readouterr().out
    assert (out / "report.html").read_text().count("Another title") == 2  # <title> and <h1>
    run_report(run_dir, "--title", "Another title", "--force")
    assert "unchanged, skipped" not in capsys.readouterr().out


def test_sections_option_and_bad_inputs(tmp_path, capsys):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    eval_rm_stage(run_dir, tmp_path)
    out = run_report(run_dir, "--sections", "data", "findings", "--out", str(tmp_path / "r"))
    p = page(out)
    assert list(p.sections) == ["data", "findings"]
    m = read_manifest(out)
    assert m["counts"]["out"] == 2 and m["counts"]["dropped_by_reason"] == {"not_selected": 5}
    # the findings still get the transfer figures although the Transfer section is left out
    findings = {r[0]: r[2] for r in p.tables["findings-table"][1:]}
    assert "points (95% CI" in findings["English RM vs target-language RMs on RewardBench-style accuracy"]
    assert not (out / "plots").exists()  # nothing drawn for the sections left out
    capsys.readouterr()

    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "the run folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "holds no stage folder" in capsys.readouterr().err
    assert main(["report"]) == 2
    assert "reads one run folder" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--sections", "plots"]) == 2
    assert "unknown section 'plots'" in capsys.readouterr().err
    # the report never writes into a stage's folder
    assert main(["report", str(run_dir), "--out", str(run_dir / "eval-rm" / "report")]) == 2
    assert "lies inside the input" in capsys.readouterr().err


def test_broken_and_odd_stage_folders_give_warnings_not_a_crash(tmp_path):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    eval_rm_stage(run_dir, tmp_path)
    (run_dir / "eval-rm" / "transfer.parquet").unlink()
    # a work folder of a killed run, and a second dedup output under another name
    (run_dir / "dedup.tmp-99999").mkdir()
    (run_dir / "dedup.tmp-99999" / "manifest.json").write_text(json.dumps({"stage": "dedup"}))
    import shutil

    shutil.copytree(run_dir / "dedup", run_dir / "dedup-copy")
    out = run_report(run_dir)
    p = page(out)
    text = p.sections["transfer"]["text"]
    assert "transfer.parquet (role transfer) but" in text and "is missing" in text
    assert "gap-table" in p.tables  # the gap table does not depend on the missing file
    assert "dedup-copy/: another dedup output; the report shows dedup/" in p.sections["run"]["text"]
    assert "dedup.tmp-99999" not in p.sections["run"]["text"]
    m = read_manifest(out)
    assert m["counts"]["problems"] == 1 and "is missing" in m["problems"][0]


def test_training_curve_fallback_and_analyze_without_plots(tmp_path):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    train_rm_standin(run_dir, curves_png=("ko",))
    # ko's log is unreadable: its own curves.png is shown instead, the others are drawn
    (run_dir / "train-rm" / "ko" / "train_log.json").write_text("{not json")
    analyze_standin(run_dir, with_plots=False)
    out = run_report(run_dir, "--layer", "1")
    p = check_self_contained(out)
    rm_text = p.sections["reward-models"]["text"]
    assert "training curves of the ko RM (from train-rm/ko/curves.png)" in rm_text
    assert "is not readable JSON" in rm_text  # and a warning says why
    rep = p.sections["representations"]["text"]
    assert "drawn from its tables" in rep and "(layer 1)" in rep
    files = {o["file"] for o in read_manifest(out)["outputs"] if o["role"] == "plot"}
    assert {
        "plots/training_curves.png",
        "plots/spectra.png",
        "plots/cka.png",
        "plots/norms.png",
        "plots/train-rm-ko_curves.png",
    } <= files
    collapse = {r[0]: r for r in p.tables["collapse-table"][1:]}
    assert float(collapse["es"][1]) == pytest.approx(TOP1["es"] - 0.05)  # layer 1's values


def test_alignment_tables_of_other_layouts(tmp_path):
    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)

    def finding(p):
        return {r[0]: r[2] for r in p.tables["findings-table"][1:]}["Preference labels for DPO"]

    # align's layout without the head-to-head rows: the English-RM policy's win rate over the base
    # minus the target-RM policy's, and align's own chart instead of the report's
    align_standin(run_dir, [r for r in align_rows() if r["comparison"] == "aligned_vs_base"], chart=True)
    out = run_report(run_dir)
    p = check_self_contained(out)
    table = p.tables["win-rate-table"]
    assert table[0] == list(align_rows()[0]) and table[1][10:13] == ["62.0", "57.0", "67.0"]
    want = np.mean([100 * (VS_BASE["en-rm"][lang] - VS_BASE["target"][lang]) for lang in ALIGN_LANGS])
    assert finding(p).startswith(f"{want:+.1f} points on average over es, it, ko, zh (win rate against base")
    plots_ = [o["file"] for o in read_manifest(out)["outputs"] if o["role"] == "plot"]
    assert plots_ == ["plots/align-win_rates.png"]
    # another tool's layout: one row per labeller, win rates in percent, the opponent named
    h2h = [
        {
            "language": lang,
            "policy": "dpo-en",
            "opponent": f"dpo-{lang}",
            "win_rate": 50 + 3.0 * (i + 1),
            "ties": 4,
            "avg_len_policy": 210.5,
        }
        for i, lang in enumerate(ALIGN_LANGS)
    ]
    align_standin(run_dir, h2h)
    p = check_self_contained(run_report(run_dir))
    assert p.tables["win-rate-table"][1] == ["es", "dpo-en", "dpo-es", "53.0", "4", "210.5"]
    assert finding(p).startswith("+7.5 points above parity on average over es, it, ko, zh")
    # no policy column at all: the table and chart are shown, the finding says what is missing
    align_standin(run_dir, [{"language": lang, "win_rate": 0.5} for lang in ALIGN_LANGS])
    p = page(run_report(run_dir))
    assert finding(p) == "missing: align's win-rate table names no English-RM-labelled policy to compare"
    assert p.tables["win-rate-table"][1] == ["es", "50.0"] and len(p.images) == 1


def test_without_matplotlib_the_tables_remain(tmp_path, monkeypatch):
    from xlrm.report import plots

    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    eval_rm_stage(run_dir, tmp_path)
    monkeypatch.setattr(plots, "available", lambda: False)
    out = run_report(run_dir)
    p = page(out)
    assert not p.images and "gap-table" in p.tables
    assert "matplotlib is not installed" in p.sections["transfer"]["text"]


def test_a_real_analyze_folder(tmp_path):
    """The real analyze stage on tiny random models (the stand-in above is checked against it)."""
    pytest.importorskip("transformers")
    from tiny_models import pair_texts, tiny_llama
    from xlrm.data.builtin import generate

    rows = generate(languages=["en", "ko"], split="eval", per_section=2, seed=0)
    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    texts = pair_texts(rows)
    models = {
        name: tiny_llama(tmp_path / name, texts, seed=seed, hidden=16)
        for seed, name in enumerate(("base", "en", "ko"))
    }
    run_dir = tmp_path / "run"
    args = [
        "analyze",
        f"en={models['en']}",
        f"ko={models['ko']}",
        "--base",
        f"base={models['base']}",
        "--probes",
        str(probes),
        "--max-per-language",
        "8",
        "--device",
        "cpu",
        "--out",
        str(run_dir / "analyze"),
    ]
    assert main(args) == 0
    out = run_report(run_dir)
    p = check_self_contained(out)
    assert p.sections["representations"]["class"] == "rendered"
    # `layer: -1` is the last block, which analyze numbers from the bottom (layer 2 here)
    assert "analyze kept no layer" not in (out / "report.html").read_text(encoding="utf-8")
    metrics = pq.read_table(run_dir / "analyze" / "metrics.parquet").to_pylist()
    top1 = {
        r["model"]: r["top1_share"] for r in metrics if r["language"] == "all" and r["layer_from_end"] == -1
    }
    collapse = {r[0]: r for r in p.tables["collapse-table"][1:]}
    assert set(collapse) == {"en", "ko"}
    for m in ("en", "ko"):
        assert float(collapse[m][1]) == pytest.approx(top1[m], abs=5e-5)
        assert float(collapse[m][2]) == pytest.approx(top1["base"], abs=5e-5)
    analyze_plots = [o["file"] for o in read_manifest(run_dir / "analyze")["outputs"] if o["role"] == "plot"]
    assert len(p.images) == len(analyze_plots) == 5  # every layer -1 plot and the embedding norms
    findings = {r[0]: r[2] for r in p.tables["findings-table"][1:]}
    assert findings["Representations after fine-tuning"].startswith(
        f"top-1 share change vs base ({top1['base']:.4f})"
    )


def test_report_never_imports_torch(tmp_path):
    """`xlrm report` reads Parquet, JSON and PNGs: torch and transformers stay unloaded."""
    import subprocess
    import sys

    run_dir = tmp_path / "run"
    pipeline_data_stages(run_dir, tmp_path)
    eval_rm_stage(run_dir, tmp_path)
    code = (
        "import sys\nfrom xlrm.cli import main\n"
        f"assert main(['report', {str(run_dir)!r}, '-q']) == 0\n"
        "print([m for m in ('torch', 'transformers', 'trl') if m in sys.modules])\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(root / "python"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
