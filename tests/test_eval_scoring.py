"""The scoring core of `xlrm eval-rm`: RewardBench's rules checked against hand-computed scores, the
bootstrap, the output tables' consistency, and the errors a bad scores file gets."""

from __future__ import annotations

import csv
import json
import math
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xlrm.errors import ConfigError, InputError
from xlrm.eval import rewardbench as rb
from xlrm.eval.scoring import (
    METRICS,
    pair_outcomes,
    paired_gap,
    read_scores,
    resample_means,
    score,
    subset_weights,
)
from xlrm.eval.tables import write_tables

# ---------------------------------------------------------------------------------------------
# helpers


def pairs(model: str, language: str, subset: str, outcomes, start: int = 0) -> list[dict]:
    """Rows whose outcomes are given: 1 right, 0 wrong, 't' a tie (equal scores)."""
    scores = {1: (2.0, 1.0), 0: (1.0, 2.0), "t": (1.5, 1.5)}
    return [
        {
            "id": f"{subset}/{i}",
            "language": language,
            "subset": subset,
            "model": model,
            "score_chosen": scores[o][0],
            "score_rejected": scores[o][1],
        }
        for i, o in enumerate(outcomes, start=start)
    ]


def right(k: int, n: int) -> list[int]:
    return [1] * k + [0] * (n - k)


# A hand-scored language on the built-in subsets (right / total per subset):
#   chat:      chat-language 3/4, chat-count 1/2, chat-relevance 2/2     -> 6/8 = 0.75
#   chat_hard: hard-fact 1/2, hard-units 0/2, hard-format 1/1            -> 2/5 = 0.4
#   safety:    safety-refuse 3/3, safety-respond 0/1                     -> 3/4 = 0.75
#   reasoning: math-arith 1/4 = 0.25, code-python 2/2 = 1.0; math weighs as much as code -> 0.625
#   overall:   (0.75 + 0.4 + 0.75 + 0.625) / 4 = 0.63125
HAND = {
    "chat-language": (3, 4),
    "chat-count": (1, 2),
    "chat-relevance": (2, 2),
    "hard-fact": (1, 2),
    "hard-units": (0, 2),
    "hard-format": (1, 1),
    "safety-refuse": (3, 3),
    "safety-respond": (0, 1),
    "math-arith": (1, 4),
    "code-python": (2, 2),
}
HAND_SECTIONS = {"chat": 0.75, "chat_hard": 0.4, "safety": 0.75, "reasoning": 0.625}
HAND_OVERALL = 0.63125


def hand_rows(model: str = "m", language: str = "en", skip=()) -> list[dict]:
    rows = []
    for subset, (k, n) in HAND.items():
        if subset not in skip:
            rows += pairs(model, language, subset, right(k, n))
    return rows


def cells_of(rows, **kw):
    return score(read_scores(pa.Table.from_pylist(rows), kind=kw.pop("kind", "classifier")), **kw)


# ---------------------------------------------------------------------------------------------
# the rules


def test_subset_maps_agree_with_the_data_package():
    from xlrm.data.builtin.rewardbench import BUILTIN_SUBSET_TO_SECTION, REWARDBENCH_SUBSET_TO_SECTION

    assert {s: rb.section_of(s) for s in REWARDBENCH_SUBSET_TO_SECTION} == REWARDBENCH_SUBSET_TO_SECTION
    assert {s: rb.section_of(s) for s in BUILTIN_SUBSET_TO_SECTION} == BUILTIN_SUBSET_TO_SECTION
    assert set(rb.REWARDBENCH_COUNTS) == set(rb.M_REWARDBENCH_COUNTS) == set(REWARDBENCH_SUBSET_TO_SECTION)


def test_published_math_count_is_the_code_total_and_the_rule_keeps_it():
    for mode, counts in rb.PUBLISHED_COUNTS.items():
        code = sum(n for s, n in counts.items() if s.startswith("hep-"))
        assert counts["math-prm"] == code
        w, sources = subset_weights({s: 1 for s in counts}, mode)
        assert w == {s: float(n) for s, n in counts.items()}
        assert set(sources.values()) == {mode}


def test_ties_are_wrong_for_classifiers_and_dpo_and_half_for_generative():
    sc, sr = np.array([2.0, 1.0, 1.5]), np.array([1.0, 2.0, 1.5])
    for kind in ("classifier", "dpo"):
        outcome, tie = pair_outcomes(sc, sr, kind=kind)
        assert outcome.tolist() == [1.0, 0.0, 0.0] and tie.tolist() == [False, False, True]
    outcome, _ = pair_outcomes(sc, sr, kind="generative")
    assert outcome.tolist() == [1.0, 0.0, 0.5]
    outcome, tie = pair_outcomes(None, None, kind="generative", verdict=["rejected", "tie", "chosen"])
    assert outcome.tolist() == [0.0, 0.5, 1.0] and tie.tolist() == [False, True, False]


def test_a_tie_changes_the_subset_accuracy_by_kind():
    rows = pairs("m", "en", "chat-count", [1, "t", 0, "t"])
    assert cells_of(rows, bootstrap=0)[("m", "en")].subsets["chat-count"].accuracy == 0.25
    generative = cells_of(rows, bootstrap=0, kind="generative")[("m", "en")].subsets["chat-count"]
    assert generative.accuracy == 0.5 and generative.ties == 2


def test_hand_computed_sections_and_overall():
    cell = cells_of(hand_rows(), bootstrap=0)[("m", "en")]
    for section, expected in HAND_SECTIONS.items():
        assert cell.sections[section].score == pytest.approx(expected)
    assert cell.overall == pytest.approx(HAND_OVERALL)
    assert cell.subsets["math-arith"].weight == cell.subsets["code-python"].weight == 2
    assert cell.complete and not cell.notes and cell.n == sum(n for _, n in HAND.values())


def test_reasoning_without_the_math_rule_would_differ():
    # Count-weighted, math-arith (4 pairs) would outweigh code-python (2): (1 + 2) / 6 = 0.5, not 0.625.
    cell = cells_of(hand_rows(), bootstrap=0)[("m", "en")]
    assert cell.sections["reasoning"].score != pytest.approx(3 / 6)


def test_a_missing_subset_is_reported_and_the_section_averages_the_rest():
    rows = hand_rows(language="en") + hand_rows(language="ko", skip=("chat-count",))
    cells = cells_of(rows, bootstrap=0)
    ko = cells[("m", "ko")]
    assert ko.missing_subsets == ("chat-count",) and ko.sections["chat"].missing == ("chat-count",)
    assert ko.sections["chat"].score == pytest.approx(5 / 6)  # (3 + 2) / (4 + 2)
    assert not ko.complete and any("chat-count" in n for n in ko.notes)
    assert cells[("m", "en")].complete


def test_a_subset_no_language_has_is_still_missing():
    # The built-in suite has three chat subsets: one absent everywhere is not forgotten.
    cell = cells_of(hand_rows(skip=("chat-relevance",)), bootstrap=0)[("m", "en")]
    assert cell.missing_subsets == ("chat-relevance",)


def test_a_missing_section_is_nan_and_the_overall_says_so():
    cell = cells_of(hand_rows(skip=("math-arith", "code-python")), bootstrap=200)[("m", "en")]
    assert math.isnan(cell.sections["reasoning"].score) and cell.missing_sections == ("reasoning",)
    assert cell.overall == pytest.approx((0.75 + 0.4 + 0.75) / 3)
    assert any(n.startswith("overall: the mean of 3 of 4") for n in cell.notes)
    assert cell.to_json()["Reasoning"] is None and cell.to_json()["overall"]["missing_sections"] == [
        "reasoning"
    ]


def test_unmapped_subsets_are_counted_and_kept_out_of_sections():
    rows = hand_rows() + pairs("m", "en", "my-own-subset", [0, 0, 0])
    cell = cells_of(rows, bootstrap=0)[("m", "en")]
    assert list(cell.unmapped) == ["my-own-subset"] and cell.unmapped["my-own-subset"].n == 3
    assert cell.overall == pytest.approx(HAND_OVERALL)
    assert "my-own-subset" not in cell.subsets and any("unmapped" in n for n in cell.notes)


# Chat: alpacaeval-easy 1/2, mt-bench-easy 2/2. Reasoning: math-prm 0/2, hep-python 1/1, hep-go 0/1.
WEIGHTED = (
    pairs("m", "ko", "alpacaeval-easy", [1, 0])
    + pairs("m", "ko", "mt-bench-easy", [1, 1])
    + pairs("m", "ko", "math-prm", [0, 0])
    + pairs("m", "ko", "hep-python", [1])
    + pairs("m", "ko", "hep-go", [0])
)


@pytest.mark.parametrize(
    "mode, chat, reasoning",
    [
        ("observed", 3 / 4, 1 / 4),  # counts 2 and 2; code total 2, so math weighs 2
        (
            "rewardbench",
            (100 * 0.5 + 28) / 128,
            164 / (2 * 328),
        ),  # math scaled to the 328 of two code subsets
        ("m-rewardbench", (79 * 0.5 + 24) / 103, 163 / (2 * 327)),  # hep-python counts 163 there
    ],
)
def test_the_three_weight_modes(mode, chat, reasoning):
    cell = cells_of(WEIGHTED, bootstrap=0, weights=mode)[("m", "ko")]
    assert cell.sections["chat"].score == pytest.approx(chat)
    assert cell.sections["reasoning"].score == pytest.approx(reasoning)
    assert cell.weights == mode


def test_published_weights_fall_back_to_observed_counts_with_a_note():
    cell = cells_of(hand_rows(), bootstrap=0, weights="rewardbench")[("m", "en")]
    assert cell.overall == pytest.approx(HAND_OVERALL)
    assert {s.weight_source for s in cell.subsets.values()} == {"observed"}
    assert any(n.startswith("weights: rewardbench publishes no count") for n in cell.notes)


def test_bad_arguments_are_config_errors():
    rows = hand_rows()
    with pytest.raises(ConfigError, match="weights must be one of"):
        cells_of(rows, weights="uniform")
    with pytest.raises(ConfigError, match="kind must be one of"):
        cells_of(rows, kind="regression")
    with pytest.raises(ConfigError, match="bootstrap"):
        cells_of(rows, bootstrap=-1)


# ---------------------------------------------------------------------------------------------
# bootstrap


def random_rows(models=("en", "ko"), languages=("en", "ko"), seed=0, scale=1.0) -> list[dict]:
    """Every RewardBench subset at a tenth of its Multilingual RewardBench size, random scores."""
    rng = np.random.default_rng(seed)
    rows = []
    for model in models:
        for lang in languages:
            for subset, n in rb.M_REWARDBENCH_COUNTS.items():
                m = max(2, int(n * scale))
                for row, c in zip(pairs(model, lang, subset, [1] * m), rng.normal(0.4, 1, m), strict=True):
                    row["score_chosen"] = float(c)
                    row["score_rejected"] = float(rng.normal())
                    rows.append(row)
    return rows


def test_every_interval_contains_its_estimate_and_is_seeded():
    cells = cells_of(random_rows(scale=0.1), bootstrap=500, seed=3)
    again = cells_of(random_rows(scale=0.1), bootstrap=500, seed=3)
    other = cells_of(random_rows(scale=0.1), bootstrap=500, seed=4)
    for key, cell in cells.items():
        estimates = [(s.accuracy, s.ci) for s in cell.subsets.values()]
        estimates += [(cell.metric(m), cell.metric_ci(m)) for m in METRICS]
        for value, (lo, hi) in estimates:
            assert lo <= value <= hi
        assert again[key].overall_ci == cell.overall_ci
        assert other[key].overall_ci != cell.overall_ci
        assert cell.overall_ci[1] - cell.overall_ci[0] > 0


def test_multinomial_resampling_matches_index_resampling():
    rng = np.random.default_rng(0)
    outcomes = rng.choice([0.0, 0.5, 1.0], size=40, p=[0.3, 0.2, 0.5])
    fast = resample_means(outcomes, 20000, np.random.default_rng(1))
    idx = np.random.default_rng(2).integers(0, 40, size=(20000, 40))
    slow = outcomes[idx].mean(axis=1)
    assert fast[0, 0] == pytest.approx(outcomes.mean())
    assert fast[1:, 0].mean() == pytest.approx(slow.mean(), abs=0.003)
    assert fast[1:, 0].std() == pytest.approx(slow.std(), rel=0.03)


def test_bootstrap_is_fast():
    rows = random_rows(models=("en",), languages=("ko",), scale=1.0)  # about 3,000 pairs
    scores = read_scores(pa.Table.from_pylist(rows))
    assert 2500 < len(scores) < 3500
    start = time.perf_counter()
    cell = score(scores, bootstrap=5000)[("en", "ko")]
    assert time.perf_counter() - start < 0.5
    assert cell.overall_ci is not None


def test_paired_gap_uses_the_same_pairs_for_both_models():
    rows = random_rows(models=("en",), languages=("ko",), scale=0.2)
    twin = [{**r, "model": "ko"} for r in rows]
    scores = read_scores(pa.Table.from_pylist(rows + twin))
    gaps = paired_gap(scores, "en", "ko", "ko", bootstrap=500)
    # identical models: a paired bootstrap sees no gap in any resample (an unpaired one would)
    for g in gaps.values():
        assert g.gap == 0 and g.ci == (0.0, 0.0) and g.n_pairs == len(rows) and g.n_unmatched == 0
    both = resample_means(
        np.stack([scores.outcome[:50], scores.outcome[:50]], axis=1), 100, np.random.default_rng(0)
    )
    assert np.array_equal(both[:, 0], both[:, 1])


def test_paired_gap_equals_the_difference_of_the_cells():
    scores = read_scores(pa.Table.from_pylist(random_rows(scale=0.1)))
    cells = score(scores, bootstrap=300)
    gaps = paired_gap(scores, "en", "ko", "ko", bootstrap=300)
    for metric, g in gaps.items():
        difference = cells[("en", "ko")].metric(metric) - cells[("ko", "ko")].metric(metric)
        assert g.gap == pytest.approx(difference, abs=1e-12)
        assert g.ci[0] <= g.gap <= g.ci[1]


def test_paired_gap_leaves_out_unmatched_pairs_and_counts_them():
    rows = hand_rows("en", "ko") + hand_rows("ko", "ko")
    rows = [r for r in rows if not (r["model"] == "ko" and r["id"] == "chat-language/0")]
    gaps = paired_gap(read_scores(pa.Table.from_pylist(rows)), "en", "ko", "ko", bootstrap=0)
    assert (
        gaps["overall"].n_unmatched == 1 and gaps["overall"].n_pairs == sum(n for _, n in HAND.values()) - 1
    )
    assert gaps["overall"].gap == 0 and gaps["overall"].ci is None


# ---------------------------------------------------------------------------------------------
# tables


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    rows = random_rows(models=("en", "ko", "zh"), languages=("en", "ko", "zh"), scale=0.1)
    rows = [
        r for r in rows if not (r["model"] == "zh" and r["language"] == "en" and r["subset"] == "donotanswer")
    ]
    summary = write_tables(pa.Table.from_pylist(rows), out, bootstrap=200, seed=1)
    return out, summary


def test_write_tables_lists_what_it_wrote(written):
    out, summary = written
    assert set(summary["files"]) >= {
        "transfer.parquet",
        "transfer.csv",
        "transfer.md",
        "gap.parquet",
        "gap.md",
    }
    assert "transfer_overall.png" in summary["files"] and "transfer_sections.png" in summary["files"]
    for name in summary["files"]:
        assert (out / name).is_file(), name
    assert (out / "transfer_overall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        summary["counts"]["cells"] == 9 and summary["counts"]["models"] == summary["counts"]["languages"] == 3
    )
    assert summary["counts"]["gaps"] == 2
    assert summary["missing"] == {"zh/en": ["donotanswer"]} and summary["counts"]["missing_subsets"] == 1


def test_matrix_cells_equal_the_per_language_results(written):
    out, _ = written
    long = pq.read_table(out / "transfer.parquet").to_pylist()
    assert len(long) == 9 * len(METRICS)
    with open(out / "transfer.csv", newline="", encoding="utf-8") as f:
        wide = {(r["metric"], r["model"]): r for r in csv.DictReader(f)}
    for row in long:
        result = json.loads((out / "results" / row["model"] / f"{row['language']}.json").read_text())
        block = result["overall"] if row["metric"] == "overall" else result["sections"][row["metric"]]
        assert row["score"] == block["score"] and [row["ci_low"], row["ci_high"]] == block["ci"]
        assert row["ci_low"] <= row["score"] <= row["ci_high"]
        assert float(wide[(row["metric"], row["model"])][row["language"]]) == row["score"]
        assert {"language_name", "language_family", "language_script", "language_resource"} <= set(row)
    incomplete = [r for r in long if not r["complete"]]
    assert {(r["model"], r["language"], r["metric"]) for r in incomplete} == {
        ("zh", "en", "overall"),
        ("zh", "en", "safety"),
    }


def test_results_json_has_rewardbench_layout(written):
    out, _ = written
    result = json.loads((out / "results" / "en" / "ko.json").read_text())
    assert result["model"] == "en" and result["language"] == "ko" and result["model_type"] == "classifier"
    for subset in rb.M_REWARDBENCH_COUNTS:
        assert result[subset] == result["subsets"][subset]["accuracy"]
        lo, hi = result["subsets"][subset]["ci"]
        assert lo <= result[subset] <= hi
    for section, title in rb.SECTION_TITLES.items():
        assert result[title] == result["sections"][section]["score"]
    assert result["Score"] == pytest.approx(np.mean([result[t] for t in rb.SECTION_TITLES.values()]))


def test_gap_table_is_the_difference_of_matrix_cells(written):
    out, _ = written
    matrix = {
        (r["model"], r["language"], r["metric"]): r["score"]
        for r in pq.read_table(out / "transfer.parquet").to_pylist()
    }
    gaps = pq.read_table(out / "gap.parquet").to_pylist()
    per_language = [g for g in gaps if g["row_kind"] == "language"]
    assert {g["language"] for g in per_language} == {"ko", "zh"}
    for g in per_language:
        lang = g["language"]
        assert g["target_model"] == lang and g["english_model"] == "en"
        assert (
            g["english"] == matrix[("en", lang, g["metric"])]
            and g["target"] == matrix[(lang, lang, g["metric"])]
        )
        assert g["gap"] == pytest.approx(g["english"] - g["target"], abs=1e-12)
        assert g["ci_low"] <= g["gap"] <= g["ci_high"]
    means = {g["metric"]: g for g in gaps if g["row_kind"] == "mean"}
    assert set(means) == set(METRICS)
    for metric, g in means.items():
        assert g["gap"] == pytest.approx(np.mean([r["gap"] for r in per_language if r["metric"] == metric]))
    text = (out / "gap.md").read_text()
    overall_ko = next(g for g in per_language if g["language"] == "ko" and g["metric"] == "overall")
    assert f"{100 * overall_ko['gap']:+.1f}" in text


def test_markdown_shows_the_cells_and_marks_incomplete_ones(written):
    out, _ = written
    text = (out / "transfer.md").read_text()
    zh_en = json.loads((out / "results" / "zh" / "en.json").read_text())
    assert f"{100 * zh_en['Score']:.1f} (" in text and "\\*" in text
    assert "| code | name | family | script | resource |" in text


def test_no_english_rm_means_no_gap_table_and_a_note(tmp_path):
    summary = write_tables(pa.Table.from_pylist(hand_rows("ko", "ko")), tmp_path, bootstrap=0, plots=False)
    assert "gap.parquet" not in summary["files"] and any("no gap table" in n for n in summary["notes"])
    assert summary["counts"]["gaps"] == 0


def test_model_labels_become_safe_file_names(tmp_path):
    rows = [{**r, "model": "../Qwen/Qwen2.5 0.5B"} for r in hand_rows()]
    summary = write_tables(pa.Table.from_pylist(rows), tmp_path, bootstrap=0, plots=False)
    results = [name for name in summary["files"] if name.startswith("results/")]
    assert results == ["results/_.._Qwen_Qwen2.5_0.5B/en.json"]
    assert (tmp_path / results[0]).is_file()


# ---------------------------------------------------------------------------------------------
# bad inputs


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_missing_column_names_the_file_and_field(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "score_rejected"} for r in hand_rows()]
    path = write_jsonl(tmp_path / "scores.jsonl", rows)
    with pytest.raises(InputError, match="missing column") as e:
        read_scores(path)
    assert e.value.file == str(path) and e.value.field == "score_rejected" and e.value.row is None


def test_nan_score_names_the_line_and_field(tmp_path):
    rows = hand_rows()
    path = tmp_path / "scores.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines[4] = (
        lines[4]
        .replace('"score_chosen": 2.0', '"score_chosen": NaN')
        .replace('"score_chosen": 1.0', '"score_chosen": NaN')
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="finite") as e:
        read_scores(path)
    assert (e.value.row, e.value.field) == (5, "score_chosen")
    assert "row 5" in str(e.value) and "score_chosen" in str(e.value)


def test_csv_empty_and_non_numeric_scores(tmp_path):
    rows = hand_rows()
    path = tmp_path / "scores.csv"
    header = ["id", "language", "subset", "model", "score_chosen", "score_rejected"]

    def write(bad_row: int, value: str):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            for i, r in enumerate(rows, start=1):
                w.writerow([value if (i == bad_row and k == "score_rejected") else r[k] for k in header])

    write(3, "")
    with pytest.raises(InputError, match="missing") as e:
        read_scores(path)
    assert (e.value.row, e.value.field) == (3, "score_rejected")
    write(7, "high")
    with pytest.raises(InputError, match="not a number") as e:
        read_scores(path)
    assert (e.value.row, e.value.field) == (7, "score_rejected")
    write(0, "")  # no bad row: the same file reads
    assert len(read_scores(path)) == len(rows)


def test_parquet_null_and_infinite_scores(tmp_path):
    rows = hand_rows()
    rows[1]["score_chosen"] = None
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    with pytest.raises(InputError) as e:
        read_scores(tmp_path / "a.parquet")
    assert (e.value.row, e.value.field) == (2, "score_chosen")
    rows[1]["score_chosen"] = float("inf")
    with pytest.raises(InputError, match="inf") as e:
        read_scores(pa.Table.from_pylist(rows))
    assert (e.value.row, e.value.field) == (2, "score_chosen")


def test_other_bad_rows(tmp_path):
    rows = hand_rows()
    cases = [
        ({**rows[2], "subset": None}, "subset", "missing"),
        ({**rows[2], "score_chosen": "2.0"}, "score_chosen", "not a number"),
        ({**rows[2], "score_chosen": True}, "score_chosen", "not a number"),
        ({**rows[2], "id": rows[0]["id"]}, "id", "scored twice"),
    ]
    for bad, field, message in cases:
        path = write_jsonl(tmp_path / "s.jsonl", [*rows[:2], bad, *rows[3:]])
        with pytest.raises(InputError, match=message) as e:
            read_scores(path)
        assert (e.value.row, e.value.field) == (3, field), (field, message)


def test_verdicts(tmp_path):
    rows = [
        {"id": f"x{i}", "language": "en", "subset": "chat-count", "verdict": v}
        for i, v in enumerate(["chosen", "Tie", "rejected", "chosen"])
    ]
    cell = score(read_scores(pa.Table.from_pylist(rows), kind="generative"), bootstrap=0)[("model", "en")]
    assert cell.subsets["chat-count"].accuracy == pytest.approx(2.5 / 4)
    with pytest.raises(InputError, match="kind is 'classifier'") as e:
        read_scores(pa.Table.from_pylist([{**r, "score_chosen": 1.0, "score_rejected": 0.0} for r in rows]))
    assert (e.value.row, e.value.field) == (1, "verdict")
    rows[2]["verdict"] = "B"
    with pytest.raises(InputError, match="unknown verdict") as e:
        read_scores(pa.Table.from_pylist(rows), kind="generative")
    assert (e.value.row, e.value.field) == (3, "verdict")
    rows[2]["verdict"] = None
    with pytest.raises(InputError, match="no verdict and no scores") as e:
        read_scores(pa.Table.from_pylist(rows), kind="generative")
    assert e.value.row == 3


def test_unreadable_inputs(tmp_path):
    with pytest.raises(InputError, match="no such scores file"):
        read_scores(tmp_path / "absent.parquet")
    (tmp_path / "s.txt").write_text("x")
    with pytest.raises(InputError, match="unsupported"):
        read_scores(tmp_path / "s.txt")
    (tmp_path / "s.jsonl").write_text('{"id": "a"}\n{"id": \n')
    with pytest.raises(InputError, match="malformed JSON") as e:
        read_scores(tmp_path / "s.jsonl")
    assert e.value.row == 2


def test_pairs_outside_the_sections_get_their_own_matrix(tmp_path):
    # e.g. train-rm's held-out pairs: scored, kept out of every section score, and in the tables
    rows = hand_rows() + pairs("m", "en", "held-out", [1, 1, 0, 1])
    rows += hand_rows("m", "ko") + pairs("m", "ko", "held-out", [0, 1])
    write_tables(pa.Table.from_pylist(rows), tmp_path, bootstrap=0, plots=False)
    long = [
        r
        for r in pq.read_table(tmp_path / "transfer.parquet").to_pylist()
        if r["metric"] == "subset:held-out"
    ]
    assert {(r["language"], r["n"], r["score"]) for r in long} == {("en", 4, 0.75), ("ko", 2, 0.5)}
    overall = {
        r["language"]: r["score"]
        for r in pq.read_table(tmp_path / "transfer.parquet").to_pylist()
        if r["metric"] == "overall"
    }
    assert overall["en"] == pytest.approx(HAND_OVERALL)  # the extra pairs change no section
    md = (tmp_path / "transfer.md").read_text(encoding="utf-8")
    assert "## Outside RewardBench's sections: `held-out`" in md and "| m | 75.0, n=4 | 50.0, n=2 |" in md
    wide = (tmp_path / "transfer.csv").read_text(encoding="utf-8")
    assert "subset:held-out,m,0.75,0.5" in wide
