"""Issue 16's "must show": kill `xlrm pipeline` during `train-rm`, rerun the same command, and
the finished stages are skipped, the interrupted one resumes (its finished language kept, the
other from its last checkpoint) and the final outputs equal an uninterrupted run's.

One pipeline config, two run folders: ``killed`` (SIGKILLed once the second language has a
complete checkpoint, then rerun) and ``whole`` (one uninterrupted run). data → dedup → train-rm
(tiny random Llama, two languages, 8 steps, a checkpoint every 2) → eval-rm → report; about a
minute on a 2-core CPU."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from xlrm.cli import main
from xlrm.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]
LANGS = ["en", "ko"]  # trained in this order: en finishes first, ko is the one interrupted
STEPS = 8


def _config(tmp_path: Path, run_dir: Path) -> Path:
    cfg = {
        "run_dir": str(run_dir),
        "seed": 0,
        "data": {"sources": [{"builtin": "train", "languages": LANGS, "per_section": 8}]},
        "dedup": {"threshold": 0.8},
        "train_rm": {
            "model": {"path": "xlrm:tiny-llama"},
            "train_languages": LANGS,
            "val_fraction": 0.2,
            "tokenize": {"max_length": 128},
            "progress": False,
            "training": {
                "max_steps": STEPS,
                "save_steps": 2,
                "per_device_train_batch_size": 2,
                "learning_rate": 0.005,
                "logging_steps": 1,
            },
        },
        "eval_rm": {
            "data": ["builtin:eval"],
            "languages": LANGS,
            "builtin_per_section": 4,
            "bootstrap": 50,
            "max_length": 128,
        },
        "report": {},
    }
    path = tmp_path / f"{run_dir.name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _complete_checkpoint(run_dir: Path, lang: str) -> Path | None:
    """A checkpoint of ``lang`` inside train-rm's work folder whose trainer_state.json (written
    last) is whole JSON, so the rerun certainly has it to resume from."""
    for state in run_dir.glob(f"train-rm.tmp-*/{lang}/checkpoints/checkpoint-*/trainer_state.json"):
        try:
            json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return state.parent
    return None


def _states(stdout: str) -> dict[str, str]:
    rows = [line.split() for line in stdout.splitlines()[2:] if line and not line.startswith("run folder")]
    return {r[0]: r[1] for r in rows}


def _normalised_report(run_dir: Path) -> str:
    """report.md without what legitimately differs between the resumed and the uninterrupted
    run; every other line (counts, configs, RM metrics to 4 digits, transfer matrices, gaps,
    findings) must be identical."""
    text = (run_dir / "report" / "report.md").read_text(encoding="utf-8")
    # the run folder's path differs (killed/ vs whole/): the header, eval-rm's `models:` config
    text = text.replace(str(run_dir), "<RUN>")
    # when the report was written
    text = re.sub(r"written \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", "written <TIME>", text)
    # wall times: the sum over the stages, and each stage's
    text = re.sub(r"wall time in all: [\d.]+ s", "wall time in all: <S> s", text)
    # pipeline.log's tail is the history of the processes: the killed one's lines, then the
    # rerun's `cached`/`kept`/`resuming from` lines, with their timestamps and throughputs
    text = re.sub(r"### pipeline\.log\n.*?(?=\n## )", "### pipeline.log\n<LOG>\n", text, flags=re.S)
    lines = []
    table = None  # the header cells of the table being read
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not line.startswith("|"):
            table = None
        elif table is None:
            table = cells
        elif table[:2] == ["stage", "folder"] and len(cells) == len(table) and set(line) != {"|", "-"}:
            # the stage table: `finished` is a timestamp, `wall time (s)` a duration, and
            # `fingerprint` hashes the inputs' paths (the run folder) and, for eval-rm, the RMs'
            # weight files' bytes; train-rm's `units` says "2 (1 reused)" in the resumed run
            # (checked on its own below) and "2 (0 reused)" in the uninterrupted one
            for name in ("finished", "wall time (s)", "fingerprint"):
                cells[table.index(name)] = "<X>"
            if cells[0] == "train-rm":
                cells[-1] = re.sub(r"\(\d+ reused\)", "(<N> reused)", cells[-1])
            line = "| " + " | ".join(cells) + " |"
        elif table[:2] == ["RM", "pairs used"] and set(line) != {"|", "-"}:
            # the RM table: throughput and wall time are timings
            for name in ("tokens/s", "wall (s)"):
                cells[table.index(name)] = "<X>"
            line = "| " + " | ".join(cells) + " |"
        lines.append(line)
    return "\n".join(lines)


def test_a_pipeline_killed_in_train_rm_resumes_and_ends_like_an_uninterrupted_run(tmp_path):
    pytest.importorskip("trl")
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    killed_cfg, whole_cfg = _config(tmp_path, killed), _config(tmp_path, whole)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "xlrm.cli", "pipeline", "--quiet", "--config", str(killed_cfg)]

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # SIGKILL once ko, the second language, has a complete checkpoint: en is then finished and
    # ko has at least 6 of its 8 steps, its evaluation and its model to go (seconds on a CPU,
    # against a 10 ms poll), so train-rm is certainly unfinished however fast the machine
    deadline, ckpt = time.time() + 240, None
    while time.time() < deadline and proc.poll() is None:
        if (ckpt := _complete_checkpoint(killed, "ko")) is not None:
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert ckpt is not None
    # finished stages are complete folders; train-rm is only its work folder, with en finished
    assert (killed / "data" / "manifest.json").is_file() and (killed / "dedup" / "manifest.json").is_file()
    assert not (killed / "train-rm").exists() and not (killed / "eval-rm").exists()
    (work,) = killed.glob("train-rm.tmp-*")
    assert len(list((work / ".units").glob("*.json"))) == 1  # en's marker; ko has none

    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert _states(out.stdout) == {
        "data": "cached",
        "dedup": "cached",
        "train-rm": "ran",
        "eval-rm": "ran",
        "report": "ran",
    }
    assert not list(killed.glob("*.tmp-*"))  # the work folder was adopted and renamed
    rm = read_manifest(killed / "train-rm")
    assert rm["units_reused"] == ["en"]  # finished before the kill: kept, not retrained
    assert rm["units"]["en"]["info"]["resumed_from"] is None
    resumed = rm["units"]["ko"]["info"]["resumed_from"]
    # from a checkpoint the killed run wrote (the one seen, or a later one saved before the kill)
    assert resumed and re.search(r"/ko/checkpoints/checkpoint-[246]$", resumed), resumed
    assert int(resumed.rsplit("-", 1)[1]) >= int(ckpt.name.rsplit("-", 1)[1])
    assert json.loads((killed / "train-rm" / "ko" / "metrics.json").read_text())["resumed_from"] == resumed

    assert main(["pipeline", "--quiet", "--config", str(whole_cfg)]) == 0
    assert read_manifest(whole / "train-rm")["units_reused"] == []

    # train-rm: resuming restores the weights, optimizer, scheduler, RNG states and the data
    # order (the Trainer skips the batches already seen), so the resumed run is the same
    # computation: rel 1e-4 (as tests/test_train_rm.py) allows float noise only; measured on a
    # 2-core CPU, the resumed and the uninterrupted RMs' model.safetensors are bitwise equal
    a, b = rm["languages"], read_manifest(whole / "train-rm")["languages"]
    assert set(a) == set(b) == set(LANGS)
    for lang in LANGS:
        assert a[lang]["global_step"] == b[lang]["global_step"] == STEPS
        assert a[lang]["pairs"] == b[lang]["pairs"]
        for key in ("final_train_loss", "val_loss", "val_accuracy"):
            assert a[lang][key] == pytest.approx(b[lang][key], rel=1e-4, abs=1e-6), (lang, key)
    # ko's log holds every step, the ones before the kill restored from the checkpoint
    log_a = json.loads((killed / "train-rm" / "ko" / "train_log.json").read_text())
    log_b = json.loads((whole / "train-rm" / "ko" / "train_log.json").read_text())
    steps = lambda log: [h["step"] for h in log["train"] if "loss" in h]  # noqa: E731
    assert steps(log_a) == steps(log_b) == list(range(1, STEPS + 1))

    # eval-rm: every RM's reward for every pair, and the transfer matrix built from them; the
    # weights are equal (see above), so 1e-6 is room for summation order, not for training noise
    def table(run: Path, name: str, keys: list[str]) -> list[dict]:
        return pq.read_table(run / "eval-rm" / name).sort_by([(k, "ascending") for k in keys]).to_pylist()

    for name, keys, floats in (
        ("scores.parquet", ["model", "id"], ("score_chosen", "score_rejected")),
        ("transfer.parquet", ["model", "language", "metric"], ("score", "ci_low", "ci_high")),
    ):
        ra, rb = table(killed, name, keys), table(whole, name, keys)
        assert len(ra) == len(rb) > 0
        for x, y in zip(ra, rb, strict=True):
            assert {k: v for k, v in x.items() if k not in floats} == {
                k: v for k, v in y.items() if k not in floats
            }
            for k in floats:
                assert x[k] == pytest.approx(y[k], rel=1e-6, abs=1e-6), (name, x, k)

    # report: identical but for timestamps, wall times, paths, fingerprints and the log's tail
    ra, rb = _normalised_report(killed), _normalised_report(whole)
    assert ra == rb
    assert re.search(
        r"^\| train-rm \| train-rm/ .*\| 2 \(1 reused\) \|$",
        (killed / "report" / "report.md").read_text(),
        re.M,
    )
