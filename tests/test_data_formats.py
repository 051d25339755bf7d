"""Each format adapter on small in-memory rows (the real files are in test_data_stage.py)."""

from xlrm.data import formats
from xlrm.data.formats import Context, Converted
from xlrm.data.records import Problem, Record


def convert(rows, fmt=None, **ctx):
    recs = [Record("mem.jsonl", i + 1, r) for i, r in enumerate(rows)]
    fmt = fmt or formats.detect(rows[0])
    out = list(formats.convert(fmt, recs, Context(source="mem", **ctx)))
    return fmt, [o.pair for o in out if isinstance(o, Converted)], [o for o in out if isinstance(o, Problem)]


def test_trl_standard_explicit_and_implicit():
    fmt, pairs, _ = convert([{"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green."}])
    assert fmt == "trl"
    assert pairs[0]["prompt"] == [{"role": "user", "content": "Sky?"}]
    assert pairs[0]["chosen"] == [{"role": "assistant", "content": "Blue."}]
    _, pairs, _ = convert([{"chosen": "The sky is blue.", "rejected": "The sky is green."}])
    assert pairs[0]["prompt"][0]["content"] == "The sky is"
    assert pairs[0]["chosen"][0]["content"] == "blue."


def test_trl_conversational_explicit_and_implicit():
    u = {"role": "user", "content": "Hi"}
    a1, a2 = {"role": "assistant", "content": "Hello!"}, {"role": "assistant", "content": "Go away."}
    _, pairs, _ = convert([{"prompt": [u], "chosen": [a1], "rejected": [a2]}])
    assert pairs[0]["prompt"] == [u] and pairs[0]["chosen"] == [a1]
    _, pairs, _ = convert([{"chosen": [u, a1], "rejected": [u, a2]}])
    assert pairs[0]["prompt"] == [u] and pairs[0]["rejected"] == [a2]


def test_hh_transcripts_split_shared_turns():
    c = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: joke?\n\nAssistant: A pun."
    r = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: joke?\n\nAssistant: No."
    fmt, pairs, _ = convert([{"chosen": c, "rejected": r}])
    assert fmt == "hh"
    assert [m["role"] for m in pairs[0]["prompt"]] == ["user", "assistant", "user"]
    assert pairs[0]["chosen"] == [{"role": "assistant", "content": "A pun."}]
    _, _, problems = convert([{"chosen": "preamble\n\nHuman: x", "rejected": "\n\nHuman: x"}], "hh")
    assert problems[0].reason == "malformed_transcript"


def test_sharegpt_objects_and_strings():
    conv = [{"from": "human", "value": "你好"}]
    fmt, pairs, _ = convert(
        [
            {
                "conversations": conv,
                "chosen": {"from": "gpt", "value": "你好！"},
                "rejected": {"from": "gpt", "value": "滚"},
            },
            {"conversations": conv, "chosen": "好的", "rejected": "不"},
        ]
    )
    assert fmt == "sharegpt" and len(pairs) == 2
    assert pairs[1]["chosen"] == [{"role": "assistant", "content": "好的"}]
    _, _, problems = convert(
        [{"conversations": [{"from": "alien", "value": "x"}], "chosen": "a", "rejected": "b"}]
    )
    assert (problems[0].reason, problems[0].field) == ("wrong_role", "conversations[0]")


def test_rewardbench_maps_subset_and_language():
    fmt, pairs, _ = convert(
        [
            {
                "id": 7,
                "prompt": "q",
                "chosen": "a",
                "rejected": "b",
                "subset": "math-prm",
                "language": "kor_Hang",
            }
        ]
    )
    assert fmt == "rewardbench"
    assert (pairs[0]["category"], pairs[0]["language"], pairs[0]["id"]) == ("reasoning", "ko", "7")


def test_scored_best_vs_worst_ties_and_margin():
    conv = [{"role": "user", "content": "q1"}]
    rows = [
        {"conversations": conv, "response": "low", "score": 0.1},
        {"conversations": conv, "response": "high", "score": 2.0},
        {"conversations": conv, "response": "mid", "score": 1.0},
        {"prompt": "q2", "response": "x", "score": 1.0},
        {"prompt": "q2", "response": "y", "score": 1.0},
        {"prompt": "q3", "response": "x", "score": 1.0},
        {"prompt": "q3", "response": "y", "score": 1.2},
        {"prompt": "q4", "response": "only", "score": 3.0},
    ]
    fmt, pairs, problems = convert(rows, "scored", min_margin=0.5)
    assert fmt == "scored"
    assert len(pairs) == 1
    assert pairs[0]["chosen"][0]["content"] == "high" and pairs[0]["rejected"][0]["content"] == "low"
    # every row is accounted for: the pair stands for one row of q1, the others are merged
    assert sorted(p.reason for p in problems) == [
        "margin_below_minimum",
        "margin_below_minimum",
        "merged_into_pair",
        "merged_into_pair",
        "single_response",
        "tied_scores",
        "tied_scores",
    ]
    assert len(pairs) + len(problems) == len(rows)


def test_pairwise_labels():
    fmt, pairs, problems = convert(
        [
            {"instruction": "i", "response1": "A", "response2": "B", "label": 2, "_group": "length bias"},
            {"prompt": "p", "response_0": "A", "response_1": "B", "better_response_id": 0},
            {"instruction": "i", "response1": "A", "response2": "B", "label": 3},
        ]
    )
    assert fmt == "pairwise"
    assert pairs[0]["chosen"][0]["content"] == "B" and pairs[0]["subset"] == "length bias"
    assert pairs[1]["chosen"][0]["content"] == "A"
    assert problems[0].reason == "bad_label"


def test_missing_field_is_a_problem_with_location():
    _, pairs, problems = convert([{"prompt": "p", "chosen": "a", "rejected": None}], "trl")
    assert not pairs
    assert (problems[0].file, problems[0].row, problems[0].reason) == ("mem.jsonl", 1, "missing_field")
