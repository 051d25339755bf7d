"""``xlrm translate`` settings (YAML section ``translate:``; every scalar is also a flag)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option

# X-ALMA's prompt (Xu et al., 2024), wrapped in the tokenizer's chat template when it has one.
XALMA_TEMPLATE = "Translate this from {src_name} to {tgt_name}:\n{src_name}: {text}\n{tgt_name}:"
CHAT_SYSTEM = (
    "You are a professional translator. Translate the user's text faithfully and fluently. Keep "
    "placeholders such as [[0]] exactly as they are. Reply with the translation only."
)
CHAT_TEMPLATE = "Translate the following text from {src_name} to {tgt_name}.\n\n{text}"
BACKENDS = ("hf_seq2seq", "hf_causal", "openai_compat")


@dataclass
class HFOptions:
    device: str = option(
        "auto", help="torch device: auto (cuda if available, else cpu), cpu, cuda, cuda:1, mps"
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = option(
        "auto", help="weights dtype; auto = bfloat16 on a GPU that supports it, float32 otherwise"
    )
    lang_codes: Literal["auto", "nllb", "m2m100", "mbart50", "marian", "none"] = option(
        "auto", help="seq2seq language-code family; auto reads it from the model and tokenizer"
    )
    num_beams: int = option(1, help="beam width (1 = greedy)")
    max_new_tokens: int = option(512, help="upper bound on generated tokens per segment")
    max_new_tokens_factor: float = option(
        2.0, help="per batch, generate at most factor x the longest input (in tokens) + 16"
    )
    prompt_template: str = option(
        XALMA_TEMPLATE, help="hf_causal prompt; fields {src_name} {tgt_name} {src} {tgt} {text}"
    )
    chat_template: Literal["auto", "always", "never"] = option(
        "auto", help="hf_causal: wrap the prompt in the tokenizer's chat template (auto: when it has one)"
    )
    retry_temperature: float = option(0.7, help="sampling temperature for retries of failed pairs")
    seed: int = option(0, help="seed for sampled retries")
    trust_remote_code: bool = option(False, help="allow model code from the model's repository")
    num_threads: int = option(
        0, help="CPU threads for torch (0 = torch's default); 1 helps on busy shared CPUs"
    )

    def validate(self) -> None:
        if self.num_beams < 1 or self.max_new_tokens < 1 or self.max_new_tokens_factor <= 0:
            raise ValueError("hf.num_beams, hf.max_new_tokens and hf.max_new_tokens_factor must be positive")
        if "{text}" not in self.prompt_template:
            raise ValueError("hf.prompt_template must contain {text}")
        if self.num_threads < 0:
            raise ValueError("hf.num_threads must be >= 0")


@dataclass
class OpenAIOptions:
    base_url: str = option("http://127.0.0.1:8000/v1", help="OpenAI-compatible API root (vLLM, TGI, hosted)")
    api_key_env: str = option(
        "OPENAI_API_KEY",
        help="name of the environment variable holding the API key (the key is never logged); '' = no key",
    )
    system_prompt: str = option(CHAT_SYSTEM, help="system message; empty string = none")
    prompt_template: str = option(
        CHAT_TEMPLATE, help="user message; fields {src_name} {tgt_name} {src} {tgt} {text}"
    )
    temperature: float = option(0.0, help="sampling temperature of first attempts")
    retry_temperature: float = option(0.7, help="sampling temperature for retries of failed pairs")
    max_tokens: int = option(1024, help="max_tokens per request")
    timeout_s: float = option(60.0, help="socket timeout per request, seconds")
    max_retries: int = option(5, help="retries of a request after 429, 5xx, timeouts and connection errors")
    backoff_s: float = option(1.0, help="first backoff delay; doubles per retry (Retry-After wins when sent)")
    backoff_max_s: float = option(60.0, help="longest backoff delay")
    concurrency: int = option(8, help="requests in flight at once")
    extra_body: dict = option(
        {}, help="extra JSON fields for each request (e.g. top_p, chat_template_kwargs)"
    )

    def validate(self) -> None:
        from xlrm.endpoint import check_base_url, check_env_name

        # Both refuse credentials in the wrong place *here*, before the config reaches the
        # manifest, without repeating the value (it may be a key). EndpointConfigError is a
        # ValueError, so from_dict names the file.
        check_base_url(self.base_url, "openai.base_url")
        check_env_name(self.api_key_env, "openai.api_key_env")
        if self.timeout_s <= 0 or self.max_retries < 0 or self.backoff_s < 0 or self.concurrency < 1:
            raise ValueError("openai.timeout_s and openai.concurrency must be positive, retries/backoff >= 0")
        if "{text}" not in self.prompt_template:
            raise ValueError("openai.prompt_template must contain {text}")


@dataclass
class CheckOptions:
    language: bool = option(True, help="the translation must be identified (lingua) as the target language")
    length_ratio: bool = option(True, help="translated/source length must lie within the bounds below")
    copy: bool = option(True, help="a translation identical to its source fails")
    distinct: bool = option(True, help="chosen and rejected must still differ after translation")
    min_length_ratio: float = option(
        0.33, help="lower bound of len(translation) / (len(source) x the target's character density)"
    )
    max_length_ratio: float = option(3.0, help="upper bound of the same ratio")
    min_chars: int = option(
        20, help="messages with fewer translatable characters skip the language/length checks"
    )
    copy_min_letters: int = option(10, help="messages with fewer letters skip the copy check")
    detector_languages: list[str] = option(
        [], help="languages the detector may answer besides the source and the targets (e.g. pt for es)"
    )
    low_accuracy: bool = option(False, help="lingua's low-accuracy mode (faster, weaker on short texts)")

    def validate(self) -> None:
        if not 0 <= self.min_length_ratio < self.max_length_ratio:
            raise ValueError("checks.min_length_ratio must be >= 0 and below checks.max_length_ratio")


@dataclass
class TranslateConfig:
    backend: Literal["hf_seq2seq", "hf_causal", "openai_compat"] = option(
        "hf_seq2seq",
        help="hf_seq2seq (NLLB, M2M100, MarianMT, mBART-50), hf_causal (X-ALMA, ...) or openai_compat",
    )
    model: str = option(
        "facebook/nllb-200-distilled-600M", help="model path or Hub id (or the endpoint's model name)"
    )
    models: dict = option({}, help="per-language model override, e.g. {ko: haoranxu/X-ALMA-13B-Group6}")
    languages: list[str] = option(["es", "it", "ko", "zh"], help="target languages (ISO 639-1)")
    source_language: str = option("en", help="language of the rows to translate; other rows are skipped")
    batch_size: int = option(16, help="segments per model call (sorted by length)")
    max_segment_tokens: int = option(
        256, help="longest segment sent at once; longer text is split at sentences"
    )
    split_lines: bool = option(
        True, help="translate line by line (keeps layout); false = paragraph by paragraph"
    )
    on_fail: Literal["retry", "drop"] = option(
        "retry", help="pairs failing a check: retry (sampled) then drop, or drop"
    )
    retries: int = option(1, help="retry rounds for failed pairs when on_fail=retry")
    cache: str | None = option(
        None, help="SQLite cache path; default <out>.cache.sqlite beside the output folder", fingerprint=False
    )
    progress: bool = option(True, help="tqdm progress bars", fingerprint=False)
    hf: HFOptions = option(HFOptions(), help="local Hugging Face model settings")
    openai: OpenAIOptions = option(OpenAIOptions(), help="OpenAI-compatible endpoint settings")
    checks: CheckOptions = option(CheckOptions(), help="quality checks per translated pair")
    out: str = option(
        "xlrm-runs/translate",
        help="Output folder: <lang>.parquet per language + manifest.json",
        fingerprint=False,
    )
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        from xlrm import languages

        if not self.languages:
            raise ValueError("languages: give at least one target language")
        for code in [self.source_language, *self.languages, *self.models, *self.checks.detector_languages]:
            try:
                languages.language(code)
            except Exception as e:  # ConfigError → ValueError so from_dict names the file
                raise ValueError(str(e)) from None
        if self.source_language in self.languages:
            raise ValueError(f"languages: the source language {self.source_language!r} cannot be a target")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"languages: duplicate codes in {self.languages}")
        extra = sorted(set(self.models) - set(self.languages))
        if extra:
            raise ValueError(f"models: {extra} are not target languages ({self.languages})")
        for k, v in self.models.items():
            if not isinstance(v, str) or not v:
                raise ValueError(f"models: the model for {k!r} must be a path or Hub id, got {v!r}")
        if self.batch_size < 1 or self.max_segment_tokens < 8 or self.retries < 0:
            raise ValueError("batch_size must be >= 1, max_segment_tokens >= 8, retries >= 0")

    def model_for(self, lang: str) -> str:
        return self.models.get(lang, self.model)
