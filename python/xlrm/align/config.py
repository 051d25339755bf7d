"""``xlrm align`` settings (YAML section ``align:``; every scalar is also a flag).

What decides an output is fingerprinted; where it goes, whether to rerun, process counts,
progress bars and endpoint concurrency are not (``fingerprint=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option
from xlrm.eval.config import JudgeOptions
from xlrm.models import ModelOptions

#: Hub prompt sets ``prompts.sources`` can name (besides files and ``builtin``).
HUB_PROMPTS = ("x-alpacaeval", "m-arenahard")


@dataclass
class PromptOptions:
    sources: list[str] = option(
        ["x-alpacaeval"],
        help="Prompt sources: x-alpacaeval (hub; en es it ko zh), m-arenahard (hub; 23 languages), builtin "
        "(the built-in multilingual set's prompts), or local files (JSONL/JSON/Parquet, a folder or a glob); "
        "`lang=path` gives the language of rows that carry none",
    )
    train: int = option(64, help="Prompts per language to sample on and align with")
    eval: int = option(32, help="Held-out prompts per language for judging (the same ids in every language)")
    seed: int = option(0, help="Seed of the train/eval split (a hash of each prompt id)")
    revision: str | None = option(None, help="Hub revision of the hub prompt sets")
    builtin_per_section: int = option(8, help="builtin: items per section (4 sections) and language")
    builtin_split: Literal["train", "eval"] = option("eval", help="builtin: which split's prompts")

    def validate(self) -> None:
        if self.train < 1 or self.eval < 1:
            raise ValueError("prompts.train and prompts.eval must be >= 1")
        if not self.sources:
            raise ValueError("prompts.sources: give at least one source")
        if self.builtin_per_section < 1:
            raise ValueError("prompts.builtin_per_section must be >= 1")


@dataclass
class SamplingOptions:
    backend: Literal["hf", "vllm"] = option(
        "hf", help="hf: batched transformers generate; vllm: a vLLM engine (pip install vllm; GPU)"
    )
    max_new_tokens: int = option(256, help="Longest response in tokens")
    temperature: float = option(0.8, help="Sampling temperature of the K training samples")
    top_p: float = option(0.95, help="Nucleus sampling of the K training samples")
    seed: int = option(0, help="Base seed; each batch's seed is derived from it and recorded per response")
    batch_size: int = option(
        8, help="Prompts per generate call (times K sequences); part of the seed derivation, so fingerprinted"
    )
    eval_temperature: float = option(
        0.0, help="Temperature of the held-out answers that are judged (0 = greedy decoding)"
    )
    vllm: dict = option(
        {},
        help="Extra vllm.LLM arguments (gpu_memory_utilization, tensor_parallel_size, ...)",
        fingerprint=False,
    )

    def validate(self) -> None:
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("sampling.max_new_tokens and sampling.batch_size must be >= 1")
        if self.temperature <= 0:
            raise ValueError(
                "sampling.temperature must be > 0: K samples of one prompt need sampling to differ"
            )
        if not 0 < self.top_p <= 1:
            raise ValueError(f"sampling.top_p must lie in (0, 1], got {self.top_p}")
        if self.eval_temperature < 0:
            raise ValueError("sampling.eval_temperature must be >= 0 (0 = greedy)")


@dataclass
class AlignJudgeOptions(JudgeOptions):
    """The judge of the held-out answers. ``kind: rm`` scores both answers with a reward model
    (cheap; a labelling RM judging its own policy is biased in its favour, so prefer another);
    ``kind: hf`` asks a local causal LM, ``kind: endpoint`` an OpenAI-compatible server, both
    through ``PairwiseJudge`` (both orders, strict verdict parsing)."""

    kind: Literal["rm", "hf", "endpoint"] = option("rm", help="rm: a reward model; hf: a causal LM; endpoint")
    path: str = option(
        "",
        help="kind rm: a labelling RM's name (en, ko, ...) or an RM folder (default: the English RM); "
        "kind hf: a causal LM folder, hub id or .gguf file",
    )
    bootstrap: int = option(10_000, help="Bootstrap resamples of the win-rate confidence interval")
    ci: float = option(0.95, help="Confidence level of the win-rate interval")

    def validate(self) -> None:
        super().validate()
        if self.kind == "endpoint" and not self.base_url:
            raise ValueError("judge.kind endpoint needs judge.base_url (and judge.model)")
        if self.kind != "endpoint" and self.base_url:
            raise ValueError(f"judge.base_url is set but judge.kind is {self.kind}; set kind: endpoint")
        if self.kind == "hf" and not self.path:
            raise ValueError("judge.kind hf needs judge.path (a causal LM folder, hub id or .gguf file)")
        if self.bootstrap < 1 or not 0 < self.ci < 1:
            raise ValueError("judge.bootstrap must be >= 1 and judge.ci in (0, 1)")


@dataclass
class AlignConfig:
    policy: ModelOptions = option(ModelOptions(), help="The policy to align (also the DPO reference)")
    languages: list[str] = option(
        ["ko"], help="Target languages (ISO 639-1): sampled, labelled, aligned, judged"
    )
    prompts: PromptOptions = option(PromptOptions(), help="Where prompts come from and how they split")
    k: int = option(4, help="Responses sampled per training prompt (>= 2: a pair is the best vs the worst)")
    sampling: SamplingOptions = option(SamplingOptions(), help="Sampling of the policy")
    english: str = option("en", help="Label of the English RM among the inputs (train-rm's unit name)")
    labellers: list[str] = option(
        [],
        help="RMs that label each language (input names); default: the English RM and the language's own",
    )
    min_margin: float = option(0.0, help="Minimum reward difference between the best and the worst response")
    max_length: int = option(
        2048, help="Scoring: longest prompt + response in tokens; longer prompts lose tokens from the left"
    )
    min_prompt_tokens: int = option(32, help="Scoring: truncation keeps at least this many prompt tokens")
    batch_tokens: int = option(16384, help="Scoring: tokens per packed forward pass")
    policies: Literal["per_language", "all_languages"] = option(
        "per_language",
        help="per_language: one DPO policy per (labelling RM, language); all_languages: one per labelling "
        "RM on every language's pairs (the target RM then labels each language's pairs)",
    )
    training: dict = option(
        {},
        help="Passed to TRL's DPOConfig as it is (beta, learning_rate, loss_type, num_train_epochs, "
        "per_device_train_batch_size, max_length, precompute_ref_log_probs, ...)",
    )
    lora: dict | None = option(
        None, help="PEFT LoRA settings (r, lora_alpha, lora_dropout, target_modules); task type CAUSAL_LM"
    )
    gradient_checkpointing: bool | None = option(None, help="Gradient checkpointing (default: off)")
    judge: AlignJudgeOptions = option(AlignJudgeOptions(), help="Judging of the held-out answers")
    num_processes: int = option(
        1, help="Processes (GPUs) per DPO run; above 1 each runs under `accelerate launch`", fingerprint=False
    )
    accelerate_config: str = option(
        "zero3",
        help="With num_processes > 1: `zero3`, `fsdp2`, `ddp` (configs shipped with xlrm) or a YAML path",
        fingerprint=False,
    )
    plots: bool = option(True, help="Write the win-rate bar chart (needs matplotlib)")
    progress: bool = option(True, help="Progress bars", fingerprint=False)
    out: str = option("xlrm-runs/align", help="Output folder", fingerprint=False)
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        from xlrm.languages import require_code

        if not self.languages:
            raise ValueError("languages: give at least one target language")
        self.languages = [require_code(c, "align languages") for c in self.languages]
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"languages: duplicate entries in {self.languages}")
        if self.k < 2:
            raise ValueError(
                f"k={self.k}: a preference pair is the best vs the worst of K responses, so K must be >= 2"
            )
        if self.min_margin < 0:
            raise ValueError("min_margin must be >= 0")
        if self.max_length < 0 or self.min_prompt_tokens < 0 or self.batch_tokens < 1:
            raise ValueError(
                "max_length (0 = no limit) and min_prompt_tokens must be >= 0, batch_tokens >= 1"
            )
        if self.num_processes < 1:
            raise ValueError("num_processes must be >= 1")
        if len(set(self.labellers)) != len(self.labellers):
            raise ValueError(f"labellers: duplicate entries in {self.labellers}")

    def labellers_for(self, lang: str) -> list[str]:
        """The RMs that label ``lang``'s samples, English first (one when ``lang`` is English)."""
        if self.labellers:
            return list(self.labellers)
        return [self.english] if lang == self.english else [self.english, lang]
