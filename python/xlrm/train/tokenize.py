"""Tokenize preference pairs for reward-model training, with truncation that never silently
changes the comparison, cached on disk.

For every pair three texts are rendered with the model's chat template (or
:data:`xlrm.chat.FALLBACK_CHAT_TEMPLATE` when the tokenizer has none): the prompt alone (with the generation
prompt), prompt + chosen and prompt + rejected. They are tokenized in batches with the (fast)
tokenizer, then the Rust core applies the length limit (``xlrm._core.pack.truncate_pairs``):

1. a pair whose longer side fits ``max_length`` is kept unchanged;
2. otherwise prompt tokens are removed from the left — after the first ``keep_head`` tokens
   (a BOS) and keeping at least ``min_prompt_tokens`` — the same span from both sides, so the
   two responses stay whole;
3. if that is not enough the pair is dropped (``too_long``), never half-kept; with
   ``truncate_responses`` both sides are cut from the right instead, and a pair whose sides then
   become identical is dropped (``identical_after_truncation``).

Pairs that are empty or identical before truncation are dropped too. Every drop is counted by
reason. The result (an Arrow table with ``chosen_ids``/``rejected_ids``, the form TRL's
``RewardTrainer`` accepts as already processed) is cached as Parquet under a key made of the
tokenizer, the template, the data and these settings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xlrm import _core, chat
from xlrm.config import option
from xlrm.errors import InputError
from xlrm.packing import list_buffers

# Bump when the tokenization output for the same inputs changes (invalidates caches).
TOKENIZE_VERSION = 1

STATUS = {
    0: "kept",
    1: "prompt_truncated",
    2: "responses_truncated",
    10: "empty",
    11: "identical",
    12: "identical_after_truncation",
    13: "too_long",
}
DROP_REASONS = tuple(v for k, v in STATUS.items() if k >= 10)
META_COLUMNS = ("id", "language", "source", "category", "subset", "margin")


@dataclass
class TokenizeConfig:
    """How pairs become token ids."""

    max_length: int = option(
        1024, help="Longest sequence (prompt + response, each side) in tokens; 0 = no limit."
    )
    min_prompt_tokens: int = option(
        32, help="When truncating, keep at least this many prompt tokens (or the whole prompt if shorter)."
    )
    keep_head_tokens: int = option(
        -1,
        help="Leading tokens never removed by prompt truncation; -1 = 1 if the text starts with BOS, else 0.",
    )
    truncate_responses: bool = option(
        False,
        help="If removing prompt tokens is not enough, cut both responses from the right instead of "
        "dropping the pair (pairs that become identical are still dropped).",
    )
    chat_template: str | None = option(
        None,
        help="Jinja chat template (text, or a path to a .jinja file) overriding the tokenizer's; "
        "default: the tokenizer's, or xlrm's simple template when it has none.",
    )
    batch_size: int = option(1024, help="Pairs rendered and tokenized per batch.")
    cache_dir: str | None = option(
        None, help="Folder for the tokenized-data cache (Parquet); none = no cache."
    )

    def validate(self) -> None:
        if self.max_length < 0:
            raise ValueError(f"max_length must be >= 0 (0 = no limit), got {self.max_length}")
        if self.min_prompt_tokens < 0:
            raise ValueError(f"min_prompt_tokens must be >= 0, got {self.min_prompt_tokens}")
        if self.keep_head_tokens < -1:
            raise ValueError(f"keep_head_tokens must be -1 (auto) or >= 0, got {self.keep_head_tokens}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass
class TokenizedPairs:
    """Kept pairs as Arrow (``chosen_ids``, ``rejected_ids``: ``list<int32>``, ``prompt_removed``
    plus the pair metadata columns present in the input) and what happened to the others."""

    table: pa.Table
    counts: dict[str, int]
    dropped: dict[str, int]
    cache_key: str
    from_cache: bool = False
    template: str = field(default="", repr=False)

    def to_dataset(self):
        """The table as a ``datasets.Dataset`` (what TRL's trainers take)."""
        from datasets import Dataset

        return Dataset(self.table)


def resolve_pad_token_id(tokenizer) -> int:
    """The id used for padding: the tokenizer's pad token, else its EOS (TRL's rule)."""
    pad = getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        pad = getattr(tokenizer, "eos_token_id", None)
    if pad is None:
        raise InputError(
            f"tokenizer {type(tokenizer).__name__} has neither a pad nor an EOS token",
            hint="set tokenizer.pad_token (or eos_token) to a token in its vocabulary before training",
        )
    return int(pad)


def resolve_template(tokenizer, config: TokenizeConfig) -> str:
    """The chat template text that will be used (config > tokenizer > the fallback template)."""
    return chat.resolve_template(tokenizer, config.chat_template)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tokenizer_fingerprint(tokenizer) -> str:
    """A hash of everything that decides token ids: the full tokenizer definition for fast
    tokenizers (vocab, merges, normalizer, added tokens), else the vocab and special tokens."""
    h = hashlib.sha256(type(tokenizer).__name__.encode())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        h.update(backend.to_str().encode())
    else:
        h.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    specials = {k: str(v) for k, v in sorted(getattr(tokenizer, "special_tokens_map", {}).items())}
    h.update(json.dumps(specials, sort_keys=True).encode())
    return h.hexdigest()


def table_fingerprint(table: pa.Table) -> str:
    """A hash of the table's contents (Arrow IPC stream of its columns)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return _sha(sink.getvalue().to_pybytes())


def _as_table(pairs) -> pa.Table:
    if isinstance(pairs, pa.Table):
        return pairs
    if hasattr(pairs, "data") and hasattr(pairs.data, "table"):  # datasets.Dataset
        return pairs.data.table
    from xlrm.data.schema import pairs_to_table

    return pairs_to_table(list(pairs))


def _messages(value, row: int, name: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise InputError("expected a non-empty list of {role, content} messages", row=row, field=name)
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _render(tokenizer, convs: list[list[dict]], template: str, gen: bool, start: int, name: str) -> list[str]:
    try:
        return tokenizer.apply_chat_template(
            convs, chat_template=template, tokenize=False, add_generation_prompt=gen
        )
    except Exception:
        for k, conv in enumerate(convs):  # find the row that breaks the template
            try:
                tokenizer.apply_chat_template(
                    conv, chat_template=template, tokenize=False, add_generation_prompt=gen
                )
            except Exception as e:
                raise InputError(
                    f"chat template failed on this pair: {type(e).__name__}: {e}",
                    row=start + k,
                    field=name,
                    hint="fix the messages or pass a chat_template that supports them",
                ) from None
        raise


def _encode(tokenizer, texts: list[str]) -> list[list[int]]:
    return tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]


def _tokenize_all(table: pa.Table, tokenizer, template: str, batch_size: int):
    prompt_ids, chosen_ids, rejected_ids = [], [], []
    n = table.num_rows
    for start in range(0, n, batch_size):
        batch = table.slice(start, batch_size)
        prompts = batch["prompt"].to_pylist()
        chosen = batch["chosen"].to_pylist()
        rejected = batch["rejected"].to_pylist()
        p_conv, c_conv, r_conv = [], [], []
        for k, (p, c, r) in enumerate(zip(prompts, chosen, rejected, strict=True)):
            p = _messages(p, start + k, "prompt")
            p_conv.append(p)
            c_conv.append(p + _messages(c, start + k, "chosen"))
            r_conv.append(p + _messages(r, start + k, "rejected"))
        texts = (
            _render(tokenizer, p_conv, template, True, start, "prompt")
            + _render(tokenizer, c_conv, template, False, start, "chosen")
            + _render(tokenizer, r_conv, template, False, start, "rejected")
        )
        ids = _encode(tokenizer, texts)
        m = len(p_conv)
        prompt_ids += ids[:m]
        chosen_ids += ids[m : 2 * m]
        rejected_ids += ids[2 * m :]
    t = pa.list_(pa.int32())
    return pa.array(prompt_ids, type=t), pa.array(chosen_ids, type=t), pa.array(rejected_ids, type=t)


def _keep_head(config: TokenizeConfig, tokenizer, prompt_col: pa.Array) -> int:
    if config.keep_head_tokens >= 0:
        return config.keep_head_tokens
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None or len(prompt_col) == 0:
        return 0
    first = prompt_col[0].as_py()
    return 1 if first and first[0] == bos else 0


def _cache_paths(cache_dir: str, key: str) -> tuple[Path, Path]:
    d = Path(cache_dir)
    return d / f"pairs-{key[:32]}.parquet", d / f"pairs-{key[:32]}.json"


def _write_atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def tokenize_pairs(
    pairs, tokenizer, config: TokenizeConfig | None = None, **overrides: Any
) -> TokenizedPairs:
    """Tokenize preference pairs (an Arrow table in ``xlrm.data.schema.PAIR_SCHEMA``, a
    ``datasets.Dataset`` or a list of pair dicts) for reward-model training.

    ``overrides`` replace fields of ``config`` (e.g. ``max_length=512``). Raises
    :class:`xlrm.errors.InputError` for an empty data set, a malformed pair (naming the row) or a
    tokenizer that has neither a pad nor an EOS token.
    """
    config = dataclasses.replace(config or TokenizeConfig(), **overrides)
    config.validate()
    resolve_pad_token_id(tokenizer)
    table = _as_table(pairs)
    for name in ("prompt", "chosen", "rejected"):
        if name not in table.column_names:
            raise InputError(f"pairs have no {name!r} column (columns: {', '.join(table.column_names)})")
    if table.num_rows == 0:
        raise InputError("no pairs to tokenize (empty data set)", hint="check the data stage's output")
    template = resolve_template(tokenizer, config)
    meta = [c for c in META_COLUMNS if c in table.column_names]
    data = table.select(["prompt", "chosen", "rejected", *meta])

    key_doc = {
        "version": TOKENIZE_VERSION,
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "template": _sha(template.encode()),
        "data": table_fingerprint(data),
        "config": {
            k: v for k, v in dataclasses.asdict(config).items() if k not in ("batch_size", "cache_dir")
        },
    }
    key = _sha(json.dumps(key_doc, sort_keys=True).encode())
    if config.cache_dir:
        pq_path, js_path = _cache_paths(config.cache_dir, key)
        if pq_path.is_file() and js_path.is_file():
            info = json.loads(js_path.read_text(encoding="utf-8"))
            if info.get("key") == key:
                return TokenizedPairs(
                    table=pq.read_table(pq_path),
                    counts=info["counts"],
                    dropped=info["dropped"],
                    cache_key=key,
                    from_cache=True,
                    template=template,
                )

    p_col, c_col, r_col = _tokenize_all(data, tokenizer, template, config.batch_size)
    pv, po = list_buffers(p_col)
    cv, co = list_buffers(c_col)
    rv, ro = list_buffers(r_col)
    out = _core.pack.truncate_pairs(
        pv,
        po,
        cv,
        co,
        rv,
        ro,
        max_length=config.max_length,
        min_prompt=config.min_prompt_tokens,
        keep_head=_keep_head(config, tokenizer, p_col),
        truncate_responses=config.truncate_responses,
    )
    status = out["status"]
    kept = status < 10
    codes, freq = np.unique(status, return_counts=True)
    by = {STATUS[int(c)]: int(f) for c, f in zip(codes, freq, strict=True)}
    counts = {
        "in": int(len(status)),
        "out": int(kept.sum()),
        "prompt_truncated": by.get("prompt_truncated", 0),
        "responses_truncated": by.get("responses_truncated", 0),
    }
    dropped = {r: by.get(r, 0) for r in DROP_REASONS}

    def lists(values: np.ndarray, offsets: np.ndarray) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values))

    kept_idx = np.flatnonzero(kept)
    cols = {c: data[c].take(pa.array(kept_idx)) for c in meta}
    cols["chosen_ids"] = lists(out["chosen_values"], out["chosen_offsets"])
    cols["rejected_ids"] = lists(out["rejected_values"], out["rejected_offsets"])
    cols["prompt_removed"] = pa.array(out["prompt_removed"][kept_idx].astype(np.int32))
    result = pa.table(cols)

    if config.cache_dir:
        pq_path, js_path = _cache_paths(config.cache_dir, key)
        _write_atomic(pq_path, lambda p: pq.write_table(result, p))
        info = {"key": key, "key_parts": key_doc, "counts": counts, "dropped": dropped}
        _write_atomic(js_path, lambda p: p.write_text(json.dumps(info, indent=1), encoding="utf-8"))
    return TokenizedPairs(table=result, counts=counts, dropped=dropped, cache_key=key, template=template)
