"""The built-in multilingual preference set: shape, counts, determinism and the train/eval split.

Label correctness is checked independently in test_builtin_checker.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from xlrm.data.builtin import (
    BUILTIN_SUBSET_TO_SECTION,
    LANGUAGES,
    SECTIONS,
    SUBSET_TO_SECTION,
    generate,
    subset_counts,
    write_rewardbench_file,
)
from xlrm.data.schema import PAIR_SCHEMA, pairs_to_table, table_to_pairs
from xlrm.text import normalize

ID = re.compile(r"^builtin/(train|eval)/(chat|chat_hard|safety|reasoning)/([a-z]+)-(\d{4})/(en|es|it|ko|zh)$")


@pytest.fixture(scope="module")
def train():
    return generate(split="train", per_section=40, seed=0)


@pytest.fixture(scope="module")
def evaluation():
    return generate(split="eval", per_section=40, seed=0)


def texts(row):
    return tuple(row[f][-1]["content"] for f in ("prompt", "chosen", "rejected"))


def test_rows_follow_the_schema(train):
    table = pairs_to_table(train)
    assert table.schema == PAIR_SCHEMA
    assert table_to_pairs(table) == train
    for r in train:
        assert [m["role"] for m in r["prompt"]] == ["user"]
        assert [m["role"] for m in r["chosen"]] == ["assistant"]
        assert [m["role"] for m in r["rejected"]] == ["assistant"]
        assert all(texts(r)) and r["chosen"] != r["rejected"]
        assert r["source"] == "xlrm-builtin"
        assert SUBSET_TO_SECTION[r["subset"]] == r["category"]


def test_counts_per_language_and_section(train, evaluation):
    for rows in (train, evaluation):
        counts = Counter((r["language"], r["category"]) for r in rows)
        assert counts == {(lang, s): 40 for lang in LANGUAGES for s in SECTIONS}
    small = generate(languages=("ko", "it"), split="eval", per_section=7, sections=("safety", "reasoning"))
    assert Counter((r["language"], r["category"]) for r in small) == {
        (lang, s): 7 for lang in ("ko", "it") for s in ("safety", "reasoning")
    }
    assert generate(per_section=0) == []


def test_sections_are_shared_evenly_among_subsets(train):
    items = Counter(r["subset"] for r in train if r["language"] == "en")
    for section in SECTIONS:
        assert sum(subset_counts(40, section).values()) == 40
        for name, n in subset_counts(40, section).items():
            assert items[name] == n
    assert set(items) == set(BUILTIN_SUBSET_TO_SECTION)


def test_ids_name_parallel_items(train, evaluation):
    for split, rows in (("train", train), ("eval", evaluation)):
        ids = [r["id"] for r in rows]
        assert len(set(ids)) == len(ids)
        stems = defaultdict(set)
        for r in rows:
            m = ID.match(r["id"])
            assert m, r["id"]
            assert m[1] == split and m[2] == r["category"] and m[5] == r["language"]
            stems[r["id"].rsplit("/", 1)[0]].add(r["language"])
        assert all(langs == set(LANGUAGES) for langs in stems.values())
    assert "builtin/train/reasoning/arith-0007/ko" in {r["id"] for r in train}


def test_deterministic_for_a_seed(train):
    assert generate(split="train", per_section=40, seed=0) == train
    other = generate(split="train", per_section=40, seed=1)
    assert [texts(r) for r in other] != [texts(r) for r in train]


def test_items_do_not_depend_on_what_else_is_asked_for(train):
    only = generate(languages=("zh", "es"), split="train", per_section=40, seed=0, sections=("chat_hard",))
    expected = [r for r in train if r["language"] in ("zh", "es") and r["category"] == "chat_hard"]
    assert sorted(only, key=lambda r: r["id"]) == sorted(expected, key=lambda r: r["id"])


def _normalized(rows):
    return set(normalize([r["prompt"][-1]["content"] for r in rows]).to_pylist())


def test_train_and_eval_share_no_ids_prompts_or_templates(train, evaluation):
    assert not {r["id"] for r in train} & {r["id"] for r in evaluation}
    assert not _normalized(train) & _normalized(evaluation)

    # with every number masked, prompts still differ: the templates and entities are disjoint, not
    # just the numbers drawn into them
    def masked(rows):
        return {re.sub(r"\d+", "#", p) for p in _normalized(rows)}

    assert not masked(train) & masked(evaluation)
    # and the eval split keeps all subsets
    assert {r["subset"] for r in evaluation} == set(BUILTIN_SUBSET_TO_SECTION)


def test_large_sizes_have_no_duplicate_pairs():
    for split in ("train", "eval"):
        rows = generate(split=split, per_section=500, seed=0)
        assert len(rows) == 500 * len(SECTIONS) * len(LANGUAGES)
        per_language = defaultdict(list)
        for r in rows:
            per_language[r["language"]].append(texts(r))
        for lang, pairs in per_language.items():
            assert len(set(pairs)) == len(pairs), (split, lang)


def test_too_many_items_is_a_clear_error():
    with pytest.raises(ValueError, match="distinct eval items exist"):
        generate(split="eval", per_section=5000, sections=("safety",), languages=("en",))


@pytest.mark.parametrize(
    "kwargs", [{"languages": ("fr",)}, {"sections": ("math",)}, {"split": "test"}, {"per_section": -1}]
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        generate(**kwargs)


def test_rewardbench_file(tmp_path: Path):
    path = tmp_path / "sub" / "m-rewardbench-builtin.jsonl"
    n = write_rewardbench_file(path, languages=("en", "ko"), per_section=6, seed=2)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert n == len(lines) == 6 * len(SECTIONS) * 2
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert list(row) == ["id", "prompt", "chosen", "rejected", "subset", "language", "source"]
        assert all(isinstance(row[k], str) and row[k] for k in row)
        assert row["id"].startswith("builtin/eval/")
        assert SUBSET_TO_SECTION[row["subset"]] in SECTIONS
    pairs = generate(languages=("en", "ko"), split="eval", per_section=6, seed=2)
    assert [r["id"] for r in rows] == [p["id"] for p in pairs]
    assert rows[0]["chosen"] == pairs[0]["chosen"][-1]["content"]
    assert not list(tmp_path.glob("sub/.*.tmp"))  # written through a temporary file, then renamed


def test_subset_map_covers_rewardbench_names():
    assert SUBSET_TO_SECTION["xstest-should-respond"] == "safety"
    assert SUBSET_TO_SECTION["llmbar-adver-neighbor"] == "chat_hard"
    assert SUBSET_TO_SECTION["hep-python"] == "reasoning"
    assert set(SUBSET_TO_SECTION.values()) == set(SECTIONS)


def test_stats_command():
    out = subprocess.run(
        [sys.executable, "-m", "xlrm.data.builtin", "--stats", "--per-section", "8", "--languages", "en,zh"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "python")},
    )
    assert "| language | chat | chat_hard | safety | reasoning | total |" in out.stdout
    assert "| zh | 8 | 8 | 8 | 8 | 32 |" in out.stdout
