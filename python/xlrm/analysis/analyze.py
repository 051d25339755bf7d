"""The representation analysis: spectra, collapse, norms and similarity to the base model.

For each model (the base first, then each RM) the probe rows are run once, batch by batch; each
batch's pooled hidden states of every analysed layer (``layers: all`` is every hidden state, the
embedding output included) go straight into Rust accumulators per (layer, language):

- the base: a :class:`~xlrm.stats.GramAccumulator` (spectrum of its states);
- an RM: a :class:`~xlrm.stats.CrossAccumulator` against the base's states of the same rows,
  read back from safetensors shards written during the base pass (linear CKA, mean cosine of
  paired rows, and the RM's own spectrum);
- per layer a :class:`~xlrm.stats.NormAccumulator` of hidden-state norms per language;
- per model, the input-embedding norms of the tokens each language's probes use, weighted by
  frequency, with Wasserstein-1 distances between languages.

Only one model is loaded at a time. Rows wait in small per-(layer, language) buffers (at most
``FLUSH_ROWS`` rows) before entering the accumulators. A group with at most hidden-size rows (a few
hundred probes per language) is kept as rows and its spectrum and CKA come from ``n × n`` Grams;
a larger one is folded into ``d × d`` state, so memory per group never exceeds ``d²``.
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
    layers: list[int] = field(default_factory=list)  # hidden-state indices analysed (0 = embeddings)
    rows: list[dict] = field(default_factory=list)  # metrics per (layer, language)
    spectra: list[dict] = field(default_factory=list)  # full singular values per (layer, language)
    hidden_norms: dict = field(default_factory=dict)  # layer -> (edges, {lang: NormSummary})
    embedding: dict | None = None  # per-language token-embedding norm summary, W1 matrix
    embedding_hist: dict | None = None
    seconds: float = 0.0
    # load_s, forward_s (tokenization + forward passes), stats_s (accumulators and metrics),
    # states_s (writing or reading the base's state shards), embedding_s
    timings: dict = field(default_factory=dict)


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


class ModelStats:
    """The statistics of one model's pooled states, fed batch by batch.

    Per (layer, language) a :class:`~xlrm.stats.GramAccumulator` (no base to compare with) or a
    :class:`~xlrm.stats.CrossAccumulator` against the base's states of the same rows, each behind
    a row buffer; per layer a :class:`~xlrm.stats.NormAccumulator`. ``base_layers[i]`` is the
    base's hidden state that ``layers[i]`` is compared with. ``seconds`` adds up the time spent
    here (accumulating and the metrics), which is what the analysis costs beyond the forward
    passes.
    """

    def __init__(
        self,
        layers: list[int],
        *,
        base_layers: list[int] | None = None,
        base_dim: int = 0,
        exact: bool = False,
        small_n: bool = True,
    ):
        self.layers = list(layers)
        self.cross = bool(base_dim)
        self.base_key = {
            a: f"layer_{b}" for a, b in zip(self.layers, base_layers or self.layers, strict=True)
        }
        self.base_dim, self.exact, self.small_n = base_dim, exact, small_n
        self.accs: dict[int, dict[str, object]] = {layer: {} for layer in self.layers}
        self.buffers: dict[tuple[int, str], _Buffer] = {}
        self.norms = {layer: stats.NormAccumulator() for layer in self.layers}
        self.seconds = 0.0

    def _buffer(self, layer: int, lang: str, d: int) -> _Buffer:
        key = (layer, lang)
        if key not in self.buffers:
            if self.cross:
                acc = stats.CrossAccumulator(self.base_dim, d, exact=self.exact, small_n=self.small_n)
            else:
                acc = stats.GramAccumulator(d, exact=self.exact, small_n=self.small_n)
            self.accs[layer][lang] = acc
            self.buffers[key] = _Buffer(acc.update)
        return self.buffers[key]

    def add(self, pooled: dict[int, object], langs: list[str], base_rows: dict | None = None) -> None:
        """One batch: ``pooled[layer]`` is ``(rows, d)``, ``langs`` the rows' languages and
        ``base_rows[f"layer_{i}"]`` the base's states of the same rows (cross mode)."""
        import torch

        started = time.perf_counter()
        groups = {k: torch.from_numpy(v) for k, v in _lang_groups(langs).items()}
        for layer in self.layers:
            t = pooled[layer]
            self.norms[layer].update(t, langs)
            for lang, idx in groups.items():
                buf = self._buffer(layer, lang, t.shape[1])
                if self.cross:
                    buf.add(base_rows[self.base_key[layer]][idx], t[idx])
                else:
                    buf.add(t[idx])
        self.seconds += time.perf_counter() - started

    def finish(self, rep: ModelReport, cfg: AnalyzeConfig, langs: list[str]) -> None:
        """Flush the buffers and write the metrics of every (layer, language) into ``rep``."""
        started = time.perf_counter()
        for buf in self.buffers.values():
            buf.flush()
        for layer in self.layers:
            self._finish_layer(rep, cfg, layer, langs)
        self.seconds += time.perf_counter() - started

    def _finish_layer(self, rep: ModelReport, cfg: AnalyzeConfig, layer: int, langs: list[str]) -> None:
        per_lang = self.accs[layer]
        if not per_lang:
            return
        groups = {lang: per_lang[lang] for lang in langs if lang in per_lang}
        total = None
        for a in groups.values():
            total = a.copy() if total is None else total.merge(a)
        groups[ALL] = total
        edges, summaries = self.norms[layer].finalize(quantiles=cfg.norm_quantiles, bins=40)
        rep.hidden_norms[layer] = (edges, summaries)
        depth = layer / rep.num_layers if rep.num_layers else 0.0
        for lang, acc in groups.items():
            row: dict = {
                "model": rep.name,
                "role": rep.role,
                "layer": layer,  # hidden-state index, 0 = embeddings
                "layer_from_end": layer - rep.num_layers - 1,  # -1 = the last, as a config writes it
                "depth": depth,
                "language": lang,
            }
            try:
                if self.cross:
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


def plan_layers(cfg: AnalyzeConfig, specs: list[tuple[str, str]]) -> dict[str, tuple[int, list[int]]]:
    """``{model name: (decoder layers, hidden-state indices)}`` from each model's config, before
    any weights are loaded: a layer a model lacks, or RMs whose layers cannot be paired with the
    base's one to one, are errors now rather than after the base's forward passes."""
    from xlrm.analysis import layers as layer_spec
    from xlrm.analysis.extract import model_depth
    from xlrm.errors import InputError

    terms = layer_spec.parse(cfg.layers)
    plot_terms = layer_spec.parse(cfg.plot_layers, "plot_layers")
    plan = {}
    for name, path in specs:
        depth = model_depth(path, trust_remote_code=cfg.trust_remote_code)
        where = f"{name!r} ({path})"
        plan[name] = (depth, layer_spec.resolve(terms, depth, model=where))
        if cfg.plots:
            layer_spec.resolve(plot_terms, depth, model=where, key="plot_layers")
    if cfg.base is not None and len(specs) > 1:
        base_name, base_path = specs[0]
        base_depth, base_idx = plan[base_name]
        for name, path in specs[1:]:
            depth, idx = plan[name]
            if len(idx) != len(base_idx):
                raise InputError(
                    f"layers: model {name!r} ({path}) has {depth} layers and the base {base_name!r} "
                    f"({base_path}) {base_depth}, so `layers: {cfg.layers}` gives {len(idx)} hidden states "
                    f"for one and {len(base_idx)} for the other; CKA vs the base pairs them one to one",
                    hint="compare models of the same depth, or name as many layers for each (e.g. `layers: [-1]`)",
                )
    return plan


def run_analysis(cfg: AnalyzeConfig, probes: Probes, out: Path, *, progress=None) -> list[ModelReport]:
    """Analyse every model of ``cfg`` on ``probes``; shards (if kept) go under ``out / 'states'``."""
    import torch

    from xlrm.analysis.extract import embedding_row_norms, load_model, pooled_batches, token_counts
    from xlrm.analysis.shards import ShardReader, ShardWriter
    from xlrm.errors import InputError

    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    specs = [parse_model_spec(s) for s in cfg.all_models()]
    plan = plan_layers(cfg, specs)
    has_base = cfg.base is not None
    langs = sorted(set(probes.languages))
    states = out / "states" if cfg.save_states else Path(tempfile.mkdtemp(prefix="xlrm-states-"))
    base_files: list[str] = []
    base_dim = 0
    base_layers: list[int] = []
    reports = []
    try:
        for i, (name, path) in enumerate(specs):
            started = time.perf_counter()
            is_base = has_base and i == 0
            lm = load_model(
                name, path, device=cfg.device, dtype=cfg.dtype, trust_remote_code=cfg.trust_remote_code
            )
            depth, layers = plan[name]
            if lm.num_layers != depth:
                raise InputError(
                    f"model {name!r} ({path}): its config says {depth} layers but the loaded model has "
                    f"{lm.num_layers}",
                    hint="check that the folder's config.json belongs to its weights",
                )
            log.info("%s: %s (%d layers, d=%d) on %s", name, path, lm.num_layers, lm.hidden_size, lm.device)
            rep = ModelReport(
                name, path, "base" if is_base else "model", lm.hidden_size, lm.num_layers, layers
            )
            timings = {"load_s": time.perf_counter() - started, "forward_s": 0.0, "states_s": 0.0}
            cross = has_base and not is_base
            model_stats = ModelStats(
                layers,
                base_layers=base_layers if cross else None,
                base_dim=base_dim if cross else 0,
                exact=cfg.exact,
                small_n=cfg.small_n,
            )
            writer = (
                ShardWriter(states, name, cfg.shard_rows)
                if (is_base and len(specs) > 1) or cfg.save_states
                else None
            )
            reader = ShardReader(states, base_files) if cross else None
            done = 0
            batches = pooled_batches(
                lm,
                probes.conversations,
                layers=layers,
                pooling=cfg.pooling,
                batch_size=cfg.batch_size,
                max_length=cfg.max_length,
            )
            while True:
                t0 = time.perf_counter()
                item = next(batches, None)
                timings["forward_s"] += time.perf_counter() - t0
                if item is None:
                    break
                start, pooled = item
                b = next(iter(pooled.values())).shape[0]
                t0 = time.perf_counter()
                base_rows = reader.take(b) if reader else None
                timings["states_s"] += time.perf_counter() - t0
                model_stats.add(pooled, probes.languages[start : start + b], base_rows)
                if writer:
                    t0 = time.perf_counter()
                    writer.add(pooled)
                    timings["states_s"] += time.perf_counter() - t0
                done += b
                if progress:
                    progress(name, done, len(probes))
            if writer:
                t0 = time.perf_counter()
                files = writer.close()
                timings["states_s"] += time.perf_counter() - t0
                if is_base:
                    base_files, base_dim, base_layers = files, lm.hidden_size, layers
            model_stats.finish(rep, cfg, langs)
            timings["stats_s"] = model_stats.seconds
            if cfg.embedding_norms:
                t0 = time.perf_counter()
                _embedding_report(rep, lm, probes, langs, cfg, embedding_row_norms, token_counts)
                timings["embedding_s"] = time.perf_counter() - t0
            del lm
            gc.collect()
            _empty_cuda_cache()
            rep.seconds = round(time.perf_counter() - started, 2)
            rep.timings = {k: round(v, 3) for k, v in timings.items()}
            log.info(
                "%s: %.1fs (forward %.1fs, statistics %.2fs over %d layers)",
                name,
                rep.seconds,
                timings["forward_s"],
                timings["stats_s"],
                len(layers),
            )
            reports.append(rep)
    finally:
        if not cfg.save_states:
            shutil.rmtree(states, ignore_errors=True)
    return reports


def _empty_cuda_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


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
