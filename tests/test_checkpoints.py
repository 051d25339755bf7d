"""Resuming skips a checkpoint the Trainer did not finish writing."""

from __future__ import annotations

import json

from xlrm.train.checkpoints import last_complete_checkpoint


def _checkpoint(root, step, state: str | None):
    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"\0" * 8)
    if state is not None:
        (folder / "trainer_state.json").write_text(state, encoding="utf-8")
    return folder


def test_the_newest_complete_checkpoint_wins_over_a_half_written_one(tmp_path, caplog):
    whole = json.dumps({"global_step": 2})
    _checkpoint(tmp_path, 2, whole)
    _checkpoint(tmp_path, 10, whole)  # numeric order, not name order: 10 > 4
    _checkpoint(tmp_path, 12, None)  # killed before the state file
    _checkpoint(tmp_path, 14, whole[:5])  # killed while writing it
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")
    assert "checkpoint-14 was not finished" in caplog.text
    assert (tmp_path / "checkpoint-14").is_dir(), "left for the Trainer to overwrite, not deleted"


def test_no_checkpoint_means_a_fresh_start(tmp_path):
    assert last_complete_checkpoint(tmp_path / "missing") is None
    _checkpoint(tmp_path, 2, None)
    (tmp_path / "checkpoint-x").mkdir()
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    assert last_complete_checkpoint(tmp_path) is None
