"""The one preference-pair schema every stage reads and writes.

A pair is a dict::

    {"id": str,
     "prompt":   [{"role": "system"|"user"|"assistant", "content": str}, ...],  # ends with a user turn
     "chosen":   [{"role": "assistant", "content": str}, ...],
     "rejected": [{"role": "assistant", "content": str}, ...],
     "language": str,            # ISO 639-1 code, e.g. "en", "ko", "zh"
     "source":   str,            # where the pair came from (data set or file name)
     "category": str | None,     # RewardBench section: chat, chat_hard, safety, reasoning
     "subset":   str | None}     # finer label (RewardBench subset, bias type, ...)

Every input format is converted into this at the edge, once (see ``xlrm.data.formats``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

ROLES = ("system", "user", "assistant")
SECTIONS = ("chat", "chat_hard", "safety", "reasoning")

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)

PAIR_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("prompt", MESSAGES),
        ("chosen", MESSAGES),
        ("rejected", MESSAGES),
        ("language", pa.string()),
        ("source", pa.string()),
        ("category", pa.string()),
        ("subset", pa.string()),
    ]
)

COLUMNS = tuple(PAIR_SCHEMA.names)
REQUIRED = ("id", "prompt", "chosen", "rejected", "language", "source")


def pairs_to_table(pairs: Iterable[dict]) -> pa.Table:
    """Rows in the schema → an Arrow table with exactly ``PAIR_SCHEMA``."""
    cols: dict[str, list] = {name: [] for name in COLUMNS}
    for p in pairs:
        for name in COLUMNS:
            cols[name].append(p.get(name))
    return pa.table(cols, schema=PAIR_SCHEMA)


def table_to_pairs(table: pa.Table) -> list[dict]:
    return table.select(list(COLUMNS)).to_pylist()


def last_text(messages: list[dict]) -> str:
    """The text a reward model scores last: the final message's content."""
    return messages[-1]["content"] if messages else ""
