import json
import os
import subprocess
import sys

import pytest

from xlrm.errors import InputError
from xlrm.manifest import (
    MANIFEST_VERSION,
    Output,
    StageFolderError,
    StageResult,
    file_sha256,
    read_manifest,
    remove_stale_tmp,
    run_stage,
    upstream_files,
)

COUNTS = {"in": 1, "out": 1, "dropped_by_reason": {}}


def _write(ws):
    (ws.path / "out.txt").write_text("x")
    return StageResult(dict(COUNTS), [Output("out.txt", "pairs", 1)])


def test_stage_writes_manifest_and_skips_unchanged(tmp_path):
    out = tmp_path / "stage"
    m1 = run_stage("s", out, config={"a": 1}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m1["skipped"] is False and (out / "out.txt").exists()
    on_disk = read_manifest(out)
    assert on_disk["complete"] and on_disk["counts"] == COUNTS and "versions" in on_disk
    assert on_disk["manifest_version"] == MANIFEST_VERSION
    assert on_disk["outputs"] == [{"file": "out.txt", "role": "pairs", "rows": 1}]
    m2 = run_stage("s", out, config={"a": 1}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m2["skipped"] is True
    m3 = run_stage("s", out, config={"a": 2}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m3["skipped"] is False and m3["fingerprint"] != m1["fingerprint"]


def test_a_deleted_output_file_reruns(tmp_path):
    out = tmp_path / "stage"
    run_stage("s", out, config={}, inputs=[], work=_write)
    (out / "out.txt").unlink()
    assert run_stage("s", out, config={}, inputs=[], work=_write)["skipped"] is False
    assert (out / "out.txt").exists()


def test_failed_stage_leaves_nothing_that_looks_finished(tmp_path):
    out = tmp_path / "stage"

    def boom(ws):
        (ws.path / "half.txt").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        run_stage("s", out, config={}, inputs=[], work=boom)
    assert list(tmp_path.iterdir()) == []


def test_a_previous_complete_output_survives_a_failed_rerun(tmp_path):
    out = tmp_path / "stage"
    run_stage("s", out, config={"v": 1}, inputs=[], work=_write)

    def boom(ws):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_stage("s", out, config={"v": 2}, inputs=[], work=boom)
    assert json.loads((out / "manifest.json").read_text())["config"] == {"v": 1}


def test_stale_work_folders_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"out.tmp-{dead.pid}").mkdir()
    (tmp_path / f"out.tmp-{os.getppid()}").mkdir()  # alive: left alone
    remove_stale_tmp(tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == [f"out.tmp-{os.getppid()}"]


def _unit_stage(calls):
    def work(ws):
        for unit in ("a", "b"):
            fp = f"fp-{unit}-{calls['version'][unit]}"
            if ws.reuse(unit, fp):
                continue
            calls["computed"].append(unit)
            (ws.path / f"{unit}.txt").write_text(fp)
            ws.finish(unit, fp, [f"{unit}.txt"], {"unit": unit})
        return StageResult(dict(COUNTS), [Output(f"{u}.txt", "pairs", unit=u) for u in ("a", "b")])

    return work


def test_only_changed_units_are_recomputed(tmp_path):
    out = tmp_path / "stage"
    calls = {"version": {"a": 1, "b": 1}, "computed": []}
    run_stage("s", out, config={"v": 1}, inputs=[], work=_unit_stage(calls))
    assert calls["computed"] == ["a", "b"]
    calls["version"]["b"], calls["computed"] = 2, []
    m = run_stage("s", out, config={"v": 2}, inputs=[], work=_unit_stage(calls))
    assert calls["computed"] == ["b"] and m["units_reused"] == ["a"]
    assert (out / "a.txt").read_text() == "fp-a-1" and (out / "b.txt").read_text() == "fp-b-2"
    assert set(m["units"]) == {"a", "b"} and not (out / ".units").exists()


def test_a_killed_run_is_adopted_by_the_next_one(tmp_path):
    out = tmp_path / "stage"
    script = f"""
import os, sys
sys.path.insert(0, {str(os.path.join(os.path.dirname(__file__), "..", "python"))!r})
from xlrm.manifest import run_stage
def work(ws):
    (ws.path / "a.txt").write_text("fp-a-1")
    ws.finish("a", "fp-a-1", ["a.txt"])
    os._exit(9)  # killed before unit b
run_stage("s", {str(out)!r}, config={{"v": 1}}, inputs=[], work=work)
"""
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == 9 and not out.exists()
    calls = {"version": {"a": 1, "b": 1}, "computed": []}
    m = run_stage("s", out, config={"v": 1}, inputs=[], work=_unit_stage(calls))
    assert calls["computed"] == ["b"] and m["units_reused"] == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage"]


def test_out_folder_rule(tmp_path, monkeypatch):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("keep me")
    with pytest.raises(StageFolderError, match="files that no xlrm stage wrote"):
        run_stage("s", notes, config={}, inputs=[], work=_write)
    assert (notes / "mine.txt").read_text() == "keep me"
    other = tmp_path / "other"
    run_stage("t", other, config={}, inputs=[], work=_write)
    with pytest.raises(StageFolderError, match="the output of `t`"):
        run_stage("s", other, config={}, inputs=[], work=_write)
    monkeypatch.chdir(tmp_path / "notes")
    with pytest.raises(StageFolderError, match="working folder or one of its parents"):
        run_stage("s", tmp_path, config={}, inputs=[], work=_write)
    (tmp_path / "x").mkdir()
    data = tmp_path / "x" / "in.jsonl"
    data.write_text("{}\n")
    with pytest.raises(StageFolderError, match="contains or lies inside the input"):
        run_stage("s", tmp_path / "x", config={}, inputs=[], work=_write, input_paths=[data])
    with pytest.raises(StageFolderError, match="contains or lies inside the input"):
        run_stage(
            "s", tmp_path / "x" / "sub", config={}, inputs=[], work=_write, input_paths=[tmp_path / "x"]
        )
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StageFolderError, match="not a folder"):
        run_stage("s", tmp_path / "afile", config={}, inputs=[], work=_write)
    # its own earlier output is replaced
    own = tmp_path / "own"
    run_stage("s", own, config={"v": 1}, inputs=[], work=_write)
    assert run_stage("s", own, config={"v": 2}, inputs=[], work=_write)["config"] == {"v": 2}


def test_upstream_files_errors_say_what_to_pass(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(
        StageFolderError, match="no manifest.json.*pass the output folder of `data` or `dedup`"
    ):
        upstream_files(plain, "pairs", producers=["data", "dedup"])
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"stage": "data", "complete": True}))
    with pytest.raises(StageFolderError, match="manifest version 1.*rerun that stage"):
        upstream_files(old, "pairs")
    out = tmp_path / "s"
    run_stage("analyze", out, config={}, inputs=[], work=_write)
    with pytest.raises(StageFolderError, match="output of `analyze`, which has no `model` output"):
        upstream_files(out, "model", producers=["train-rm"])
    assert upstream_files(out, "pairs") == [out / "out.txt"]
    with pytest.raises(InputError, match="does not exist"):
        upstream_files(tmp_path / "nope", "pairs")


def test_content_hash_sees_a_same_size_edit_with_its_mtime_restored(tmp_path, monkeypatch):
    monkeypatch.setenv("XLRM_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "in.txt"
    f.write_text("aaaa")
    first = file_sha256(f)
    assert file_sha256(f) == first  # from the cache
    st = f.stat()
    f.write_text("bbbb")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert file_sha256(f) != first
