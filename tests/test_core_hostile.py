"""Hostile sizes against every `xlrm._core` entry point and the thin wrappers over it.

An absurd size (``ranks=10**12``, ``bins=2**40``, ``bands × rows`` that wraps, ``threads=10**5``)
must come back as an ``XlrmError`` naming the argument: never an abort (exit 134), a
``PanicException``, a pyo3 ``OverflowError`` or a hang. Every call runs in a worker process, so
an abort or a hang is reported with the call that caused it instead of killing pytest; the
worker is restarted after each death.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlrm import stats
from xlrm._core import XlrmError

# What the worker runs: each entry builds small valid inputs and passes the hostile keyword
# arguments through untouched.
WORKER = textwrap.dedent(
    r"""
    import ctypes, json, os, resource, sys
    import numpy as np
    import pyarrow as pa

    # An abort must end the worker at once: a core dump (or the machine's core handler) can
    # take longer than the call timeout, and the death would then read as a hang.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: no dump, even to a pipe
    from xlrm import _core, packing, stats
    from xlrm.dedup import core as dcore
    from xlrm.dedup.config import DedupConfig

    I64 = np.int64

    def tokens():  # three sequences of 3, 2 and 1 tokens
        return np.arange(1, 7, dtype=I64), np.array([0, 3, 5, 6], I64)

    def rejected():  # 1, 2 and 3 tokens: every pair has 4
        return np.arange(10, 16, dtype=I64), np.array([0, 1, 3, 6], I64)

    def fields():
        return [dcore.text_field(["the cat sat on the mat", "the cat sat on the mat today", "ganz anders"])]

    def norms():
        acc = _core.stats.NormAccumulator()
        acc.add_values(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1], np.uint32))
        return acc

    def bfd(capacity=8, length=3):
        return _core.pack.bfd(np.array([length, 2, 1], I64), capacity)

    def balance(ranks=2, per_rank=1, seed=None, load=5):
        return _core.pack.balance(np.array([load, 4, 3, 2], I64), ranks, per_rank, seed=seed)

    def pack_sequences(capacity=8, ranks=None, per_rank=1, seed=None, end=6):
        v, o = tokens()
        o[-1] = end
        return _core.pack.pack_sequences(v, o, capacity, ranks=ranks, per_rank=per_rank, seed=seed)

    def pack_pairs(capacity=8, ranks=None, per_rank=1, seed=None):
        return _core.pack.pack_pairs(*tokens(), *rejected(), capacity, ranks=ranks, per_rank=per_rank, seed=seed)

    def truncate_pairs(max_length=4, min_prompt=0, keep_head=0):
        p = (np.arange(1, 3, dtype=I64), np.array([0, 1, 1, 2], I64))
        return _core.pack.truncate_pairs(
            *p, *tokens(), *rejected(), max_length=max_length, min_prompt=min_prompt, keep_head=keep_head,
            truncate_responses=True,
        )

    def normalize_column(end=3):
        return _core.text.normalize_column(np.frombuffer(b"abc", np.uint8), np.array([0, end], I64))

    def equal_normalized(end=3):
        d = np.frombuffer(b"abc", np.uint8)
        return _core.text.equal_normalized(d, np.array([0, 3], I64), d, np.array([0, end], I64))

    def dedup(**kw):
        return _core.dedup.dedup(fields(), **kw)

    def dedup_offsets(end=3):
        (data, offs, rows, skip), = fields()[0]
        rows = rows.copy()
        rows[-1] = end
        return _core.dedup.dedup([[(data, offs, rows, skip)]])

    def near_from_hashes(end=6, **kw):
        h = np.arange(1, 7, dtype=np.uint64)
        return _core.dedup.near_from_hashes(h, np.array([0, 3, end], I64), **kw)

    def cross(dim_x=4, dim_y=4, block_rows=0):
        acc = _core.stats.CrossAccumulator(dim_x, dim_y, block_rows=block_rows)
        x = np.arange(12, dtype=np.float32).reshape(3, 4)
        acc.update(x, "f32", x[:, ::-1].copy(), "f32")
        return acc.finalize()

    def gram(dim=4, block_rows=0):
        acc = _core.stats.GramAccumulator(dim, block_rows=block_rows)
        acc.update(np.arange(12, dtype=np.float32).reshape(3, 4), "f32")
        return acc.finalize()

    def add_group(group=0):
        acc = _core.stats.NormAccumulator()
        acc.add_values(np.array([1.0, 2.0]), np.array([0, group], np.uint32))
        return acc.num_groups

    def update_group(group=0):
        acc = _core.stats.NormAccumulator()
        acc.update(np.ones((2, 3), np.float32), "f32", np.array([0, group], np.uint32))
        return acc.num_groups

    def table():
        msgs = lambda t: [{"role": "user", "content": t}]
        return pa.table({
            "id": ["a", "b", "c"],
            "prompt": [msgs("the cat sat on the mat"), msgs("the cat sat on the mat"), msgs("other")],
            "chosen": [msgs("yes"), msgs("yes"), msgs("no")],
            "rejected": [msgs("no"), msgs("no"), msgs("yes")],
        })

    def norm_wrapper(bins=50):
        acc = stats.NormAccumulator()
        acc.add_values([1.0, 2.0, 3.0], "en")
        return acc.finalize(bins=bins)

    CALLS = {
        "pack.bfd": bfd,
        "pack.balance": balance,
        "pack.pack_sequences": pack_sequences,
        "pack.pack_pairs": pack_pairs,
        "pack.truncate_pairs": truncate_pairs,
        "text.normalize_column": normalize_column,
        "text.equal_normalized": equal_normalized,
        "dedup.dedup": dedup,
        "dedup.dedup.offsets": dedup_offsets,
        "dedup.exact_keys": lambda **kw: _core.dedup.exact_keys(fields(), **kw),
        "dedup.signatures": lambda **kw: _core.dedup.signatures(fields(), **kw),
        "dedup.shingle_hashes": lambda **kw: _core.dedup.shingle_hashes(fields(), **kw),
        "dedup.near_from_hashes": near_from_hashes,
        "dedup.lsh_params": lambda num_perm=128: _core.dedup.lsh_params(0.8, num_perm),
        "stats.GramAccumulator": gram,
        "stats.CrossAccumulator": cross,
        "stats.NormAccumulator.add_values": add_group,
        "stats.NormAccumulator.update": update_group,
        "stats.NormAccumulator.finalize": lambda bins=50: norms().finalize([0.5], bins),
        "stats.NormAccumulator.distance": lambda a=0, b=1: norms().distance(a, b),
        "stats.NormAccumulator.group_values": lambda g=0: norms().group_values(g),
        "stats.weighted_quantiles": lambda n=3: _core.stats.weighted_quantiles(np.ones(n), [0.5]),
        # the public wrappers
        "py.packing.bfd": lambda capacity=8: packing.bfd([3, 2, 1], capacity),
        "py.packing.balance": lambda **kw: packing.balance([5, 4, 3, 2], **kw),
        "py.packing.pack_sequences": lambda capacity=8, **kw: packing.pack_sequences([[1, 2, 3], [4, 5], [6]], capacity, **kw),
        "py.packing.pack_pairs": lambda capacity=8, **kw: packing.pack_pairs([[1, 2], [3]], [[4], [5, 6]], capacity, **kw),
        "py.stats.GramAccumulator": lambda **kw: stats.GramAccumulator(**kw).update(np.ones((2, 4), np.float32)),
        "py.stats.CrossAccumulator": lambda dim_x=4, **kw: stats.CrossAccumulator(dim_x, **kw),
        "py.stats.NormAccumulator.finalize": norm_wrapper,
        "py.dedup.signatures": lambda **kw: dcore.signatures(fields(), DedupConfig(**kw)),
        "py.dedup.exact_keys": lambda **kw: dcore.exact_keys(fields(), DedupConfig(**kw)),
        "py.dedup.lsh_params": lambda num_perm=128: dcore.lsh_params(0.8, num_perm),
        "py.dedup.dedup_table": lambda **kw: dcore.dedup_table(table(), DedupConfig(**kw)),
        "selftest.abort": os.abort,  # what the allocator does on a failed allocation
    }

    for line in sys.stdin:
        req = json.loads(line)
        try:
            CALLS[req["call"]](**req["kwargs"])
            out = {"ok": True}
        except BaseException as e:  # PanicException derives from BaseException
            out = {"ok": False, "type": type(e).__name__, "xlrm": isinstance(e, _core.XlrmError),
                   "value_error": isinstance(e, ValueError), "message": str(e)}
        print(json.dumps(out), flush=True)
    """
)

CALL_TIMEOUT_S = 30


class Worker:
    """One long-lived Python process running the calls; restarted when a call kills it."""

    def __init__(self):
        self.proc = None
        self.stderr_path = None

    def _start(self, tmp):
        self.stderr_path = os.path.join(tmp, f"worker-{len(os.listdir(tmp))}.stderr")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(self.stderr_path, "w"),  # noqa: SIM115 - the child owns it
            text=True,
            bufsize=1,
        )

    def call(self, tmp, name: str, **kwargs) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start(tmp)
        self.proc.stdin.write(json.dumps({"call": name, "kwargs": kwargs}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], CALL_TIMEOUT_S)
        line = self.proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        # EOF on stdout comes a moment before the exit status: wait for it rather than poll.
        try:
            rc = self.proc.wait(timeout=CALL_TIMEOUT_S if ready else 0.1)
            hung = False
        except subprocess.TimeoutExpired:
            hung = True
            self.proc.kill()
            rc = self.proc.wait()
        with open(self.stderr_path) as f:
            tail = f.read()[-2000:]
        self.proc = None
        what = f"hung for {CALL_TIMEOUT_S} s" if hung else f"killed the process (exit code {rc})"
        pytest.fail(f"{name}({kwargs}) {what}:\n{tail}")

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("hostile"))
    w = Worker()
    yield lambda name, **kw: w.call(tmp, name, **kw)
    w.close()


def test_the_worker_reports_an_abort_instead_of_dying_with_it(worker):
    with pytest.raises(pytest.fail.Exception, match=r"selftest.abort\(\{\}\) killed the process"):
        worker("selftest.abort")
    assert worker("pack.bfd", capacity=8)["ok"], "the worker was restarted"


def between(lo: int, hi: int):
    return lambda v: lo <= v <= hi


U64 = between(0, 2**64 - 1)
USIZE = U64  # the machines xlrm runs on are 64-bit

# Sizes no caller means: the edges of every integer type the bindings use, and far beyond.
EDGES = [
    0,
    -1,
    -(2**31),
    -(2**63),
    2**31 - 1,
    2**31,
    2**32,
    2**40,
    10**12,
    2**63 - 1,
    2**63,
    2**64 - 1,
    2**64,
    10**30,
]
HOSTILE = st.one_of(
    st.sampled_from(EDGES),
    st.integers(max_value=-1),
    st.integers(min_value=2**31, max_value=2**200),
)
# Offsets and lengths arrive in int64 arrays: negative values are possible, 2^63 and up are not.
HOSTILE_I64 = st.one_of(
    st.sampled_from([-1, -(2**63), 2**31, 2**32, 2**62, 2**63 - 1]),
    st.integers(min_value=-(2**63), max_value=-1),
    st.integers(min_value=7, max_value=2**63 - 1),
)

# (entry point, argument, other keyword arguments, which values are valid)
CASES = [
    ("pack.bfd", "capacity", {}, between(3, 2**64 - 1)),
    ("pack.balance", "ranks", {}, between(1, 2**20)),
    ("pack.balance", "per_rank", {}, between(1, 2**20)),
    ("pack.balance", "seed", {}, U64),
    ("pack.pack_sequences", "capacity", {}, between(3, 2**31 - 1)),
    ("pack.pack_sequences", "ranks", {}, between(1, 2**20)),
    ("pack.pack_sequences", "per_rank", {"ranks": 2}, between(1, 2**20)),
    ("pack.pack_sequences", "seed", {"ranks": 2}, U64),
    ("pack.pack_pairs", "capacity", {}, between(4, 2**31 - 1)),
    ("pack.pack_pairs", "ranks", {}, between(1, 2**20)),
    ("pack.pack_pairs", "per_rank", {"ranks": 1}, between(1, 2**20)),
    ("pack.truncate_pairs", "max_length", {}, USIZE),
    ("pack.truncate_pairs", "min_prompt", {}, USIZE),
    ("pack.truncate_pairs", "keep_head", {}, USIZE),
    ("dedup.dedup", "num_perm", {}, between(1, 1024)),
    ("dedup.dedup", "bands", {"rows": 1}, between(1, 128)),
    ("dedup.dedup", "rows", {"bands": 1}, between(1, 128)),
    ("dedup.dedup", "seed", {}, U64),
    ("dedup.dedup", "word_ngram", {}, between(1, 8)),
    ("dedup.dedup", "char_ngram", {}, between(1, 8)),
    ("dedup.dedup", "threads", {}, between(0, 1024)),
    ("dedup.exact_keys", "threads", {}, between(0, 1024)),
    ("dedup.signatures", "num_perm", {}, between(1, 1024)),
    ("dedup.signatures", "seed", {}, U64),
    ("dedup.signatures", "word_ngram", {}, between(1, 8)),
    ("dedup.signatures", "threads", {}, between(0, 1024)),
    ("dedup.shingle_hashes", "char_ngram", {}, between(1, 8)),
    ("dedup.shingle_hashes", "threads", {}, between(0, 1024)),
    ("dedup.near_from_hashes", "num_perm", {}, between(1, 1024)),
    ("dedup.near_from_hashes", "bands", {"rows": 2}, between(1, 64)),
    ("dedup.near_from_hashes", "rows", {"bands": 2}, between(1, 64)),
    ("dedup.near_from_hashes", "seed", {}, U64),
    ("dedup.near_from_hashes", "threads", {}, between(0, 1024)),
    ("dedup.lsh_params", "num_perm", {}, between(1, 1024)),
    ("stats.GramAccumulator", "dim", {}, between(4, 4)),  # the test chunk is 4 wide
    ("stats.GramAccumulator", "block_rows", {}, USIZE),
    ("stats.CrossAccumulator", "dim_x", {}, between(4, 4)),
    ("stats.CrossAccumulator", "dim_y", {}, between(4, 4)),
    ("stats.CrossAccumulator", "block_rows", {}, USIZE),
    ("stats.NormAccumulator.finalize", "bins", {}, between(1, 2**20)),
    ("stats.NormAccumulator.distance", "a", {}, between(0, 1)),
    ("stats.NormAccumulator.distance", "b", {}, between(0, 1)),
    ("stats.NormAccumulator.group_values", "g", {}, USIZE),
    ("py.packing.bfd", "capacity", {}, between(3, 2**64 - 1)),
    ("py.packing.balance", "ranks", {}, between(1, 2**20)),
    ("py.packing.balance", "per_rank", {"ranks": 2}, between(1, 2**20)),
    ("py.packing.pack_sequences", "capacity", {}, between(3, 2**31 - 1)),
    ("py.packing.pack_sequences", "ranks", {}, between(1, 2**20)),
    ("py.packing.pack_pairs", "capacity", {}, between(3, 2**31 - 1)),
    ("py.packing.pack_pairs", "per_rank", {"ranks": 1}, between(1, 2**20)),
    ("py.stats.GramAccumulator", "dim", {}, between(4, 4)),
    ("py.stats.CrossAccumulator", "dim_y", {}, between(1, 64)),
    ("py.stats.NormAccumulator.finalize", "bins", {}, between(1, 2**20)),
    ("py.dedup.signatures", "num_perm", {}, between(1, 1024)),
    ("py.dedup.signatures", "threads", {}, between(0, 1024)),
    ("py.dedup.exact_keys", "threads", {}, between(0, 1024)),
    ("py.dedup.lsh_params", "num_perm", {}, between(1, 1024)),
]

# Config fields are checked by DedupConfig.validate, whose contract is a ValueError (the
# command line turns it into a ConfigError); XlrmError is one too.
CONFIG_CASES = [
    ("py.dedup.dedup_table", "threads", {}, between(0, 1024)),
    ("py.dedup.dedup_table", "num_perm", {}, between(1, 1024)),
    ("py.dedup.dedup_table", "bands", {"rows": 1}, between(1, 128)),
    ("py.dedup.dedup_table", "word_ngram", {}, between(1, 8)),
]

# int64 buffers: offsets past the data, negative offsets and lengths.
BUFFER_CASES = [
    ("text.normalize_column", "end", between(0, 3), "offset"),
    ("text.equal_normalized", "end", between(0, 3), "offset"),
    ("pack.pack_sequences", "end", between(6, 6), "offset"),
    ("pack.bfd", "length", between(1, 8), ("lengths", "capacity")),
    ("pack.balance", "load", between(0, 2**63 - 1), "loads"),
    ("dedup.dedup.offsets", "end", between(2, 3), "offset"),
    ("dedup.near_from_hashes", "end", between(3, 6), "offsets"),
]

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(out: dict, call: str, arg: str, value, valid: bool, *, words=None, config=False):
    """``out`` is a success when ``valid``, else the right error type naming the argument:
    `` `arg` `` as the core writes it (``invalid argument `ranks`: ...``), or one of ``words``."""
    words = (words,) if isinstance(words, str) else words or (f"`{arg}`",)
    where = f"{call}({arg}={value})"
    assert out.get("type") != "PanicException", f"{where} panicked: {out['message']}"
    if valid:
        assert out["ok"], f"{where} should work, raised {out['type']}: {out['message']}"
        return
    assert not out["ok"], f"{where} was accepted"
    if config:
        assert out["value_error"], f"{where} raised {out['type']}, not a ValueError: {out['message']}"
    else:
        assert out["xlrm"], f"{where} raised {out['type']}, not XlrmError: {out['message']}"
    assert any(w in out["message"] for w in words), (
        f"{where}: the message names none of {words}: {out['message']}"
    )


@pytest.mark.parametrize(("call", "arg", "base", "valid"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
@SETTINGS
@given(value=HOSTILE)
def test_hostile_sizes_are_xlrm_errors_naming_the_argument(worker, call, arg, base, valid, value):
    out = worker(call, **base, **{arg: value})
    check(out, call, arg, value, valid(value))


@pytest.mark.parametrize(
    ("call", "arg", "base", "valid"), CONFIG_CASES, ids=[f"{c[0]}-{c[1]}" for c in CONFIG_CASES]
)
@SETTINGS
@given(value=HOSTILE)
def test_hostile_dedup_config_values_are_value_errors(worker, call, arg, base, valid, value):
    out = worker(call, **base, **{arg: value})
    check(out, call, arg, value, valid(value), words=arg, config=True)


@pytest.mark.parametrize(
    ("call", "arg", "valid", "word"), BUFFER_CASES, ids=[f"{c[0]}-{c[1]}" for c in BUFFER_CASES]
)
@SETTINGS
@given(value=HOSTILE_I64)
def test_hostile_offsets_and_lengths_are_xlrm_errors(worker, call, arg, valid, word, value):
    out = worker(call, **{arg: value})
    check(out, call, arg, value, valid(value), words=word)


@pytest.mark.parametrize(
    ("call", "bands", "rows"),
    [
        ("dedup.dedup", 2**32, 2**32),  # wraps to 0 in unchecked 64-bit arithmetic
        ("dedup.dedup", 2**63, 2),
        ("dedup.dedup", 2**64 - 1, 2**64 - 1),
        ("dedup.near_from_hashes", 2**32, 2**32),
        ("dedup.near_from_hashes", 3, 2**62),
    ],
)
def test_band_products_that_overflow_are_rejected(worker, call, bands, rows):
    out = worker(call, bands=bands, rows=rows)
    assert not out["ok"] and out["xlrm"], out
    assert "bands" in out["message"] and ("overflows" in out["message"] or "exceeds" in out["message"])


@pytest.mark.parametrize("group", [2**20, 2**31, 2**32 - 1])
@pytest.mark.parametrize("call", ["stats.NormAccumulator.add_values", "stats.NormAccumulator.update"])
def test_group_ids_that_would_size_a_huge_table_are_rejected(worker, call, group):
    out = worker(call, group=group)
    assert not out["ok"] and out["xlrm"], out
    assert f"groups[1] is {group}" in out["message"], out["message"]
    assert worker(call, group=2**20 - 1)["ok"]


# The calls of issue 18 that aborted the interpreter or hung, each in a fresh interpreter: the
# exit code must be 0 and the printed exception an XlrmError naming the argument.
DANGEROUS = {
    "balance ranks=10**12": ("ranks", "_core.pack.balance(np.array([1, 2], np.int64), 10**12)"),
    "pack_sequences ranks=10**12": (
        "ranks",
        "_core.pack.pack_sequences(np.arange(3), np.array([0, 3], np.int64), 8, ranks=10**12)",
    ),
    "norm histogram bins=10**12": (
        "bins",
        "a = _core.stats.NormAccumulator(); a.add_values(np.ones(3), np.arange(3, dtype=np.uint32));"
        " a.finalize([0.5], 10**12)",
    ),
    "norm group id 2**32-1": (
        "groups",
        "a = _core.stats.NormAccumulator(); a.add_values(np.ones(1), np.array([2**32 - 1], np.uint32))",
    ),
    "dedup bands x rows wraps": ("rows", "_core.dedup.dedup(F, bands=2**32, rows=2**32)"),
    "dedup num_perm=2**40": ("num_perm", "_core.dedup.dedup(F, num_perm=2**40)"),
    "signatures num_perm=10**12": ("num_perm", "_core.dedup.signatures(F, num_perm=10**12)"),
    "lsh_params num_perm=10**6": ("num_perm", "_core.dedup.lsh_params(0.8, 10**6)"),
    "dedup threads=100000": ("threads", "_core.dedup.dedup(F, threads=100000)"),
    "gram dim=2**40": ("dim", "_core.stats.GramAccumulator(2**40)"),
    "cross dim_y=2**33": ("dim_y", "_core.stats.CrossAccumulator(8, 2**33)"),
}

SNIPPET = """
import numpy as np
from xlrm import _core
from xlrm.dedup.core import text_field
F = [text_field(["a b c d", "a b c d e"])]
try:
    {call}
    print("accepted")
except _core.XlrmError as e:
    print("XlrmError:", e)
"""


@pytest.mark.parametrize("case", list(DANGEROUS), ids=list(DANGEROUS))
def test_calls_that_used_to_abort_end_in_an_xlrm_error(case):
    arg, call = DANGEROUS[case]
    p = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(call=call)], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, f"{case}: exit code {p.returncode}\n{p.stderr[-2000:]}"
    assert p.stdout.startswith("XlrmError:"), f"{case}: {p.stdout}{p.stderr[-2000:]}"
    assert f"`{arg}`" in p.stdout, p.stdout


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(finite, min_size=1, max_size=30),
    bad=st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    at=st.integers(min_value=0, max_value=30),
    q=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=5),
)
def test_weighted_quantiles_reject_non_finite_values(values, bad, at, q):
    # The contract: NaN or ±Inf anywhere is an XlrmError naming the first one, never a NaN
    # quantile; without them the result is numpy's linear rule.
    np.testing.assert_allclose(
        stats.weighted_quantiles(values, q), np.quantile(values, q), rtol=1e-9, atol=1e-6
    )
    at = min(at, len(values))
    poisoned = [*values[:at], bad, *values[at:]]
    with pytest.raises(XlrmError, match=rf"values\[{at}\] is (NaN|inf|-inf).*finite"):
        stats.weighted_quantiles(poisoned, q)
    with pytest.raises(XlrmError, match="finite"):
        stats.weighted_quantiles(poisoned, q, weights=np.ones(len(poisoned)))
