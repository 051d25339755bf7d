"""Tables and plots of an analysis: metrics per model × layer × language (JSON, Parquet, CSV),
full spectra (Parquet), token-embedding norm summaries (JSON) and PNG figures.

matplotlib is imported only when plots are written (Agg backend, no display needed).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from xlrm.analysis.analyze import ALL, ModelReport

METRIC_ORDER = (
    "model",
    "role",
    "layer",
    "layer_from_end",
    "depth",
    "language",
    "n",
    "top1_share",
    "effective_rank",
    "stable_rank",
    "sigma1",
    "total_variance",
    "cka_vs_base",
    "mean_cosine_vs_base",
    "norm_mean",
    "norm_std",
)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def metrics_table(reports: list[ModelReport]) -> pa.Table:
    rows = [r for rep in reports for r in rep.rows]
    keys: list[str] = [k for k in METRIC_ORDER if any(k in r for r in rows)]
    keys += sorted({k for r in rows for k in r} - set(keys))
    return pa.table({k: [_clean(r.get(k)) for r in rows] for k in keys})


def write_tables(reports: list[ModelReport], out: Path, meta: dict) -> dict[str, str]:
    table = metrics_table(reports)
    pq.write_table(table, out / "metrics.parquet")
    pacsv.write_csv(table, out / "metrics.csv")
    spectra = [s for rep in reports for s in rep.spectra]
    pq.write_table(pa.Table.from_pylist(spectra), out / "spectra.parquet")
    doc = {
        **meta,
        "models": [
            {
                "name": r.name,
                "path": r.path,
                "role": r.role,
                "hidden_size": r.hidden_size,
                "num_layers": r.num_layers,
                "layers": r.layers,
                "seconds": r.seconds,
                "timings": r.timings,
            }
            for r in reports
        ],
        "metrics": table.to_pylist(),
        "embedding_norms": {r.name: r.embedding for r in reports if r.embedding},
        "hidden_norms": {
            r.name: {
                str(layer): {lang: s.summary() for lang, s in summ.items()}
                for layer, (_, summ) in r.hidden_norms.items()
            }
            for r in reports
        },
    }
    (out / "metrics.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False, default=_clean) + "\n", encoding="utf-8"
    )
    return {
        "metrics": "metrics.json",
        "table": "metrics.parquet",
        "csv": "metrics.csv",
        "spectra": "spectra.parquet",
    }


def markdown_table(
    reports: list[ModelReport],
    layer: int,
    columns=("top1_share", "effective_rank", "cka_vs_base", "mean_cosine_vs_base", "norm_mean"),
) -> str:
    """A compact Markdown table (model × language) for docs and reports."""
    lines = [
        "| model | language | n | " + " | ".join(columns) + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    errors = []
    for rep in reports:
        for r in rep.rows:
            if r["layer"] != layer:
                continue
            if "error" in r:
                errors.append(f"- {rep.name} / {r['language']}: {r['error']}")
                continue
            cells = []
            for c in columns:
                v = r.get(c)
                cells.append("" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v))
            lines.append(f"| {rep.name} | {r['language']} | {r.get('n', '')} | " + " | ".join(cells) + " |")
    if errors:  # e.g. layer 0 with last-token pooling: every probe ends in the same token
        lines += ["", "Not computed:", "", *errors]
    return "\n".join(lines) + "\n"


# --- plots -------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


DEPTH_METRICS = (
    ("top1_share", "top-1 share of variance"),
    ("effective_rank", "effective rank"),
    ("cka_vs_base", "linear CKA vs base"),
)


def _plot_layer_set(reports: list[ModelReport], plot_layers) -> list[int]:
    """Hidden-state indices with per-layer plots: ``plot_layers`` resolved for each model, kept
    where that model analysed the layer."""
    from xlrm.analysis import layers as layer_spec

    terms = layer_spec.parse(plot_layers, "plot_layers")
    out: set[int] = set()
    for rep in reports:
        wanted = layer_spec.resolve(terms, rep.num_layers, model=repr(rep.name), key="plot_layers")
        out.update(i for i in wanted if i in rep.layers)
    return sorted(out)


def write_depth_plot(reports: list[ModelReport], out: Path, dpi: int = 80) -> str | None:
    """Top-1 share, effective rank and CKA vs base against layer depth: one panel per (metric,
    language), one line per model, so that an RM trained in one language can be set against one
    trained in another at every depth. ``None`` when no model has two layers to draw a line."""
    if not any(len(rep.layers) > 1 for rep in reports):
        return None
    plt = _plt()
    langs = sorted({r["language"] for rep in reports for r in rep.rows if r["language"] != ALL}) + [ALL]
    metrics = [
        (m, title)
        for m, title in DEPTH_METRICS
        if any(r.get(m) is not None and "error" not in r for rep in reports for r in rep.rows)
    ]
    fig, axes = plt.subplots(
        len(metrics),
        len(langs),
        figsize=(0.8 + 2.5 * len(langs), 0.9 + 2.0 * len(metrics)),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rms = [rep for rep in reports if rep.role != "base"]
    styles = {
        rep.name: dict(color="0.35", ls="--", lw=1.2)
        if rep.role == "base"
        else dict(color=colors[rms.index(rep) % len(colors)], ls="-", lw=1.4)
        for rep in reports
    }
    for i, (metric, title) in enumerate(metrics):
        for j, lang in enumerate(langs):
            ax = axes[i][j]
            for rep in reports:
                pts = sorted(
                    (r["layer"], r[metric])
                    for r in rep.rows
                    if r["language"] == lang and r.get(metric) is not None and "error" not in r
                )
                if pts:
                    xs, ys = zip(*pts, strict=True)
                    ax.plot(
                        xs, ys, label=rep.name, marker="." if len(xs) < 40 else None, ms=3, **styles[rep.name]
                    )
            if metric == "effective_rank":
                ax.set_yscale("log")
            if i == 0:
                ax.set_title(lang, fontsize=9)
            if j == 0:
                ax.set_ylabel(title, fontsize=8)
            if i == len(metrics) - 1:
                ax.set_xlabel("layer (0 = embeddings)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.25, lw=0.5)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=len(labels))
    fig.suptitle("Hidden-state metrics against depth (centred spectra)", fontsize=10, x=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    name = "plots/depth.png"
    fig.savefig(out / name, dpi=dpi)
    plt.close(fig)
    return name


def write_plots(reports: list[ModelReport], out: Path, plot_layers=(-1,), dpi: int = 80) -> list[str]:
    """Per-layer plots for the layers of ``plot_layers`` (any form `layers` takes) and, when two
    or more layers were analysed, the metrics against depth (``plots/depth.png``)."""
    plt = _plt()
    from matplotlib.ticker import LogLocator, NullLocator

    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    written = []
    langs = sorted({r["language"] for rep in reports for r in rep.rows if r["language"] != ALL}) + [ALL]
    models = [rep.name for rep in reports]
    depth = write_depth_plot(reports, out, dpi=dpi)
    if depth:
        written.append(depth)

    for layer in _plot_layer_set(reports, plot_layers):
        # 1. Normalised spectra (σᵢ² / Σσ²), log scale, one panel per language.
        cols = min(3, len(langs))
        rows_n = math.ceil(len(langs) / cols)
        fig, axes = plt.subplots(rows_n, cols, figsize=(3.4 * cols, 2.6 * rows_n), squeeze=False)
        for ax, lang in zip(axes.flat, langs, strict=False):
            for rep in reports:
                for s in rep.spectra:
                    if s["layer"] == layer and s["language"] == lang:
                        sv = np.asarray(s["singular_values"])
                        share = sv**2 / max((sv**2).sum(), 1e-300)
                        k = max(1, min(len(share), 256))
                        ax.semilogy(np.arange(1, k + 1), np.maximum(share[:k], 1e-12), label=rep.name, lw=1.2)
            # Few log ticks and no minor ones: tick labels are most of matplotlib's time here.
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_locator(LogLocator(numticks=4))
            ax.set_title(f"{lang}", fontsize=9)
            ax.set_xlabel("index i", fontsize=8)
            ax.set_ylabel("share of variance", fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(langs) :]:
            ax.axis("off")
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Hidden-state spectra (layer {layer}, centred)", fontsize=10)
        fig.tight_layout()
        name = f"plots/spectra_layer{layer}.png"
        fig.savefig(out / name, dpi=dpi)
        plt.close(fig)
        written.append(name)

        # 2. Heatmaps: top-1 share and CKA vs base, model × language.
        for metric, title, cmap in (
            ("top1_share", "top-1 share of variance", "magma"),
            ("cka_vs_base", "linear CKA vs base", "viridis"),
        ):
            grid = np.full((len(models), len(langs)), np.nan)
            for i, rep in enumerate(reports):
                for r in rep.rows:
                    if r["layer"] == layer and r.get(metric) is not None and r["language"] in langs:
                        grid[i, langs.index(r["language"])] = r[metric]
            if np.all(np.isnan(grid)):
                continue
            fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(langs), 0.8 + 0.45 * len(models)))
            im = ax.imshow(grid, cmap=cmap, aspect="auto")
            ax.set_xticks(range(len(langs)), langs, fontsize=8)
            ax.set_yticks(range(len(models)), models, fontsize=8)
            for (i, j), v in np.ndenumerate(grid):
                if not np.isnan(v):
                    ax.text(
                        j,
                        i,
                        f"{v:.3f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v < np.nanmean(grid) else "black",
                    )
            fig.colorbar(im, ax=ax, fraction=0.046)
            ax.set_title(f"{title} (layer {layer})", fontsize=9)
            fig.tight_layout()
            name = f"plots/{metric}_layer{layer}.png"
            fig.savefig(out / name, dpi=dpi)
            plt.close(fig)
            written.append(name)

        # 3. Hidden-state norm histograms per language, one panel per model.
        fig, axes = plt.subplots(1, len(reports), figsize=(3.2 * len(reports), 2.6), squeeze=False)
        for ax, rep in zip(axes.flat, reports, strict=True):
            if layer not in rep.hidden_norms:
                continue
            edges, summ = rep.hidden_norms[layer]
            centers = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
            for lang, s in summ.items():
                h = np.asarray(s.hist)
                ax.plot(centers, h / max(h.sum(), 1e-300), label=lang, lw=1.1)
            ax.set_title(rep.name, fontsize=9)
            ax.set_xlabel("hidden-state norm", fontsize=8)
            ax.tick_params(labelsize=7)
        axes.flat[0].set_ylabel("share of rows", fontsize=8)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Hidden-state norms per language (layer {layer})", fontsize=10)
        fig.tight_layout()
        name = f"plots/hidden_norms_layer{layer}.png"
        fig.savefig(out / name, dpi=dpi)
        plt.close(fig)
        written.append(name)

    # 4. Token-embedding norm distributions per language (frequency-weighted), one panel per model.
    with_emb = [r for r in reports if r.embedding_hist]
    if with_emb:
        fig, axes = plt.subplots(1, len(with_emb), figsize=(3.2 * len(with_emb), 2.6), squeeze=False)
        for ax, rep in zip(axes.flat, with_emb, strict=True):
            edges = np.asarray(rep.embedding_hist["edges"])
            centers = (edges[:-1] + edges[1:]) / 2
            for lang, h in rep.embedding_hist["hist"].items():
                h = np.asarray(h)
                ax.plot(centers, h / max(h.sum(), 1e-300), label=lang, lw=1.1)
            w1 = rep.embedding["w1"] if rep.embedding else {}
            worst = max(w1.values()) if w1 else float("nan")
            ax.set_title(f"{rep.name} (max W1 {worst:.3g})", fontsize=9)
            ax.set_xlabel("embedding row norm", fontsize=8)
            ax.tick_params(labelsize=7)
        axes.flat[0].set_ylabel("token share", fontsize=8)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle("Token-embedding norms of each language's tokens", fontsize=10)
        fig.tight_layout()
        name = "plots/embedding_norms.png"
        fig.savefig(out / name, dpi=dpi)
        plt.close(fig)
        written.append(name)
    return written
