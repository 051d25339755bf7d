"""Encoder-decoder MT models (NLLB-200, M2M100, MarianMT, mBART-50) through transformers.

The target language reaches the model the way its family expects: a forced first token
(NLLB ``kor_Hang``, M2M100 ``__ko__``, mBART-50 ``ko_KR``) or a ``>>kor<<`` prefix (multilingual
OPUS-MT). A model with no language tokens (a bilingual OPUS-MT model) serves one language only.
"""

from __future__ import annotations

import logging

from xlrm import languages
from xlrm.errors import ConfigError
from xlrm.translate.backends import _hf
from xlrm.translate.backends.base import Backend, Batch

log = logging.getLogger("xlrm.translate")
FAMILIES = ("nllb", "m2m100", "mbart50", "marian", "none")


def detect_family(config, vocab: dict) -> str:
    if getattr(config, "model_type", "") == "marian":
        return "marian"
    if "eng_Latn" in vocab:
        return "nllb"
    if "__en__" in vocab:
        return "m2m100"
    if "en_XX" in vocab:
        return "mbart50"
    return "none"


def language_token(family: str, code: str, vocab: dict) -> str | None:
    """The token that selects ``code`` in ``family``, or None for families without one."""
    lang = languages.language(code)
    if family == "nllb":
        return lang.nllb
    if family == "m2m100":
        return f"__{code}__"
    if family == "mbart50":
        if lang.mbart50 is None:
            raise ConfigError(f"mBART-50 has no code for {lang.name} ({code!r}); use an NLLB model")
        return lang.mbart50
    if family == "marian":
        return next((t for t in lang.marian if t in vocab), None)
    return None


def source_lang_value(family: str, code: str) -> str | None:
    """What the family's tokenizer takes as ``src_lang`` (M2M100 wants the bare code, not ``__en__``)."""
    lang = languages.language(code)
    return {"nllb": lang.nllb, "m2m100": code, "mbart50": lang.mbart50}.get(family)


class HFSeq2SeqBackend(Backend):
    name = "hf_seq2seq"

    def __init__(self, cfg, model_id: str, langs: list[str]):
        self.opts = cfg.hf
        self.model_id = model_id
        self.src = cfg.source_language
        self.model, self.tokenizer, config, self.device = _hf.load(model_id, "seq2seq", self.opts)
        vocab = self.tokenizer.get_vocab()
        self.family = detect_family(config, vocab) if self.opts.lang_codes == "auto" else self.opts.lang_codes
        self.max_len = _hf.model_max_length(config, self.tokenizer, 1024)
        self.segment_limit = max(8, min(cfg.max_segment_tokens, self.max_len - 4))
        self._targets: dict[str, tuple[str | None, int | None]] = {}
        for code in langs:
            token = language_token(self.family, code, vocab)
            if self.family in ("nllb", "m2m100", "mbart50") and token not in vocab:
                raise ConfigError(
                    f"model {model_id!r} ({self.family} language codes) has no token {token!r} for target "
                    f"{code!r}; it cannot translate into {languages.language(code).name}"
                )
            self._targets[code] = (token, vocab.get(token) if token else None)
        untargeted = [c for c, (tok, _) in self._targets.items() if tok is None]
        if untargeted and len(langs) > 1:
            raise ConfigError(
                f"model {model_id!r} ({self.family}) has no target-language tokens, so it translates into one "
                f"language only, but it was given {langs}; set one model per language under `models:` "
                "(e.g. Helsinki-NLP/opus-mt-en-es for es) or set hf.lang_codes"
            )
        src_value = source_lang_value(self.family, self.src)
        if src_value and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = src_value  # the tokenizer then adds the source-language token
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        log.info("%s: %s language codes, segments up to %d tokens", model_id, self.family, self.segment_limit)

    def settings(self, attempt: int) -> dict:
        o = self.opts
        out = {
            "family": self.family,
            "beams": o.num_beams,
            "max_new": o.max_new_tokens,
            "factor": o.max_new_tokens_factor,
            "attempt": attempt,
        }
        if attempt:
            out.update(temperature=o.retry_temperature, seed=o.seed)
        return out

    def _prefixed(self, texts: list[str], tgt: str) -> list[str]:
        token, _ = self._targets[tgt]
        if self.family == "marian" and token:
            return [f"{token} {t}" for t in texts]
        return texts

    def count_tokens(self, texts: list[str]) -> list[int]:
        extra = 1 if self.family == "marian" else 0
        return [len(ids) + extra for ids in self.tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def generation_kwargs(self, tgt: str, longest: int, attempt: int) -> dict:
        o = self.opts
        kw: dict = {
            "max_new_tokens": min(o.max_new_tokens, int(longest * o.max_new_tokens_factor) + 16),
            "num_beams": o.num_beams,
            "do_sample": False,
        }
        if attempt:
            kw.update(do_sample=True, num_beams=1, temperature=o.retry_temperature)
        token, token_id = self._targets[tgt]
        if self.family in ("nllb", "m2m100", "mbart50"):
            kw["forced_bos_token_id"] = token_id
        return kw

    def translate(self, texts: list[str], src: str, tgt: str, attempt: int = 0) -> Batch:
        import torch

        tok = self.tokenizer
        enc = tok(
            self._prefixed(texts, tgt),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_len,
        ).to(self.device)
        longest = int(enc["attention_mask"].sum(dim=1).max())
        kw = self.generation_kwargs(tgt, longest, attempt)
        if attempt:
            torch.manual_seed(self.opts.seed + attempt)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kw)
        decoded = tok.batch_decode(out, skip_special_tokens=True)
        tokens = int((out != tok.pad_token_id).sum()) if tok.pad_token_id is not None else out.numel()
        return Batch([d.strip() for d in decoded], tokens)

    def close(self) -> None:
        _release(self)


def _release(backend) -> None:
    import gc

    backend.model = None
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # pragma: no cover - best effort
        pass
