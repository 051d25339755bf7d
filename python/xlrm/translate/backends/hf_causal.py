"""Decoder-only MT models (X-ALMA, ALMA, Tower, any instruction LLM) through transformers.

Each segment is put into ``hf.prompt_template`` (X-ALMA's format by default) and, when the
tokenizer has a chat template, wrapped in it as one user turn (X-ALMA's own usage). Only the
new tokens are decoded; a single-line source keeps only the first line of the answer.
"""

from __future__ import annotations

import logging

from xlrm.translate.backends import _hf
from xlrm.translate.backends.base import Backend, Batch, render_prompt
from xlrm.translate.backends.hf_seq2seq import _release

log = logging.getLogger("xlrm.translate")


class HFCausalBackend(Backend):
    name = "hf_causal"

    def __init__(self, cfg, model_id: str, langs: list[str]):
        self.opts = cfg.hf
        self.model_id = model_id
        self.src = cfg.source_language
        self.model, self.tokenizer, config, self.device = _hf.load(model_id, "causal", self.opts)
        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        has_chat = bool(getattr(tok, "chat_template", None))
        if self.opts.chat_template == "always" and not has_chat:
            from xlrm.errors import ConfigError

            raise ConfigError(
                f"hf.chat_template is 'always' but the tokenizer of {model_id!r} has no chat template"
            )
        self.use_chat = self.opts.chat_template == "always" or (
            self.opts.chat_template == "auto" and has_chat
        )
        self.max_len = _hf.model_max_length(config, tok)
        overhead = max(len(self._encode_prompts([""], self.src, tgt)[0]) for tgt in langs)
        budget = (self.max_len - overhead) / (1 + self.opts.max_new_tokens_factor)
        self.segment_limit = max(8, min(cfg.max_segment_tokens, int(budget)))
        log.info(
            "%s: chat template %s, segments up to %d tokens",
            model_id,
            "on" if self.use_chat else "off",
            self.segment_limit,
        )

    def settings(self, attempt: int) -> dict:
        o = self.opts
        out = {
            "template": o.prompt_template,
            "chat": self.use_chat,
            "beams": o.num_beams,
            "max_new": o.max_new_tokens,
            "factor": o.max_new_tokens_factor,
            "attempt": attempt,
        }
        if attempt:
            out.update(temperature=o.retry_temperature, seed=o.seed)
        return out

    def prompts(self, texts: list[str], src: str, tgt: str) -> list[str]:
        prompts = [render_prompt(self.opts.prompt_template, t, src, tgt) for t in texts]
        if self.use_chat:
            prompts = [
                self.tokenizer.apply_chat_template(
                    [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
                )
                for p in prompts
            ]
        return prompts

    def _encode_prompts(self, texts: list[str], src: str, tgt: str) -> list[list[int]]:
        return self.tokenizer(self.prompts(texts, src, tgt), add_special_tokens=not self.use_chat)[
            "input_ids"
        ]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def translate(self, texts: list[str], src: str, tgt: str, attempt: int = 0) -> Batch:
        import torch

        tok, o = self.tokenizer, self.opts
        enc = tok(
            self.prompts(texts, src, tgt),
            return_tensors="pt",
            padding=True,
            add_special_tokens=not self.use_chat,
        ).to(self.device)
        longest = max(self.count_tokens(texts))
        kw: dict = {
            "max_new_tokens": min(o.max_new_tokens, int(longest * o.max_new_tokens_factor) + 16),
            "num_beams": o.num_beams,
            "do_sample": False,
            "pad_token_id": tok.pad_token_id,
        }
        if attempt:
            kw.update(do_sample=True, num_beams=1, temperature=o.retry_temperature)
            torch.manual_seed(o.seed + attempt)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kw)
        new = out[:, enc["input_ids"].shape[1] :]
        decoded = tok.batch_decode(new, skip_special_tokens=True)
        outputs = []
        for text, d in zip(texts, decoded, strict=True):
            d = d.strip()
            if "\n" not in text:
                d = d.split("\n", 1)[0].strip()
            outputs.append(d)
        tokens = int((new != tok.pad_token_id).sum()) if tok.pad_token_id is not None else new.numel()
        return Batch(outputs, tokens)

    def close(self) -> None:
        _release(self)
