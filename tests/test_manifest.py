import json
import os
import subprocess
import sys

import pytest

from xlrm.manifest import StageResult, read_manifest, remove_stale_tmp, run_stage


def _write(tmp):
    (tmp / "out.txt").write_text("x")
    return StageResult(counts={"rows": 1})


def test_stage_writes_manifest_and_skips_unchanged(tmp_path):
    out = tmp_path / "stage"
    m1 = run_stage("s", out, config={"a": 1}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m1["skipped"] is False and (out / "out.txt").exists()
    on_disk = read_manifest(out)
    assert on_disk["complete"] and on_disk["counts"] == {"rows": 1} and "versions" in on_disk
    m2 = run_stage("s", out, config={"a": 1}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m2["skipped"] is True
    m3 = run_stage("s", out, config={"a": 2}, inputs=[{"path": "p", "sha256": "0"}], work=_write)
    assert m3["skipped"] is False and m3["fingerprint"] != m1["fingerprint"]


def test_failed_stage_leaves_nothing_that_looks_finished(tmp_path):
    out = tmp_path / "stage"

    def boom(tmp):
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        run_stage("s", out, config={}, inputs=[], work=boom)
    assert list(tmp_path.iterdir()) == []


def test_a_previous_complete_output_survives_a_failed_rerun(tmp_path):
    out = tmp_path / "stage"
    run_stage("s", out, config={"v": 1}, inputs=[], work=_write)

    def boom(tmp):
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
