"""``xlrm eval-rm`` settings (YAML section ``eval_rm:``; every scalar is also a flag).

What decides the scores is fingerprinted; where the output goes, whether to rerun, thread counts,
endpoint concurrency and timeouts are not (``fingerprint=False``), so changing them never rescores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option
from xlrm.models import Dtype

Kind = Literal["classifier", "generative", "dpo"]
Weights = Literal["observed", "rewardbench", "m-rewardbench"]

#: The data sources ``data:`` names besides local paths.
HUB_SOURCES = ("m-rewardbench", "reward-bench")
BUILTIN_SOURCES = ("builtin:eval",)


@dataclass
class JudgeOptions:
    """Generative judges (``kind: generative``): the prompt and, for an OpenAI-compatible
    endpoint, where it is. Hugging Face causal LMs given as models use the prompt settings too."""

    base_url: str | None = option(
        None, help="OpenAI-compatible API root of a judge (vLLM, TGI, hosted), e.g. http://127.0.0.1:8000/v1"
    )
    model: str = option("", help="The endpoint's model name (what the server calls the judge)")
    name: str | None = option(
        None, help="The judge's label in the tables (default: the endpoint's model name)"
    )
    api_key_env: str = option(
        "OPENAI_API_KEY",
        help="Name of the environment variable holding the endpoint's API key (never the key itself)",
        fingerprint=False,
    )
    concurrency: int = option(8, help="Endpoint requests in flight", fingerprint=False)
    timeout_s: float = option(60.0, help="Seconds to wait for one endpoint answer", fingerprint=False)
    http_retries: int = option(5, help="Retries of 429/5xx/timeouts per request", fingerprint=False)
    max_retries: int = option(2, help="Re-asks of a reply that holds no single verdict")
    max_tokens: int = option(256, help="Longest reply (tokens) the judge may write")
    temperature: float = option(0.0, help="Sampling temperature of first attempts (endpoint judges)")
    template: str | None = option(
        None,
        help="Judge prompt replacing xlrm's default; fields {conversation} {question} {answer_a} {answer_b}",
    )
    system: str | None = option(None, help="System message replacing xlrm's default ('' = none)")
    batch_size: int = option(8, help="Conversations per generate() call of a Hugging Face judge")

    def validate(self) -> None:
        if self.concurrency < 1 or self.max_tokens < 1 or self.batch_size < 1:
            raise ValueError("judge.concurrency, judge.max_tokens and judge.batch_size must be >= 1")
        if self.max_retries < 0 or self.http_retries < 0 or self.timeout_s <= 0:
            raise ValueError("judge.max_retries and judge.http_retries must be >= 0 and judge.timeout_s > 0")
        if self.base_url and not self.model:
            raise ValueError("judge.base_url is set but judge.model is empty: name the endpoint's model")


@dataclass
class EvalRMConfig:
    models: list[str] = option(
        [],
        help="Reward models, each `name=path` or a path (name: the folder name): RM folders, hub ids, or "
        "the output folder of `train-rm` (all its RMs, named by training language)",
    )
    kind: Kind = option(
        "classifier",
        help="classifier: sequence-classification RMs; generative: causal LMs or an endpoint asked which "
        "answer is better; dpo: DPO policies as implicit RMs (needs reference)",
    )
    reference: str | None = option(
        None, help="kind dpo: the reference model (reward = log p_policy - log p_reference of the response)"
    )
    data: list[str] = option(
        ["m-rewardbench", "reward-bench"],
        help="Evaluation data: m-rewardbench (hub, 23 languages), reward-bench (hub, English), "
        "builtin:eval, or local exports (file, folder or glob; `lang=path` names the language of rows "
        "that carry none)",
    )
    languages: list[str] = option(
        ["all"],
        help="Evaluation languages: ISO codes (ko), Multilingual RewardBench configs (kor_Hang) or all",
    )
    limit: int = option(0, help="Score only the first N pairs of each language (0 = all)")
    builtin_per_section: int = option(100, help="builtin:eval: items per section and language")
    weights: Weights = option(
        "observed",
        help="Subset weights in a section: observed counts, RewardBench's or Multilingual RewardBench's",
    )
    bootstrap: int = option(1000, help="Bootstrap resamples for confidence intervals (0 = none)")
    seed: int = option(0, help="Seed of the bootstrap")
    english: str = option("en", help="Label of the English RM that the gap table compares against")
    max_length: int = option(
        2048, help="Longest sequence (prompt + response) in tokens; longer prompts lose tokens from the left"
    )
    min_prompt_tokens: int = option(
        32,
        help="Truncation keeps at least this many prompt tokens; a pair needing more cut is dropped (too_long)",
    )
    chat_template: str | None = option(
        None, help="Chat template (text or .jinja path) overriding the one in each model's tokenizer"
    )
    batch_tokens: int = option(
        0,
        help="Tokens per packed forward pass (raised to the longest pair when shorter); 0 = 4096 on a CPU, "
        "16384 on a GPU",
    )
    device: str = option("auto", help="torch device: auto (cuda, then mps, then cpu), cpu, cuda, cuda:1")
    dtype: Dtype = option(
        "auto", help="Weights dtype; auto = bfloat16 on a GPU that supports it, else float32"
    )
    attn_implementation: str | None = option(
        None,
        help="Attention: default xlrm_varlen on CPU, flash_attention_2 (if installed) or sdpa on a GPU",
    )
    trust_remote_code: bool = option(False, help="Allow model code from the models' repositories")
    judge: JudgeOptions = option(JudgeOptions(), help="Generative judges")
    from_scores: str | None = option(
        None,
        help="Compute every table from this per-pair scores file (.parquet/.jsonl/.csv), without a model",
    )
    plots: bool = option(True, help="Write the heatmap PNGs (needs matplotlib)")
    num_threads: int = option(0, help="CPU threads for torch (0 = torch's default)", fingerprint=False)
    out: str = option("xlrm-runs/eval-rm", help="Output folder", fingerprint=False)
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        from xlrm.eval.scoring import check_kind, check_weights

        check_kind(self.kind)
        check_weights(self.weights)
        if self.bootstrap < 0 or self.seed < 0:
            raise ValueError("bootstrap and seed must be >= 0")
        if self.max_length < 0 or self.min_prompt_tokens < 0:
            raise ValueError("max_length (0 = no limit) and min_prompt_tokens must be >= 0")
        if self.batch_tokens < 0 or self.limit < 0 or self.builtin_per_section < 1:
            raise ValueError("batch_tokens (0 = auto) and limit must be >= 0, builtin_per_section >= 1")
        if self.num_threads < 0:
            raise ValueError("num_threads must be >= 0")
        if not self.languages:
            raise ValueError("languages must list at least one language (or `all`)")
        eval_languages(self.languages)  # unknown codes fail here, before anything is loaded
        if not self.data and not self.from_scores:
            raise ValueError(
                "data must name at least one source (m-rewardbench, reward-bench, builtin:eval, a path)"
            )
        self.judge.validate()
        if self.from_scores and (self.models or self.judge.base_url):
            raise ValueError(
                "from_scores computes the tables from a scores file; give no models or judge endpoint with it"
            )
        if self.kind == "dpo" and not self.reference and not self.from_scores:
            raise ValueError("kind dpo needs `reference:` (the model the policies were trained from)")
        if self.reference and self.kind != "dpo":
            raise ValueError(f"reference is only read for kind dpo, not kind {self.kind}")
        if self.judge.base_url and self.kind != "generative":
            raise ValueError(
                f"judge.base_url is a generative judge: set kind generative (kind is {self.kind})"
            )
        from xlrm.analysis.config import parse_model_spec

        names = [parse_model_spec(m)[0] for m in self.models]
        if self.judge.base_url:
            names.append(self.judge_label())
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model names must be unique (got {dup[0]!r} twice); use name=path")

    def judge_label(self) -> str:
        return self.judge.name or self.judge.model


def eval_languages(codes: list[str]) -> list[str] | None:
    """ISO codes of ``languages:`` (None for ``all``); ``eng_Latn`` is English (RewardBench's)."""
    from xlrm.languages import resolve

    if list(codes) == ["all"]:
        return None
    fixed = ["en" if c == "eng_Latn" else c for c in codes]
    if "all" in fixed:
        raise ValueError("languages: `all` stands alone (it means every language of the data)")
    out = resolve(fixed, "eval-rm languages")
    return list(dict.fromkeys(out))
