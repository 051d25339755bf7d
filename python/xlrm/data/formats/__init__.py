"""Format adapters: every input format is converted into the pair schema here, once.

``detect_rows(rows)`` picks a format from several rows' keys (a first row lacking a field does
not decide for the whole file); ``convert(name, records, ctx)`` yields ``Converted`` pairs and
``Problem`` rows, one or the other for every record it is given.
"""

from __future__ import annotations

from collections import Counter

from xlrm.data.formats import hh, native, pairwise, rewardbench, scored, sharegpt, trl
from xlrm.data.formats._common import Context, Converted, RowError, problem
from xlrm.data.records import Problem

# Order matters: the most specific layouts first.
FORMATS = {m.NAME: m for m in (native, sharegpt, scored, pairwise, hh, rewardbench, trl)}


def detect(row: dict) -> str | None:
    for name, module in FORMATS.items():
        if module.matches(row):
            return name
    return None


def detect_rows(rows: list[dict]) -> str | None:
    """The format most of ``rows`` match (each row votes for its most specific match); ties go to
    the more specific format. None when no row matches any format."""
    votes = Counter(name for name in map(detect, rows) if name is not None)
    if not votes:
        return None
    order = list(FORMATS)
    return max(votes, key=lambda name: (votes[name], -order.index(name)))


def groups_rows(name: str) -> bool:
    """Whether the adapter pairs up rows across a whole source (scored), not row by row."""
    return getattr(FORMATS[name], "GROUPS_ROWS", False)


def convert(name: str, records, ctx: Context):
    module = FORMATS[name]
    if not hasattr(module, "convert_row"):
        return module.convert(records, ctx)
    return _row_by_row(module.convert_row, records, ctx)


def _row_by_row(convert_row, records, ctx: Context):
    for rec in records:
        try:
            yield convert_row(rec, ctx)
        except RowError as e:
            yield problem(rec, e)
        except (TypeError, ValueError, OverflowError) as e:
            # A safety net only: the adapters type-check every field and raise RowError with
            # the field; a value they did not foresee still costs one counted row, not the run.
            yield Problem(rec.file, rec.row, "wrong_type", None, f"a value of an unexpected type ({e})")


__all__ = ["FORMATS", "Context", "Converted", "detect", "detect_rows", "groups_rows", "convert"]
