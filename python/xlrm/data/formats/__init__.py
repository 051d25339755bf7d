"""Format adapters: every input format is converted into the pair schema here, once.

``detect(row)`` picks a format from the first row's keys; ``convert(name, records, ctx)``
yields ``Converted`` pairs and ``Problem`` rows.
"""

from __future__ import annotations

from xlrm.data.formats import hh, native, pairwise, rewardbench, scored, sharegpt, trl
from xlrm.data.formats._common import Context, Converted

# Order matters: the most specific layouts first.
FORMATS = {m.NAME: m for m in (native, sharegpt, scored, pairwise, hh, rewardbench, trl)}


def detect(row: dict) -> str | None:
    for name, module in FORMATS.items():
        if module.matches(row):
            return name
    return None


def convert(name: str, records, ctx: Context):
    return FORMATS[name].convert(records, ctx)


__all__ = ["FORMATS", "Context", "Converted", "detect", "convert"]
