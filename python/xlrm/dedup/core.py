"""Dedup and decontamination of preference-pair tables, on the Rust core.

Columns cross into Rust as Arrow buffers, chunk by chunk (no copy of the text): for each
field, the message contents (``uint8`` data + ``int64`` offsets), the list offsets that
group messages into rows, and a mask of messages to skip (system turns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xlrm import _core
from xlrm._buffers import to_buffers
from xlrm.dedup.config import DedupConfig
from xlrm.errors import ConfigError, InputError

KINDS = ("kept", "exact", "near", "contamination")
REMOVED_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("kept_id", pa.string()),
        ("kind", pa.string()),
        ("similarity", pa.float32()),
        ("eval_set", pa.string()),
    ]
)


@dataclass
class DedupResult:
    """``kept``: the surviving rows, in input order, all columns. ``removed``: one row per
    removed input row (``id``, ``kept_id``, ``kind`` exact|near|contamination,
    ``similarity``, ``eval_set``). ``counts``: numbers for the manifest."""

    kept: pa.Table
    removed: pa.Table
    counts: dict
    kind: np.ndarray = field(repr=False)  # per input row: 0 kept, 1 exact, 2 near, 3 contamination
    reference: np.ndarray = field(repr=False)  # per input row: kept row (exact/near), eval row, or -1


def _chunk_buffers(chunk: pa.Array, *, ignore_system: bool, where: str):
    """One chunk of a ``list<struct<role, content>>`` column → (data, offsets, row_offsets, skip)."""
    t = chunk.type
    if (
        not (pa.types.is_list(t) or pa.types.is_large_list(t))
        or not pa.types.is_struct(t.value_type)
        or t.value_type.get_field_index("content") < 0
    ):
        raise InputError(f"expected a list of {{role, content}} messages, got {t}", field=where)
    if chunk.null_count:
        raise InputError(
            f"{chunk.null_count} rows have no message list",
            field=where,
            hint="every pair needs a prompt, chosen and rejected list",
        )
    offsets = np.asarray(chunk.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    msgs = chunk.flatten()
    content = pc.struct_field(msgs, "content")
    if content.null_count:
        content = pc.fill_null(content, "")
    skip = None
    if ignore_system and t.value_type.get_field_index("role") >= 0:
        role = pc.struct_field(msgs, "role")
        is_system = pc.fill_null(pc.equal(role, "system"), False)
        if pc.any(is_system).as_py():
            skip = is_system.to_numpy(zero_copy_only=False)
    data, coffs = to_buffers(content)
    return data, coffs, offsets, skip


def _field(column: pa.ChunkedArray | pa.Array, *, ignore_system: bool, where: str) -> list[tuple]:
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = [_chunk_buffers(c, ignore_system=ignore_system, where=where) for c in chunks if len(c)]
    if not out:  # no rows: one empty chunk keeps the shapes valid
        empty = np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), None
        out = [empty]
    return out


def _require(table: pa.Table, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)} (has {', '.join(table.column_names)})",
            hint="convert it to the xlrm pair schema first (`xlrm data`)",
        )


def _fields(table: pa.Table, config: DedupConfig, what: str) -> list[list[tuple]]:
    names = ["prompt", "chosen", "rejected"] if config.on == "pair" else ["prompt"]
    _require(table, ["id", *names], what)
    return [_field(table[n], ignore_system=config.ignore_system, where=n) for n in names]


def _signature_options(config: DedupConfig) -> dict:
    return dict(
        num_perm=config.num_perm,
        seed=config.seed,
        word_ngram=config.word_ngram,
        char_ngram=config.char_ngram,
        nfkc=config.nfkc,
        casefold=config.casefold,
        threads=config.threads,
    )


def _options(config: DedupConfig) -> dict:
    return dict(
        threshold=config.threshold, bands=config.bands, rows=config.rows, **_signature_options(config)
    )


def _priority(table: pa.Table, config: DedupConfig) -> np.ndarray | None:
    if config.keep != "margin":
        return None
    col = config.margin_column
    if col not in table.column_names:
        raise ConfigError(
            f"keep: margin needs a numeric column {col!r}; the table has "
            f"{', '.join(table.column_names)} (set margin_column or another keep policy)"
        )
    values = table[col]
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise ConfigError(f"margin column {col!r} must be numeric, got {values.type}")
    return np.ascontiguousarray(
        pc.fill_null(values.cast(pa.float64()), float("nan")).to_numpy(), dtype=np.float64
    )


def dedup_table(
    table: pa.Table, config: DedupConfig | None = None, eval_tables: Mapping[str, pa.Table] | None = None
) -> DedupResult:
    """Remove contaminated, exact-duplicate and near-duplicate rows of a pair table.

    ``eval_tables`` maps an eval set's name to a table with ``id`` and ``prompt`` columns;
    training rows whose prompt matches one of those prompts (exactly after normalisation,
    or with estimated Jaccard ≥ ``threshold`` when ``near`` is on) are removed first.
    """
    config = config or DedupConfig()
    config.validate()
    fields = _fields(table, config, "input table")
    kwargs = _options(config)
    eval_names: list[str] = []
    eval_ids = None
    if eval_tables:
        chunks, sizes, ids = [], [], []
        for name, et in eval_tables.items():
            _require(et, ["id", "prompt"], f"eval set {name!r}")
            chunks += _field(et["prompt"], ignore_system=config.ignore_system, where="prompt")
            sizes.append(et.num_rows)
            ids.append(et["id"].cast(pa.string()))
            eval_names.append(name)
        kwargs["eval_fields"] = chunks
        kwargs["eval_set_index"] = np.repeat(np.arange(len(sizes), dtype=np.uint32), sizes)
        eval_ids = pa.chunked_array([c for a in ids for c in a.chunks], type=pa.string())
    res = _core.dedup.dedup(
        fields,
        priority=_priority(table, config),
        exact=config.exact,
        near=config.near,
        keep="highest" if config.keep == "margin" else config.keep,
        strip_punct=config.strip_punct,
        **kwargs,
    )
    kind, ref = res["kind"], res["reference"]
    kept = table.filter(pa.array(kind == 0))
    removed = _removed_table(table, kind, ref, res["similarity"], res["eval_set"], eval_ids, eval_names)
    counts = {
        "rows_in": int(table.num_rows),
        "kept": int(kept.num_rows),
        "removed": int(removed.num_rows),
        "removed_by_reason": {k: int((kind == i).sum()) for i, k in enumerate(KINDS) if i},
    }
    if eval_tables:
        per_set = np.bincount(res["eval_set"][kind == 3], minlength=len(eval_names))
        counts["contamination_by_eval_set"] = {n: int(c) for n, c in zip(eval_names, per_set, strict=True)}
    counts["lsh"] = {k: int(res[k]) for k in ("bands", "rows", "candidate_pairs", "verified_pairs")}
    return DedupResult(kept, removed, counts, kind, ref)


def _removed_table(table, kind, ref, sim, eval_set, eval_ids, eval_names) -> pa.Table:
    idx = np.flatnonzero(kind)
    k = kind[idx]
    r = ref[idx]
    ids = table["id"].cast(pa.string())
    contam = k == 3
    train_ref = np.where(contam, 0, r)
    kept_id = ids.take(pa.array(train_ref)) if len(idx) else pa.array([], pa.string())
    if eval_ids is not None and contam.any():
        eval_ref = np.where(contam, r, 0)
        kept_id = pc.if_else(pa.array(contam), eval_ids.take(pa.array(eval_ref)), kept_id)
    names = np.array(eval_names + [None], dtype=object)
    es = eval_set[idx]
    return pa.table(
        {
            "id": ids.take(pa.array(idx)),
            "kept_id": kept_id,
            "kind": pa.array(np.array(KINDS, dtype=object)[k], pa.string()),
            "similarity": pa.array(sim[idx], pa.float32()),
            "eval_set": pa.array(names[np.where(contam, es, -1)], pa.string()),
        },
        schema=REMOVED_SCHEMA,
    )


# --- lower-level helpers (tests, benchmarks, tools) ------------------------------------


def text_field(texts: Sequence[str] | pa.Array | pa.ChunkedArray) -> list[tuple]:
    """A field with one message per row, from plain strings."""
    try:
        data, offsets = to_buffers(texts)
    except UnicodeEncodeError as e:
        row = _bad_row(texts)
        raise InputError(
            f"text is not encodable as UTF-8 ({e.reason})",
            row=row,
            hint="lone surrogates usually come from decoding bytes with errors='surrogateescape'; "
            "repair or drop the row",
        ) from None
    n = len(offsets) - 1
    return [(data, offsets, np.arange(n + 1, dtype=np.int64), None)]


def _bad_row(texts) -> int | None:
    for i, t in enumerate(texts):
        try:
            t.encode("utf-8")
        except (UnicodeEncodeError, AttributeError):
            return i
    return None


def table_fields(table: pa.Table, config: DedupConfig | None = None) -> list[list[tuple]]:
    """The buffers ``_core.dedup`` functions take, for a pair table."""
    return _fields(table, config or DedupConfig(), "input table")


def exact_keys(fields: list[list[tuple]], config: DedupConfig | None = None) -> list[int]:
    """xxh3-128 exact keys of every row, as Python ints."""
    c = config or DedupConfig()
    hi, lo = _core.dedup.exact_keys(
        fields, nfkc=c.nfkc, casefold=c.casefold, strip_punct=c.strip_punct, threads=c.threads
    )
    return [(int(h) << 64) | int(low) for h, low in zip(hi, lo, strict=True)]


def signatures(fields: list[list[tuple]], config: DedupConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(n × num_perm uint32 signatures, has-shingles mask)``."""
    return _core.dedup.signatures(fields, **_signature_options(config or DedupConfig()))


def lsh_params(threshold: float, num_perm: int = 128, false_negative_weight: float = 0.95) -> tuple[int, int]:
    """``(bands, rows)`` for a target Jaccard threshold (datasketch's rule at weight 0.5)."""
    return _core.dedup.lsh_params(threshold, num_perm, false_negative_weight)
