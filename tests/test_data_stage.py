"""`xlrm data` end to end: the real files in ../shared/data, bad input, manifests."""

import gzip
import json

import pyarrow.parquet as pq
import pytest

from xlrm.cli import main
from xlrm.config import from_dict
from xlrm.data.config import DataConfig
from xlrm.data.stage import run_data
from xlrm.errors import InputError


def run(tmp_path, sources, **kw):
    cfg = from_dict(DataConfig, {"sources": sources, "out": str(tmp_path / "out"), **kw})
    m = run_data(cfg)
    return m, pq.read_table(tmp_path / "out" / "pairs.parquet")


# --- real data ---------------------------------------------------------------


def test_hh_rlhf(shared_data, tmp_path):
    m, t = run(
        tmp_path, [{"path": str(shared_data / "hh-rlhf/harmless-base-test.jsonl.gz"), "language": "en"}]
    )
    c = m["counts"]
    assert c["in"] == 2312
    assert c["out"] + sum(c["dropped_by_reason"].values()) == 2312
    assert c["per_source"]["harmless-base-test"]["format"] == "hh"
    assert set(c["dropped_by_reason"]) <= {"empty_turn", "identical_responses", "wrong_role"}
    row = t.slice(0, 1).to_pylist()[0]
    assert row["prompt"][-1]["role"] == "user" and row["chosen"][0]["role"] == "assistant"


def test_llama_factory_sharegpt_with_detection(shared_data, tmp_path):
    m, t = run(tmp_path, [{"path": str(shared_data / "llama-factory")}])
    assert m["counts"]["in"] == 600
    assert m["counts"]["per_source"]["llama-factory"]["format"] == "sharegpt"
    langs = m["histograms"]["language"]
    assert langs["en"] > 250 and langs["zh"] > 250
    assert m["language_tagging"]["method_counts"]["detected"] == t.num_rows


def test_medicalgpt_string_responses(shared_data, tmp_path):
    m, t = run(tmp_path, [{"path": str(shared_data / "medicalgpt/dpo_zh_500.jsonl"), "language": "zh"}])
    assert m["counts"]["in"] == 500 and t.num_rows + sum(m["counts"]["dropped_by_reason"].values()) == 500
    assert m["histograms"]["language"] == {"zh": t.num_rows}


def test_ko_rm_judge_scored_pairs(shared_data, tmp_path):
    m, t = run(
        tmp_path,
        [
            {
                "path": str(shared_data / "ko-rm-judge/*.jsonl"),
                "name": "ko-rm-judge",
                "language": "ko",
                "min_margin": 0.5,
            }
        ],
    )
    c = m["counts"]
    assert c["in"] == 7181
    assert c["per_source"]["ko-rm-judge"]["format"] == "scored"
    assert 700 < t.num_rows <= 797  # one pair per prompt at most
    assert c["dropped_by_reason"].get("margin_below_minimum", 0) >= 1


def test_offsetbias_groups(shared_data, tmp_path):
    m, t = run(tmp_path, [{"path": str(shared_data / "offsetbias/biasbench.json"), "language": "en"}])
    assert m["counts"]["in"] == 80 and t.num_rows == 80
    assert len(set(t.column("subset").to_pylist())) == 6


# --- bad input -----------------------------------------------------------------


def write_jsonl(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"prompt": "Hi", "chosen": "Hello there", "rejected": "Go away"})


def test_truncated_jsonl_line_is_counted_with_its_line(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [GOOD, GOOD[:20], GOOD])
    m, t = run(tmp_path, [{"path": str(f), "language": "en"}])
    assert t.num_rows == 2
    assert m["counts"]["dropped_by_reason"] == {"malformed_json": 1}
    dropped = [json.loads(x) for x in (tmp_path / "out/dropped.jsonl").read_text().splitlines()]
    assert dropped[0]["row"] == 2 and dropped[0]["file"].endswith("d.jsonl")


def test_strict_mode_stops_with_file_row_field(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [GOOD, json.dumps({"prompt": "Hi", "chosen": "x"})])
    with pytest.raises(InputError, match=r"file .*d\.jsonl, row 2, field 'rejected': missing field"):
        run(tmp_path, [{"path": str(f), "language": "en"}], strict=True)
    f2 = write_jsonl(tmp_path / "t.jsonl", [GOOD, GOOD[:20]])
    with pytest.raises(InputError, match=r"t\.jsonl, row 2: malformed json"):
        run(tmp_path, [{"path": str(f2), "language": "en"}], strict=True)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_validation_reasons(tmp_path):
    rows = [
        {"prompt": "Hi", "chosen": "Same  answer", "rejected": "Same answer "},
        {"prompt": "Hi", "chosen": "", "rejected": "x"},
        {"prompt": [{"role": "assistant", "content": "I start"}], "chosen": "a", "rejected": "b"},
        {"prompt": "Hi", "chosen": 3, "rejected": "x"},
        {"prompt": "Hi", "chosen": "bad \ud800 surrogate", "rejected": "x"},
    ]
    f = tmp_path / "v.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n" + GOOD + "\n", encoding="utf-8")
    raw = f.read_bytes() + b'{"prompt": "Hi", "chosen": "\xff\xfe", "rejected": "x"}\n'
    f.write_bytes(raw)
    m, t = run(tmp_path, [{"path": str(f), "language": "en"}])
    assert t.num_rows == 1
    assert m["counts"]["dropped_by_reason"] == {
        "identical_responses": 1,
        "empty_turn": 1,
        "wrong_role": 1,
        "wrong_type": 1,  # a number where text belongs
        "invalid_unicode": 1,
        "undecodable_bytes": 1,
    }


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    rc = main(["data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err


def test_yaml_unknown_key_through_cli(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  sources: [{path: x.jsonl}]\n  stirct: true\n")
    assert main(["data", "--config", str(cfg)]) == 2
    assert "unknown key 'stirct'" in capsys.readouterr().err


def test_unknown_format_names_the_columns(tmp_path):
    f = write_jsonl(tmp_path / "u.jsonl", [json.dumps({"question": "q", "answer": "a"})])
    with pytest.raises(InputError, match=r"u\.jsonl, row 1: cannot tell the format.*'answer', 'question'"):
        run(tmp_path, [{"path": str(f)}])


def test_offline_hub_source_says_how_to_use_a_local_copy(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(InputError, match=r"PKU-Alignment/PKU-SafeRLHF.*set `path: x\.parquet`"):
        run(tmp_path, [{"hub": "saferlhf"}])


# --- manifest behaviour ------------------------------------------------------


def test_rerun_is_skipped_and_changes_rerun(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [GOOD])
    m1, _ = run(tmp_path, [{"path": str(f), "language": "en"}])
    m2, _ = run(tmp_path, [{"path": str(f), "language": "en"}])
    assert m1["skipped"] is False and m2["skipped"] is True
    write_jsonl(f, [GOOD, GOOD.replace("Hello there", "Hi!")])
    m3, t = run(tmp_path, [{"path": str(f), "language": "en"}])
    assert m3["skipped"] is False and t.num_rows == 2
    assert m3["input_files"][0]["sha256"] != m1["input_files"][0]["sha256"]


def test_gzip_jsonl_and_parquet_round_trip(tmp_path):
    gz = tmp_path / "d.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(GOOD + "\n")
    run(tmp_path, [{"path": str(gz), "language": "en"}])
    # our own output is a valid input (native format)
    out2 = tmp_path / "again"
    cfg = from_dict(
        DataConfig, {"sources": [{"path": str(tmp_path / "out/pairs.parquet")}], "out": str(out2)}
    )
    m = run_data(cfg)
    assert m["counts"]["per_source"]["pairs"]["format"] == "xlrm" and m["counts"]["out"] == 1


def test_builtin_rewardbench_file_ingests_with_sections(tmp_path):
    from xlrm.data import builtin

    path = tmp_path / "mrb.jsonl"
    builtin.write_rewardbench_file(path, languages=("en", "ko"), per_section=4)
    m, t = run(tmp_path, [{"path": str(path)}])
    assert m["counts"]["per_source"]["mrb"]["format"] == "rewardbench"
    assert m["histograms"]["category"] == {"chat": 8, "chat_hard": 8, "safety": 8, "reasoning": 8}
    assert m["histograms"]["language"] == {"en": 16, "ko": 16}
    assert m["language_tagging"]["method_counts"] == {"source": 32}
