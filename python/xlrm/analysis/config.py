"""``xlrm analyze`` settings (YAML section ``analyze:``; every scalar is also a flag).

``layers`` and ``plot_layers`` take several forms (``all``, ``-1``, ``0-12``, ``-4--1``, a list of
these; :mod:`xlrm.analysis.layers`), so they are set in the YAML (``--config``) rather than by a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option

TextMode = Literal["chosen", "rejected", "both", "prompt"]


@dataclass
class AnalyzeConfig:
    base: str | None = option(
        None,
        help="Base model: a Hugging Face folder or hub id, or a .gguf file (dequantised on load); "
        "optional `name=` prefix. RMs are compared with it (CKA, cosine, spectra)",
    )
    models: list[str] = option(
        [],
        help="Reward models (or any models) to analyse, each `name=path` or a path (name: folder name); "
        "sequence-classification and causal-LM folders both work (the backbone is used)",
    )
    probes: str = option(
        "builtin:eval",
        help="Probe pairs in the xlrm schema: a .parquet/.jsonl/.json file or folder, or builtin:eval / "
        "builtin:train (the built-in en/es/it/ko/zh set)",
    )
    languages: list[str] = option([], help="Languages to keep (empty: every language in the probes)")
    max_per_language: int = option(200, help="Probe pairs per language (first ones in file order)")
    text: TextMode = option(
        "chosen",
        help="What each probe row feeds the model: prompt + chosen reply, prompt + rejected, both (two "
        "rows per pair) or the prompt alone",
    )
    layers: list[int | str] | str = option(
        [-1],
        help="Hidden-state layers (0 = embeddings output, -1 = last, as in output_hidden_states): `all`, "
        "indices, inclusive ranges such as 0-12 or -4--1, or a list of these",
    )
    pooling: Literal["last", "mean"] = option(
        "last", help="Row per text: the last token's state (what an RM scores) or the mean over tokens"
    )
    batch_size: int = option(8, help="Texts per forward pass")
    max_length: int = option(512, help="Truncate texts to this many tokens")
    device: str = option("auto", help="torch device: auto (cuda if available), cpu, cuda, cuda:1, mps")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = option(
        "auto", help="Weights dtype; auto = bfloat16 on a GPU that supports it, float32 otherwise"
    )
    num_threads: int = option(0, help="CPU threads for torch (0 = torch's default)", fingerprint=False)
    exact: bool = option(False, help="f64 products in the Gram matrices (slower; default f32 per block)")
    small_n: bool = option(
        True,
        help="Take a (model, layer, language) group's spectrum and CKA from its n × n Grams while it has "
        "at most hidden-size rows (no d × d eigendecomposition); false: the streaming d × d path throughout",
    )
    top_k: list[int] = option([1, 5, 10], help="Report the spectrum share of the top k directions")
    norm_quantiles: list[float] = option([0.05, 0.25, 0.5, 0.75, 0.95], help="Quantiles of norm tables")
    embedding_norms: bool = option(
        True, help="Token-embedding norm distributions per language (frequency-weighted), per model"
    )
    save_states: bool = option(False, help="Keep the pooled hidden states as safetensors shards")
    shard_rows: int = option(4096, help="Rows per safetensors shard")
    plots: bool = option(True, help="Write PNG plots (needs matplotlib)")
    plot_layers: list[int | str] | str = option(
        [-1],
        help="Layers with per-layer plots (spectra, heatmaps, norms; those also in `layers`), same forms as "
        "`layers`; metrics against depth are plotted whenever two or more layers are analysed",
    )
    trust_remote_code: bool = option(False, help="Allow model code from the model's repository")
    out: str = option("xlrm-runs/analyze", help="Output folder", fingerprint=False)
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        if self.base is None and not self.models:
            raise ValueError("give a base model (base:) and/or reward models (models:)")
        if self.max_per_language < 1 or self.batch_size < 1 or self.max_length < 2 or self.shard_rows < 1:
            raise ValueError("max_per_language, batch_size, shard_rows must be >= 1 and max_length >= 2")
        from xlrm.analysis import layers

        layers.parse(self.layers, "layers")
        layers.parse(self.plot_layers, "plot_layers")
        if any(k < 1 for k in self.top_k):
            raise ValueError("top_k values must be >= 1")
        if any(not 0.0 <= q <= 1.0 for q in self.norm_quantiles):
            raise ValueError("norm_quantiles must lie in [0, 1]")
        if self.num_threads < 0:
            raise ValueError("num_threads must be >= 0")
        names = [parse_model_spec(m)[0] for m in self.all_models()]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model names must be unique (got {dup[0]!r} twice); use name=path")

    def all_models(self) -> list[str]:
        return ([self.base] if self.base else []) + list(self.models)


def parse_model_spec(spec: str) -> tuple[str, str]:
    """``name=path`` or ``path`` → ``(name, path)``; the default name is the folder or file stem."""
    if "=" in spec and not spec.startswith(("/", ".")):
        name, path = spec.split("=", 1)
        if name and path:
            return name, path
    from pathlib import PurePath

    p = PurePath(spec.rstrip("/"))
    name = p.name[: -len(".gguf")] if p.name.endswith(".gguf") else p.name
    return name or spec, spec
