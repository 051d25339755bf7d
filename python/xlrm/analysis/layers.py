"""Which hidden-state layers to analyse: ``all``, single indices, inclusive ranges and lists.

A model with ``L`` decoder layers has ``L + 1`` hidden states (``output_hidden_states``): 0 is
the embedding output, ``L`` the last layer's (after the final norm in most models). Indices may
count from the end (``-1`` = ``L``). Accepted forms, in YAML or as one string:

- ``all``: every hidden state, 0 to ``L``;
- ``-1``, ``12``: one index;
- ``0-12``, ``-4--1``, ``3--1``: an inclusive range (ends resolved first, so ``-4--1`` is the
  last four);
- a list of any of these (``[0, 6-8, -1]``), or one string with commas (``"0-4,12,-1"``).

Parsing checks the syntax only (no model needed); :func:`resolve` turns the terms into sorted,
distinct hidden-state indices for a model of a given depth, or says which term does not fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xlrm.errors import InputError

_RANGE = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")
_INT = re.compile(r"^\s*-?\d+\s*$")
FORMS = "`all`, an index (-1 is the last layer), a range such as 0-12 or -4--1, or a list of these"


@dataclass(frozen=True)
class Term:
    text: str  # as written, for messages
    start: int | None = None  # None with `all`
    end: int | None = None


def parse(value, key: str = "layers") -> list[Term]:
    """The terms of a layer spec; ``ValueError`` naming ``key`` and the bad item otherwise."""
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise ValueError(f"{key}: give at least one layer ({FORMS})")
    terms: list[Term] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"{key}: {item!r} is not a layer; use {FORMS}")
        if isinstance(item, int):
            terms.append(Term(str(item), item, item))
            continue
        parts = [p for p in item.split(",")]
        if any(not p.strip() for p in parts):
            raise ValueError(f"{key}: {item!r} has an empty entry; use {FORMS}")
        for part in parts:
            p = part.strip()
            if p.lower() == "all":
                terms.append(Term("all"))
            elif _INT.match(p):
                k = int(p)
                terms.append(Term(p, k, k))
            elif m := _RANGE.match(p):
                terms.append(Term(p, int(m.group(1)), int(m.group(2))))
            else:
                raise ValueError(f"{key}: {p!r} is not a layer; use {FORMS}")
    return terms


def resolve(terms: list[Term], num_layers: int, *, model: str, key: str = "layers") -> list[int]:
    """Sorted, distinct hidden-state indices (``0 .. num_layers``) of ``terms`` for ``model``."""
    total = num_layers + 1

    def index(k: int, term: Term) -> int:
        i = k + total if k < 0 else k
        if not 0 <= i < total:
            raise InputError(
                f"{key}: layer {k} (in {term.text!r}) is out of range for model {model}, which has "
                f"{num_layers} layers: hidden states 0..{num_layers} (0 = embeddings), or -1..-{total} "
                "counted from the end",
                hint=f"use indices in that range, or `{key}: all`",
            )
        return i

    out: set[int] = set()
    for t in terms:
        if t.start is None:
            out.update(range(total))
            continue
        a, b = index(t.start, t), index(t.end, t)
        if a > b:
            raise InputError(
                f"{key}: range {t.text!r} runs backwards for model {model} ({t.start} is hidden "
                f"state {a}, {t.end} is {b})",
                hint="write ranges low to high, e.g. 0-12 or -4--1",
            )
        out.update(range(a, b + 1))
    return sorted(out)
