"""Stages chained through the folders and files the stages themselves wrote, as a user runs them:
data → dedup → translate (loopback endpoint) → analyze (tiny model), and the pipeline over the
same chain (caching per stage and per unit, reruns downstream of a change, a killed run resumed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from loopback_mt import TaggingTranslator, translate_section
from xlrm.cli import main
from xlrm.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]


def _pair(i: int, lang: str = "en") -> dict:
    return {
        "prompt": [{"role": "user", "content": f"Question number {i}: how do I keep a garden {i} healthy?"}],
        "chosen": [{"role": "assistant", "content": f"Water garden {i} in the morning and mulch the beds."}],
        "rejected": [{"role": "assistant", "content": f"Gardens {i} never need any care at all."}],
        "language": lang,
        "id": f"g{i}",
    }


@pytest.fixture
def raw(tmp_path) -> Path:
    rows = [_pair(i) for i in range(8)] + [_pair(3)]  # one exact duplicate for dedup
    p = tmp_path / "raw.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


def _yaml(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _table(path: Path):
    return pq.read_table(path).sort_by("id").to_pylist()


def test_chain_from_folders_and_from_files(tmp_path, raw, capsys):
    pytest.importorskip("transformers")
    from tiny_models import tiny_llama

    with TaggingTranslator() as mt:
        run = _yaml(
            tmp_path / "run.yaml",
            {"dedup": {"threshold": 0.9}, "translate": translate_section(mt.url, ["ko", "es"])},
        )
        r = tmp_path / "r"
        assert main(["data", str(raw), "--out", str(r / "data")]) == 0
        assert main(["dedup", str(r / "data"), "--out", str(r / "dedup"), "--config", str(run)]) == 0
        assert main(["translate", str(r / "dedup"), "--out", str(r / "tr"), "--config", str(run)]) == 0
        # the same chain from the files the stages wrote
        f = tmp_path / "f"
        assert (
            main(
                ["dedup", str(r / "data" / "pairs.parquet"), "--out", str(f / "dedup"), "--config", str(run)]
            )
            == 0
        )
        assert (
            main(
                ["translate", str(f / "dedup" / "kept.parquet"), "--out", str(f / "tr"), "--config", str(run)]
            )
            == 0
        )
    dedup = read_manifest(r / "dedup")
    assert dedup["counts"]["in"] == 9 and dedup["counts"]["out"] == 8
    assert dedup["counts"]["dropped_by_reason"] == {"exact": 1}
    tr = read_manifest(r / "tr")
    assert [o["file"] for o in tr["outputs"]] == ["en.parquet", "ko.parquet", "es.parquet"]
    ko = _table(r / "tr" / "ko.parquet")
    assert len(ko) == 8 and all(p["language"] == "ko" for p in ko)
    assert ko[0]["chosen"][0]["content"].startswith("<Korean> ")
    for name in ("en.parquet", "ko.parquet", "es.parquet"):
        assert _table(r / "tr" / name) == _table(f / "tr" / name)

    base = tiny_llama(
        tmp_path / "base",
        [m["content"] for p in ko for m in p["prompt"] + p["chosen"]] + ["<Korean> <Spanish>"],
    )
    capsys.readouterr()
    args = [
        "analyze",
        "--base",
        str(base),
        "--probes",
        str(r / "tr"),
        "--out",
        str(r / "an"),
        "--plots",
        "false",
    ]
    assert main(args + ["--embedding-norms", "false"]) == 0
    an = read_manifest(r / "an")
    assert an["counts"]["per_language"] == {"en": 8, "es": 8, "ko": 8}
    assert {o["role"] for o in an["outputs"]} >= {"metrics", "table", "spectra"}


def test_wrong_inputs_say_what_to_pass(tmp_path, raw, capsys):
    r = tmp_path / "r"
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.parquet").write_bytes((r / "data" / "pairs.parquet").read_bytes())
    capsys.readouterr()
    assert main(["dedup", str(plain), "--out", str(r / "d1")]) == 2
    err = capsys.readouterr().err
    assert "has no manifest.json" in err and "`data`" in err
    manifest = json.loads((r / "data" / "manifest.json").read_text())
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({**manifest, "manifest_version": 1}))
    assert main(["dedup", str(old), "--out", str(r / "d2")]) == 2
    assert "manifest version 1" in capsys.readouterr().err
    other = tmp_path / "other.yaml"
    other.write_text("data:\n  strict: true\n")
    assert main(["dedup", str(r / "data"), "--out", str(r / "d3"), "--config", str(other)]) == 2
    assert "no `dedup:` section" in capsys.readouterr().err
    assert main(["translate", str(r / "data"), "str(r)", "--out", str(r / "t")]) == 2
    assert "reads one input" in capsys.readouterr().err
    assert not (r / "d1").exists() and not (r / "d2").exists()


def test_adding_a_language_translates_only_that_language(tmp_path, raw):
    with TaggingTranslator() as mt:
        r = tmp_path / "r"
        assert main(["data", str(raw), "--out", str(r / "data")]) == 0
        run = _yaml(tmp_path / "run.yaml", {"translate": translate_section(mt.url, ["ko"])})
        assert main(["translate", str(r / "data"), "--out", str(r / "tr"), "--config", str(run)]) == 0
        first, ko_before = mt.requests, _table(r / "tr" / "ko.parquet")
        run = _yaml(tmp_path / "run.yaml", {"translate": translate_section(mt.url, ["ko", "it"])})
        assert main(["translate", str(r / "data"), "--out", str(r / "tr"), "--config", str(run)]) == 0
        second = mt.requests - first
    m = read_manifest(r / "tr")
    assert m["units_reused"] == ["ko"] and set(m["units"]) == {"ko", "it"}
    assert 0 < second <= first  # Italian only: at most as many requests as Korean took
    assert _table(r / "tr" / "ko.parquet") == ko_before
    assert all(p["language"] == "it" for p in _table(r / "tr" / "it.parquet"))


def _pipeline_yaml(tmp_path: Path, run_dir: Path, raw: Path, url: str, langs) -> Path:
    return _yaml(
        tmp_path / f"{run_dir.name}.yaml",
        {
            "run_dir": str(run_dir),
            "data": {"sources": [{"path": str(raw)}]},
            "dedup": {"threshold": 0.9},
            "translate": translate_section(url, langs),
        },
    )


def test_pipeline_caches_reruns_downstream_and_validates_selection(tmp_path, raw, capsys):
    from xlrm.errors import ConfigError
    from xlrm.pipeline import load_pipeline_config, run_pipeline

    with TaggingTranslator() as mt:
        cfg = load_pipeline_config(_pipeline_yaml(tmp_path, tmp_path / "run", raw, mt.url, ["ko"]))
        assert [r["state"] for r in run_pipeline(cfg)] == ["ran", "ran", "ran"]
        assert [r["state"] for r in run_pipeline(cfg)] == ["cached", "cached", "cached"]
        assert (tmp_path / "run" / "pipeline.log").read_text().count("[translate] start") == 2
        with raw.open("a") as f:  # a changed upstream reruns everything downstream of it
            f.write(json.dumps(_pair(99)) + "\n")
        rows = run_pipeline(cfg)
        assert [r["state"] for r in rows] == ["ran", "ran", "ran"] and rows[1]["in"] == 10
        rows = run_pipeline(cfg, only="translate", force=True)
        assert [(r["stage"], r["state"]) for r in rows] == [
            ("data", "not selected"),
            ("dedup", "not selected"),
            ("translate", "ran"),
        ]
        assert [r["state"] for r in run_pipeline(cfg, from_stage="dedup")] == [
            "not selected",
            "cached",
            "cached",
        ]
        with pytest.raises(ConfigError, match="unknown stage 'trainrm'"):
            run_pipeline(cfg, from_stage="trainrm")
        with pytest.raises(ConfigError, match="--only analyze: the config has no `analyze:` section"):
            run_pipeline(cfg, only="analyze")
    assert main(["pipeline", "--config", str(tmp_path / "run.yaml"), "--only", "nope"]) == 2
    assert "unknown stage 'nope'" in capsys.readouterr().err


def test_a_killed_pipeline_continues_and_ends_like_an_uninterrupted_run(tmp_path, raw):
    with TaggingTranslator(delay_s=0.05) as mt:
        whole = load = _pipeline_yaml(tmp_path, tmp_path / "whole", raw, mt.url, ["ko", "es", "it"])
        killed = _pipeline_yaml(tmp_path, tmp_path / "killed", raw, mt.url, ["ko", "es", "it"])
        env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "xlrm.cli", "pipeline", "--quiet", "--config"]
        proc = subprocess.Popen(
            cmd + [str(killed)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.time() + 120
        # kill -9 once the first language has finished inside the translate stage's work folder
        while time.time() < deadline and proc.poll() is None:
            if any((tmp_path / "killed").glob("translate.tmp-*/.units/*.json")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (tmp_path / "killed" / "translate").exists()
        assert (tmp_path / "killed" / "dedup" / "manifest.json").exists()
        out = subprocess.run(cmd + [str(killed)], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        table = out.stdout.splitlines()
        assert [line.split()[:2] for line in table[2:5]] == [
            ["data", "cached"],
            ["dedup", "cached"],
            ["translate", "ran"],
        ]
        assert subprocess.run(cmd + [str(whole)], env=env, capture_output=True, timeout=300).returncode == 0
    m = read_manifest(tmp_path / "killed" / "translate")
    assert m["units_reused"]  # the finished language was kept from the killed run
    for name in ("en.parquet", "ko.parquet", "es.parquet", "it.parquet"):
        assert _table(tmp_path / "killed" / "translate" / name) == _table(
            tmp_path / "whole" / "translate" / name
        )
    assert sorted(p.name for p in (tmp_path / "killed").iterdir()) == sorted(
        p.name for p in (tmp_path / "whole").iterdir()
    )
    del load
