"""The built-in evaluation split as a Multilingual RewardBench file, and the subset → section map.

A Multilingual RewardBench row is flat: ``id``, ``prompt`` (the user's text), ``chosen`` and
``rejected`` (the two replies), ``subset``, ``language`` and ``source``. Scoring code groups rows by
section through :data:`SUBSET_TO_SECTION`, which covers both the built-in subsets and the original
RewardBench subset names, so one map serves either file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from xlrm.data.formats.rewardbench import SUBSET_SECTIONS
from xlrm.data.schema import SECTIONS, last_text

BUILTIN_SUBSET_TO_SECTION = {
    "chat-language": "chat",
    "chat-count": "chat",
    "chat-relevance": "chat",
    "hard-fact": "chat_hard",
    "hard-units": "chat_hard",
    "hard-format": "chat_hard",
    "safety-refuse": "safety",
    "safety-respond": "safety",
    "math-arith": "reasoning",
    "code-python": "reasoning",
}

# The subsets of the original (English) RewardBench, which Multilingual RewardBench keeps.
REWARDBENCH_SUBSET_TO_SECTION = SUBSET_SECTIONS

SUBSET_TO_SECTION = {**REWARDBENCH_SUBSET_TO_SECTION, **BUILTIN_SUBSET_TO_SECTION}
assert set(SUBSET_TO_SECTION.values()) == set(SECTIONS)

REWARDBENCH_FIELDS = ("id", "prompt", "chosen", "rejected", "subset", "language", "source")


def to_rewardbench_row(pair: dict) -> dict:
    """A schema pair → a flat Multilingual RewardBench row (the last user turn and the last replies)."""
    return {
        "id": pair["id"],
        "prompt": last_text(pair["prompt"]),
        "chosen": last_text(pair["chosen"]),
        "rejected": last_text(pair["rejected"]),
        "subset": pair["subset"],
        "language": pair["language"],
        "source": pair["source"],
    }


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Write rows as JSON lines through a temporary file and a rename, so a reader never sees half a
    file. Returns the number of rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def write_rewardbench_file(
    path: str | os.PathLike,
    languages: Sequence[str] | None = None,
    per_section: int = 100,
    seed: int = 0,
    sections: Sequence[str] = SECTIONS,
) -> int:
    """Write the built-in *evaluation* split to ``path`` as Multilingual RewardBench JSONL; returns the
    number of rows (``per_section`` × sections × languages)."""
    from xlrm.data.builtin import LANGUAGES, generate

    pairs = generate(
        languages=tuple(languages or LANGUAGES),
        split="eval",
        per_section=per_section,
        seed=seed,
        sections=sections,
    )
    return write_jsonl(path, (to_rewardbench_row(p) for p in pairs))
