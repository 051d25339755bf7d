"""Fuzzing the format adapters (issue 18): a wrong-typed value in any field, at any depth, costs
its row a counted drop that names the field, never the run; and over the fuzzed files the data
stage's counts add up (rows in = pairs out + drops)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlrm.config import from_dict
from xlrm.data import formats
from xlrm.data.config import DataConfig
from xlrm.data.formats import Context, Converted
from xlrm.data.records import Problem, Record
from xlrm.data.stage import run_data

U = {"role": "user", "content": "What is the capital of France?"}
A = {"role": "assistant", "content": "Paris is the capital."}
B = {"role": "assistant", "content": "I do not know."}
HH = "\n\nHuman: What is the capital of France?\n\nAssistant: "

# One valid row per format; the fuzzer replaces values in them.
TEMPLATES = {
    "xlrm": {"id": "p", "prompt": [U], "chosen": [A], "rejected": [B], "language": "en", "source": "s",
             "category": "chat", "subset": "x"},
    "trl": {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Rome.", "language": "en",
            "category": "chat", "subset": "x", "id": 3},
    "rewardbench": {"prompt": "Capital?", "chosen": "Paris.", "rejected": "Rome.", "subset": "math-prm",
                    "language": "fra_Latn", "id": 1},
    "sharegpt": {"conversations": [{"from": "human", "value": "Capital?"}], "chosen": {"from": "gpt", "value": "Paris"},
                 "rejected": "Rome", "language": "en"},
    "hh": {"chosen": HH + "Paris.", "rejected": HH + "Rome.", "language": "en"},
    "pairwise": {"instruction": "Capital?", "response1": "Paris", "response2": "Rome", "label": 1,
                 "bias": "length", "language": "en"},
    "scored": {"prompt": "Capital?", "response": "Paris", "score": 1.5, "language": "en", "category": "chat"},
}  # fmt: skip

wrong = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.just("\ud800"),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["role", "content", "from", "value", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value, prefix=()):
    """Every place a value sits in a row: top-level fields and, inside them, list items and keys."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(obj, path, new):
    if not path:
        return new
    obj = json.loads(json.dumps(obj))  # a copy
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return obj


@st.composite
def fuzzed_row(draw, fmt: str | None = None):
    fmt = fmt or draw(st.sampled_from(sorted(TEMPLATES)))
    row = TEMPLATES[fmt]
    places = [p for p in _paths(row) if p]
    for _ in range(draw(st.integers(0, 3))):
        row = _replace(row, draw(st.sampled_from(places)), draw(wrong))
        places = [p for p in _paths(row) if p]
        if not places:
            break
    return fmt, row


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(TEMPLATES)).flatmap(lambda f: st.lists(fuzzed_row(f), min_size=1, max_size=6)))
def test_each_adapter_accounts_for_every_row(rows):
    fmt = rows[0][0]
    recs = [Record("f.jsonl", i + 1, r) for i, (_, r) in enumerate(rows)]
    out = list(formats.convert(fmt, recs, Context(source="fuzz", language="en")))
    problems = [o for o in out if isinstance(o, Problem)]
    pairs = [o for o in out if isinstance(o, Converted)]
    assert len(pairs) + len(problems) == len(recs)
    for p in problems:
        if p.reason == "wrong_type":
            assert p.field, p  # the adapter named the field: the safety net did not fire
    for c in pairs:
        for name in ("id", "source"):
            assert isinstance(c.pair[name], str)
        for name in ("language", "category", "subset"):
            assert c.pair[name] is None or isinstance(c.pair[name], str)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(fuzzed_row(), min_size=1, max_size=5), min_size=1, max_size=3))
def test_the_data_stage_counts_every_fuzzed_row(tmp_path_factory, files):
    root: Path = tmp_path_factory.mktemp("fuzz")
    folder = root / "in"
    folder.mkdir()
    n = 0
    for k, rows in enumerate(files):
        fmt = rows[0][0]
        # each file holds one valid row of its format somewhere, so it has a format to detect
        lines = [json.dumps(r) for _, r in rows]  # NaN, Infinity: tokens Python's reader accepts
        lines.insert(k % (len(lines) + 1), json.dumps(TEMPLATES[fmt]))
        (folder / f"f{k}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        n += len(lines)
    cfg = from_dict(
        DataConfig, {"sources": [{"path": str(folder), "language": "en"}], "out": str(root / "out")}
    )
    m = run_data(cfg)  # non-strict: no exception, whatever the values
    c = m["counts"]
    assert c["in"] == n
    assert c["in"] == c["out"] + sum(c["dropped_by_reason"].values())
    assert pq.read_metadata(root / "out" / "pairs.parquet").num_rows == c["out"]
    lines = (root / "out" / "dropped.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(c["dropped_by_reason"].values())
    assert all(json.loads(x)["field"] for x in lines if json.loads(x)["reason"] == "wrong_type")
