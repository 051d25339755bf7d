"""xlrm.dedup: the table API, the `xlrm dedup` command, configs and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xlrm import _core
from xlrm.cli import main
from xlrm.config import from_dict
from xlrm.data.pairfile import read_pairs
from xlrm.data.schema import pairs_to_table
from xlrm.dedup import DedupConfig, dedup_table, exact_keys, lsh_params, table_fields, text_field
from xlrm.errors import ConfigError, InputError, XlrmError

LONG = (
    "The committee met on Tuesday to discuss the budget for next year. Several members raised concerns "
    "about the rising cost of maintenance. The chair promised a detailed report by the end of the month."
)
OTHER = (
    "Rainfall in the northern valley was unusually heavy this spring. Farmers delayed planting by almost "
    "three weeks. Local markets expect vegetable prices to rise during the summer months."
)


def pair(i, prompt, chosen="yes", rejected="no", **extra):
    return {
        "id": str(i),
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "language": "en",
        "source": "t",
        **extra,
    }


@pytest.fixture
def table():
    return pairs_to_table(
        [
            pair("a", "What is 2+2?", LONG, "four"),
            pair("b", "what is 2+2?  ", LONG.upper(), "FOUR"),  # exact after normalisation
            pair("c", "What is 2+2?", LONG.replace("Tuesday", "Monday"), "four"),  # near
            pair("d", "Tell me about rain.", OTHER, "no idea"),
            pair("e", "Tell me about rain.", "Something else entirely, short.", "no idea"),
        ]
    )


def test_dedup_table_removes_exact_and_near(table):
    res = dedup_table(table)
    assert res.kept["id"].to_pylist() == ["a", "d", "e"]
    assert res.kept.schema == table.schema
    assert res.removed.column_names == ["id", "kept_id", "kind", "similarity", "eval_set"]
    rows = {r["id"]: r for r in res.removed.to_pylist()}
    assert rows["b"]["kind"] == "exact" and rows["b"]["kept_id"] == "a" and rows["b"]["similarity"] == 1.0
    assert rows["c"]["kind"] == "near" and rows["c"]["kept_id"] == "a" and 0.8 <= rows["c"]["similarity"] < 1
    assert rows["c"]["eval_set"] is None
    assert res.counts["rows_in"] == 5 and res.counts["kept"] == 3
    assert res.counts["removed_by_reason"] == {"exact": 1, "near": 1, "contamination": 0}
    assert res.counts["lsh"]["bands"] * res.counts["lsh"]["rows"] <= 128


def test_switches_and_prompt_mode(table):
    assert dedup_table(table, DedupConfig(near=False)).kept.num_rows == 4
    assert dedup_table(table, DedupConfig(exact=False)).counts["removed_by_reason"]["near"] == 2
    # on the prompt alone, a/b/c share one prompt and d/e another
    assert dedup_table(table, DedupConfig(on="prompt")).kept["id"].to_pylist() == ["a", "d"]


def test_keep_policies(table):
    longest = dedup_table(table, DedupConfig(near=False, keep="longest", on="prompt"))
    # ties keep the first; "b" has two trailing spaces, so it is the longest of the a/b/c group
    assert longest.kept["id"].to_pylist() == ["b", "d"]
    t = table.append_column("margin", pa.array([0.1, 0.5, 2.0, None, 1.0]))
    best = dedup_table(t, DedupConfig(keep="margin", on="prompt"))
    assert best.kept["id"].to_pylist() == ["c", "e"]
    assert "margin" in best.kept.column_names
    with pytest.raises(ConfigError, match="margin"):
        dedup_table(table, DedupConfig(keep="margin"))


def test_system_messages_are_ignored_unless_asked():
    with_system = pair("s", "Hi there")
    with_system["prompt"] = [{"role": "system", "content": "Be terse."}, *with_system["prompt"]]
    t = pairs_to_table([pair("p", "Hi there"), with_system])
    assert dedup_table(t).kept.num_rows == 1
    assert dedup_table(t, DedupConfig(ignore_system=False, near=False)).kept.num_rows == 2


def test_decontamination_names_the_eval_set(table):
    evals = {
        "bench-a": pairs_to_table([pair("e1", "WHAT IS 2+2?")]),
        "bench-b": pairs_to_table([pair("e2", "Tell me about rain, please"), pair("e3", OTHER)]),
    }
    cfg = DedupConfig(on="pair")
    res = dedup_table(table, cfg, evals)
    rows = {r["id"]: r for r in res.removed.to_pylist()}
    for i in "abc":
        assert rows[i]["kind"] == "contamination" and rows[i]["eval_set"] == "bench-a"
        assert rows[i]["kept_id"] == "e1" and rows[i]["similarity"] == 1.0
    assert res.counts["contamination_by_eval_set"] == {"bench-a": 3, "bench-b": 0}
    # near-duplicate prompts count too: an eval prompt that is a near copy of a training prompt
    near_eval = {"long": pairs_to_table([pair("x", LONG.replace("year", "decade"))])}
    t = pairs_to_table([pair("t1", LONG), pair("t2", OTHER)])
    res = dedup_table(t, cfg, near_eval)
    assert res.removed.to_pylist()[0]["id"] == "t1"
    assert 0.8 <= res.removed["similarity"][0].as_py() < 1
    assert dedup_table(t, DedupConfig(near=False), near_eval).removed.num_rows == 0


def test_empty_strings_and_empty_tables():
    t = pairs_to_table([pair(0, "", "", ""), pair(1, " ", "\t", ""), pair(2, "x", "", "")])
    res = dedup_table(t)
    assert res.kept["id"].to_pylist() == ["0", "2"]
    empty = t.slice(0, 0)
    res = dedup_table(empty, DedupConfig(), {"ev": t})
    assert res.kept.num_rows == 0 and res.removed.num_rows == 0


def test_chunked_and_sliced_tables_match_contiguous(table):
    chunked = pa.concat_tables([table.slice(0, 2), table.slice(2, 1), table.slice(3)])
    assert chunked["prompt"].num_chunks == 3
    a, b = dedup_table(table), dedup_table(chunked)
    assert a.removed.equals(b.removed)
    assert dedup_table(table.slice(1)).kept["id"].to_pylist() == ["b", "d", "e"]


def test_lsh_params_helper():
    assert lsh_params(0.8, 128, 0.5) == (9, 13)  # datasketch's choice
    b, r = lsh_params(0.8, 128)
    assert b * r <= 128 and 1 - (1 - 0.9**r) ** b > 0.99
    assert lsh_params(0.5, 64)[0] > lsh_params(0.9, 64)[0]
    with pytest.raises(ValueError, match="threshold"):
        lsh_params(0.0)


# --- config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"num_perm": 0}, "num_perm"),
        ({"num_perm": 4096}, "num_perm"),
        ({"bands": 20, "rows": 8}, "exceeds num_perm"),
        ({"bands": 4}, "both bands and rows"),
        ({"word_ngram": 0}, "word_ngram"),
        ({"char_ngram": 9}, "char_ngram"),
        ({"threads": -1}, "threads"),
        ({"keep": "random"}, "keep"),
    ],
)
def test_config_rejects_bad_values(bad, match):
    with pytest.raises(ConfigError, match=match):
        from_dict(DedupConfig, bad)


def test_bad_config_passed_directly_is_a_value_error(table):
    with pytest.raises(ValueError, match="threshold"):
        dedup_table(table, DedupConfig(threshold=1.2))
    with pytest.raises(ValueError, match="exceeds num_perm"):
        dedup_table(table, DedupConfig(num_perm=64, bands=16, rows=8))


def test_core_rejects_bad_arguments_without_panicking(table):
    fields = table_fields(table)
    for kwargs, match in [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.0001}, "threshold"),
        ({"bands": 17, "rows": 8}, "exceeds num_perm"),
        ({"num_perm": 0}, "num_perm"),
        ({"bands": 3}, "both bands and rows"),
        ({"keep": "random"}, "keep"),
        ({"keep": "highest"}, "priority"),
        ({"word_ngram": 99}, "word_ngram"),
    ]:
        with pytest.raises(XlrmError, match=match):
            _core.dedup.dedup(fields, **kwargs)
    assert issubclass(XlrmError, ValueError)


def test_invalid_utf8_and_bad_buffers_are_errors():
    data = np.frombuffer(b"ok\xff\xfe", dtype=np.uint8)
    offsets = np.array([0, 2, 4], dtype=np.int64)
    rows = np.array([0, 1, 2], dtype=np.int64)
    with pytest.raises(XlrmError, match="row 1: text is not valid UTF-8"):
        _core.dedup.dedup([[(data, offsets, rows, None)]])
    # a Hangul syllable cut in half
    han = np.frombuffer("한".encode(), dtype=np.uint8)
    with pytest.raises(XlrmError, match="UTF-8"):
        _core.dedup.exact_keys([[(han, np.array([0, 2, 3], dtype=np.int64), rows, None)]])
    with pytest.raises(XlrmError, match="past the end"):
        _core.dedup.dedup([[(data, np.array([0, 9], dtype=np.int64), rows[:2], None)]])
    with pytest.raises(XlrmError, match="past the"):
        _core.dedup.dedup([[(data[:2], offsets[:2], np.array([0, 5], dtype=np.int64), None)]])
    with pytest.raises(XlrmError, match="row count"):
        ok = (data[:2], offsets[:2], rows[:2], None)
        _core.dedup.dedup([[ok], [(data[:2], np.array([0, 1, 2], dtype=np.int64), rows, None)]])
    with pytest.raises(XlrmError, match="skip mask"):
        _core.dedup.dedup([[(data[:2], offsets[:2], rows[:2], np.array([True, False]))]])
    with pytest.raises(XlrmError, match="near_from_hashes|offsets"):
        _core.dedup.near_from_hashes(np.zeros(3, dtype=np.uint64), np.array([0, 5], dtype=np.int64))


def test_lone_surrogates_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="row 1.*surrogate|lone surrogate"):
        text_field(["fine", "bad \ud800 text"])
    p = tmp_path / "pairs.jsonl"
    good = json.dumps(pair(0, "fine"))
    bad = json.dumps(pair(1, "x")).replace('"x"', '"x\\ud800"')
    p.write_text(good + "\n" + bad + "\n")
    with pytest.raises(InputError, match=r"row 2.*prompt.*surrogate"):
        read_pairs(p)


def test_exact_keys_helper_is_stable(table):
    keys = exact_keys(table_fields(table))
    assert keys[0] == keys[1] and keys[0] != keys[2]
    assert all(0 <= k < 2**128 for k in keys)


# --- files and the command -------------------------------------------------------------


def _write(table: pa.Table, path):
    if str(path).endswith(".parquet"):
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in table.to_pylist()))
    return str(path)


def test_read_pairs_formats(tmp_path, table):
    for name in ("p.parquet", "p.jsonl", "p.json"):
        path = tmp_path / name
        if name.endswith(".json"):
            path.write_text(json.dumps(table.to_pylist()))
        else:
            _write(table, path)
        got = read_pairs(path)
        assert got["id"].to_pylist() == table["id"].to_pylist()
        assert got["prompt"].to_pylist() == table["prompt"].to_pylist()
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="unknown input format"):
        read_pairs(tmp_path / "x.csv")
    (tmp_path / "bad.jsonl").write_text(json.dumps({"id": "1", "prompt": []}) + "\n")
    with pytest.raises(InputError, match="missing"):
        read_pairs(tmp_path / "bad.jsonl")


def test_command_writes_outputs_and_manifest(tmp_path, table, capsys):
    a = _write(table.slice(0, 3), tmp_path / "a.parquet")
    b = _write(table.slice(3), tmp_path / "b.jsonl")
    ev = _write(pairs_to_table([pair("e1", "Tell me about rain.")]), tmp_path / "heldout.jsonl")
    out = tmp_path / "out"
    argv = [
        "dedup",
        a,
        b,
        "--out",
        str(out),
        "--threshold",
        "0.8",
        "--num-perm",
        "128",
        "--on",
        "pair",
        "--eval-sets",
        ev,
    ]
    assert main(argv) == 0
    kept = pq.read_table(out / "kept.parquet")
    removed = pq.read_table(out / "removed.parquet")
    assert kept["id"].to_pylist() == ["a"]
    assert set(removed.column_names) >= {"id", "kept_id", "kind", "similarity"}
    assert sorted(removed["kind"].to_pylist()) == ["contamination", "contamination", "exact", "near"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["stage"] == "dedup" and m["complete"]
    assert m["counts"]["dropped_by_reason"] == {"exact": 1, "near": 1, "contamination": 2}
    assert m["counts"]["in"] == 5 and m["counts"]["out"] == 1
    assert m["counts"]["contamination_by_eval_set"] == {"heldout": 2}
    assert m["config"]["threshold"] == 0.8 and "threads" not in m["config"]
    assert len(m["inputs"]) == 3
    assert "1 out, 4 dropped" in capsys.readouterr().out
    assert main(argv) == 0  # unchanged: skipped
    assert "skipped" in capsys.readouterr().out


def test_command_reads_yaml_config_section(tmp_path, table):
    a = _write(table, tmp_path / "a.parquet")
    cfg = tmp_path / "run.yaml"
    cfg.write_text("dedup:\n  near: false\n  threshold: 0.9\n")
    assert main(["dedup", a, "--out", str(tmp_path / "o"), "--config", str(cfg)]) == 0
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["config"]["near"] is False and m["config"]["threshold"] == 0.9
    cfg.write_text("dedup:\n  threshold: 2\n")
    assert main(["dedup", a, "--out", str(tmp_path / "o2"), "--config", str(cfg)]) == 2


def test_command_errors_are_clean(tmp_path, capsys):
    assert main(["dedup", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(["dedup", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o"), "--threshold", "0"])
        == 2
    )
    assert "threshold" in capsys.readouterr().err


def test_import_stays_light():
    code = (
        "import sys, xlrm.dedup, xlrm.dedup.stage; "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'trl', 'polars', 'datasketch')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1] / "python")},
    )
    assert out.stdout.strip() == "False"


def test_read_pairs_folders_and_several_inputs(tmp_path, table):
    """A data stage folder reads as the pairs its manifest names (not dropped.jsonl); several
    paths concatenate; a folder that no stage wrote is refused."""
    from xlrm.data.config import DataConfig
    from xlrm.data.stage import run_data

    first = _write(table.slice(0, 2), tmp_path / "first.jsonl")
    folder = tmp_path / "data"
    run_data(DataConfig(out=str(folder), detect_language=False), [first])
    assert (folder / "dropped.jsonl").exists()
    assert read_pairs(folder)["id"].to_pylist() == table["id"].to_pylist()[:2]
    extra = _write(table.slice(2), tmp_path / "more.jsonl")
    assert read_pairs([folder, extra])["id"].to_pylist() == table["id"].to_pylist()
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InputError, match="no manifest.json"):
        read_pairs(tmp_path / "nothing")
    (tmp_path / "arr.json").write_text('{"rows": []}')
    with pytest.raises(InputError, match="must hold a list"):
        read_pairs(tmp_path / "arr.json")
