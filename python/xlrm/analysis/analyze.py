"""The representation analysis: spectra, collapse, norms and similarity to the base model.

For each model (the base first, then each RM) the probe rows are run once, batch by batch; each
batch's pooled hidden states go straight into Rust accumulators per (layer, language):

- the base: a :class:`~xlrm.stats.GramAccumulator` (spectrum of its states);
- an RM: a :class:`~xlrm.stats.CrossAccumulator` against the base's states of the same rows,
  read back from safetensors shards written during the base pass (linear CKA, mean cosine of
  paired rows, and the RM's own spectrum);
- per layer a :class:`~xlrm.stats.NormAccumulator` of hidden-state norms per language;
- per model, the input-embedding norms of the tokens each language's probes use, weighted by
  frequency, with Wasserstein-1 distances between languages.

Nothing of size ``N × d`` is held: rows wait in small per-(layer, language) buffers (at most
``FLUSH_ROWS`` rows) before entering the accumulators, and only one model is loaded at a time.
"""

from __future__ import annotations

import gc
import logging
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xlrm import stats
from xlrm.analysis.config import AnalyzeConfig, parse_model_spec
from xlrm.analysis.probes import Probes

log = logging.getLogger(__name__)

FLUSH_ROWS = 256
ALL = "all"


@dataclass
class ModelReport:
    name: str
    path: str
    role: str  # "base" or "model"
    hidden_size: int
    num_layers: int
    rows: list[dict] = field(default_factory=list)  # metrics per (layer, language)
    spectra: list[dict] = field(default_factory=list)  # full singular values per (layer, language)
    hidden_norms: dict = field(default_factory=dict)  # layer -> (edges, {lang: NormSummary})
    embedding: dict | None = None  # per-language token-embedding norm summary, W1 matrix
    embedding_hist: dict | None = None
    seconds: float = 0.0


class _Buffer:
    """Rows waiting to enter one accumulator (keeps Rust calls large, memory small)."""

    def __init__(self, flush):
        self.flush_fn, self.parts, self.rows = flush, [], 0

    def add(self, *tensors) -> None:
        self.parts.append(tensors)
        self.rows += tensors[0].shape[0]
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        import torch

        cols = list(zip(*self.parts, strict=True))
        self.flush_fn(*(torch.cat(c) if len(c) > 1 else c[0] for c in cols))
        self.parts, self.rows = [], 0


class _Accumulators:
    """Per (layer, language): a Gram accumulator (no base to compare with) or a cross accumulator
    against the base's states (``base_dim > 0``), each behind a row buffer."""

    def __init__(self, layers: list[int], base_dim: int, exact: bool):
        self.by_layer: dict[int, dict[str, object]] = {layer: {} for layer in layers}
        self.buffers: dict[tuple[int, str], _Buffer] = {}
        self.base_dim, self.exact = base_dim, exact

    def buffer(self, layer: int, lang: str, d: int) -> _Buffer:
        key = (layer, lang)
        if key not in self.buffers:
            if self.base_dim:
                acc = stats.CrossAccumulator(self.base_dim, d, exact=self.exact)
            else:
                acc = stats.GramAccumulator(d, exact=self.exact)
            self.by_layer[layer][lang] = acc
            self.buffers[key] = _Buffer(acc.update)
        return self.buffers[key]

    def flush(self) -> None:
        for buf in self.buffers.values():
            buf.flush()


def _spectrum_row(sp: stats.Spectrum, top_k: list[int]) -> dict:
    row = {
        "n": sp.n,
        "top1_share": sp.top1_share,
        "effective_rank": sp.effective_rank,
        "stable_rank": sp.stable_rank,
        "sigma1": float(sp.singular_values[0]),
        "total_variance": sp.total / max(sp.n - 1, 1),
    }
    for k in top_k:
        row[f"top{k}_share"] = sp.top_k_shares.get(k, float("nan"))
    return row


def _lang_groups(langs: list[str]) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, lang in enumerate(langs):
        groups[lang].append(i)
    return {k: np.asarray(v) for k, v in groups.items()}


def run_analysis(cfg: AnalyzeConfig, probes: Probes, out: Path, *, progress=None) -> list[ModelReport]:
    """Analyse every model of ``cfg`` on ``probes``; shards (if kept) go under ``out / 'states'``."""
    import torch

    from xlrm.analysis.extract import embedding_row_norms, load_model, pooled_batches, token_counts
    from xlrm.analysis.shards import ShardReader, ShardWriter

    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    specs = [parse_model_spec(s) for s in cfg.all_models()]
    has_base = cfg.base is not None
    langs = sorted(set(probes.languages))
    states = out / "states" if cfg.save_states else Path(tempfile.mkdtemp(prefix="xlrm-states-"))
    base_files: list[str] = []
    base_dim = 0
    reports = []
    try:
        for i, (name, path) in enumerate(specs):
            started = time.time()
            is_base = has_base and i == 0
            lm = load_model(
                name, path, device=cfg.device, dtype=cfg.dtype, trust_remote_code=cfg.trust_remote_code
            )
            log.info("%s: %s (%d layers, d=%d) on %s", name, path, lm.num_layers, lm.hidden_size, lm.device)
            rep = ModelReport(name, path, "base" if is_base else "model", lm.hidden_size, lm.num_layers)
            cross = has_base and not is_base
            accs = _Accumulators(cfg.layers, base_dim if cross else 0, cfg.exact)
            norms = {layer: stats.NormAccumulator() for layer in cfg.layers}

            writer = (
                ShardWriter(states, name, cfg.shard_rows)
                if (is_base and len(specs) > 1) or cfg.save_states
                else None
            )
            reader = ShardReader(states, base_files) if cross else None
            done = 0
            for start, pooled in pooled_batches(
                lm,
                probes.conversations,
                layers=cfg.layers,
                pooling=cfg.pooling,
                batch_size=cfg.batch_size,
                max_length=cfg.max_length,
            ):
                b = next(iter(pooled.values())).shape[0]
                blangs = probes.languages[start : start + b]
                base_rows = reader.take(b) if reader else None
                groups = {k: torch.from_numpy(v) for k, v in _lang_groups(blangs).items()}
                for layer, t in pooled.items():
                    norms[layer].update(t, blangs)
                    for lang, idx in groups.items():
                        buf = accs.buffer(layer, lang, t.shape[1])
                        if cross:
                            buf.add(base_rows[f"layer_{layer}"][idx], t[idx])
                        else:
                            buf.add(t[idx])
                if writer:
                    writer.add(pooled)
                done += b
                if progress:
                    progress(name, done, len(probes))
            accs.flush()
            if writer:
                files = writer.close()
                if is_base:
                    base_files, base_dim = files, lm.hidden_size
            _finish_model(rep, cfg, accs.by_layer, norms, langs, cross)
            if cfg.embedding_norms:
                _embedding_report(rep, lm, probes, langs, cfg, embedding_row_norms, token_counts)
            del lm
            gc.collect()
            _empty_cuda_cache()
            rep.seconds = round(time.time() - started, 2)
            reports.append(rep)
    finally:
        if not cfg.save_states:
            shutil.rmtree(states, ignore_errors=True)
    return reports


def _empty_cuda_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _finish_model(rep: ModelReport, cfg: AnalyzeConfig, accs, norms, langs: list[str], cross: bool) -> None:
    for layer in cfg.layers:
        per_lang = accs[layer]
        if not per_lang:
            continue
        groups = {lang: per_lang[lang] for lang in langs if lang in per_lang}
        total = None
        for a in groups.values():
            total = a.copy() if total is None else total.merge(a)
        groups[ALL] = total
        edges, summaries = norms[layer].finalize(quantiles=cfg.norm_quantiles, bins=40)
        rep.hidden_norms[layer] = (edges, summaries)
        for lang, acc in groups.items():
            row: dict = {"model": rep.name, "role": rep.role, "layer": layer, "language": lang}
            try:
                if cross:
                    sim = acc.finalize()
                    sp = acc.spectrum("y", top_k=cfg.top_k)  # the base's own is in its report
                    row.update(cka_vs_base=sim.cka, mean_cosine_vs_base=sim.mean_cosine)
                else:
                    sp = acc.finalize(top_k=cfg.top_k)
                    if rep.role == "base":
                        row.update(cka_vs_base=1.0, mean_cosine_vs_base=1.0)
            except stats.XlrmError as e:  # too few rows for a language, all-identical rows
                log.warning("%s layer %s %s: %s", rep.name, layer, lang, e)
                row["error"] = str(e)
                rep.rows.append(row)
                continue
            row.update(_spectrum_row(sp, cfg.top_k))
            s = summaries.get(lang) if lang != ALL else None
            if lang == ALL:
                vals = [summaries[g] for g in summaries]
                w = sum(v.weight for v in vals)
                mean = sum(v.mean * v.weight for v in vals) / w
                var = sum(v.weight * (v.std**2 + (v.mean - mean) ** 2) for v in vals) / w
                row.update(norm_mean=mean, norm_std=var**0.5)
            elif s is not None:
                row.update(
                    norm_mean=s.mean, norm_std=s.std, **{f"norm_q{q:g}": v for q, v in s.quantiles.items()}
                )
            rep.rows.append(row)
            rep.spectra.append(
                {
                    "model": rep.name,
                    "layer": layer,
                    "language": lang,
                    "singular_values": sp.singular_values.astype(np.float64).tolist(),
                }
            )


def _embedding_report(
    rep: ModelReport, lm, probes: Probes, langs, cfg, embedding_row_norms, token_counts
) -> None:
    norms = embedding_row_norms(lm)
    acc = stats.NormAccumulator()
    by_lang = defaultdict(list)
    for conv, lang in zip(probes.conversations, probes.languages, strict=True):
        by_lang[lang].append(conv)
    for lang in langs:
        counts = token_counts(lm, by_lang[lang], cfg.max_length)
        ids = np.nonzero(counts)[0]
        acc.add_values(norms[ids], lang, counts[ids])
    edges, summ = acc.finalize(quantiles=cfg.norm_quantiles, bins=40)
    w1 = {f"{a}|{b}": v for (a, b), v in acc.distances().items()}
    rep.embedding = {
        "languages": {lang: s.summary() for lang, s in summ.items()},
        "w1": w1,
        "vocab_norm_mean": float(np.mean(norms)),
    }
    rep.embedding_hist = {
        "edges": np.asarray(edges).tolist(),
        "hist": {lang: np.asarray(s.hist).tolist() for lang, s in summ.items()},
    }
