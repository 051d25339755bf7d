"""`xlrm train-rm` through the stage contract: RMs per language from the outputs of the stages
before it, with tiny models built from a config (seconds on a CPU)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("trl")

from loopback_mt import TaggingTranslator, translate_section  # noqa: E402
from tiny_models import tiny_llama  # noqa: E402
from xlrm.cli import main  # noqa: E402
from xlrm.manifest import read_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ["garden", "bread", "river", "engine", "poem", "window", "market", "school", "coffee", "music"]


def _planted(n: int) -> list[dict]:
    """Pairs with a learnable signal: every chosen reply says `helpful`, every rejected `useless`."""
    rows = []
    for i in range(n):
        t = TOPICS[i % len(TOPICS)]
        rows.append(
            {
                "id": f"p{i}",
                "prompt": [{"role": "user", "content": f"Tell me about the {t} number {i}"}],
                "chosen": [{"role": "assistant", "content": f"Here is a helpful answer about the {t}"}],
                "rejected": [{"role": "assistant", "content": f"Here is a useless answer about the {t}"}],
                "language": "en",
            }
        )
    return rows


def _texts() -> list[str]:
    words = " ".join(TOPICS) + " Tell me about the number Here is a helpful useless answer <Spanish> <Korean>"
    return [words, " ".join(str(i) for i in range(200))]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("base") / "llama", _texts(), hidden=32, layers=2)


def _write_jsonl(path: Path, rows) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _section(base: Path, langs, **kw) -> dict:
    training = {"max_steps": 30, "learning_rate": 5e-3, "per_device_train_batch_size": 4, "logging_steps": 5}
    return {
        "model": {"path": str(base), "device": "cpu"},
        "train_languages": langs,
        "val_fraction": 0.25,
        "tokenize": {"max_length": 64},
        "progress": False,
        **kw,
        "training": {**training, **kw.get("training", {})},
    }


def _yaml(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_rms_per_language_from_translated_pairs_learn_a_planted_signal(tmp_path, base):
    r = tmp_path / "r"
    raw = _write_jsonl(tmp_path / "raw.jsonl", _planted(40))
    with TaggingTranslator() as mt:
        run = _yaml(
            tmp_path / "run.yaml",
            {"translate": translate_section(mt.url, ["es"]), "train_rm": _section(base, ["en", "es"])},
        )
        assert main(["data", str(raw), "--out", str(r / "data")]) == 0
        assert main(["translate", str(r / "data"), "--out", str(r / "tr"), "--config", str(run)]) == 0
    assert main(["train-rm", str(r / "tr"), "--out", str(r / "rm"), "--config", str(run)]) == 0
    m = read_manifest(r / "rm")
    assert m["counts"]["parallel"] is True and m["counts"]["shared_items"] == 40
    assert m["counts"]["in"] == 80 and m["counts"]["out"] + m["counts"]["held_out"] == 80
    models = [o for o in m["outputs"] if o["role"] == "model"]
    assert [(o["unit"], o["file"]) for o in models] == [("en", "en/model"), ("es", "es/model")]
    for lang in ("en", "es"):
        info = m["languages"][lang]
        assert info["attn_implementation"] == "xlrm_varlen"
        assert info["val_accuracy"] >= 0.9, info  # chance is 0.5
        assert info["pairs"]["val"]["in"] == m["languages"]["en"]["pairs"]["val"]["in"]  # same items held out
        assert (r / "rm" / lang / "model" / "config.json").is_file()
        log = json.loads((r / "rm" / lang / "train_log.json").read_text())
        assert log["train"] and {"loss", "learning_rate"} <= set(log["train"][0])
    # the scoring side renders with the template training used
    tok_cfg = json.loads((r / "rm" / "en" / "model" / "tokenizer_config.json").read_text())
    assert "chat_template" in tok_cfg or (r / "rm" / "en" / "model" / "chat_template.jinja").exists()


def test_adding_a_language_trains_only_that_one(tmp_path, base):
    raw = _write_jsonl(
        tmp_path / "raw.jsonl",
        _planted(16) + [{**p, "language": "es", "id": p["id"] + "-es"} for p in _planted(16)],
    )
    r = tmp_path / "r"
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    quick = {"training": {"max_steps": 2}}
    run = _yaml(tmp_path / "a.yaml", {"train_rm": _section(base, ["en"], **quick)})
    assert main(["train-rm", str(r / "data"), "--out", str(r / "rm"), "--config", str(run)]) == 0
    before = (r / "rm" / "en" / "model" / "model.safetensors").read_bytes()
    run = _yaml(tmp_path / "b.yaml", {"train_rm": _section(base, ["en", "es", "multilingual"], **quick)})
    assert main(["train-rm", str(r / "data"), "--out", str(r / "rm"), "--config", str(run)]) == 0
    m = read_manifest(r / "rm")
    assert m["units_reused"] == ["en"] and set(m["units"]) == {"en", "es", "multilingual"}
    assert (r / "rm" / "en" / "model" / "model.safetensors").read_bytes() == before
    assert (
        m["languages"]["multilingual"]["pairs"]["train"]["in"]
        == 2 * m["languages"]["en"]["pairs"]["train"]["in"]
    )


def test_real_pairs_in_two_languages(tmp_path, base, shared_data):
    r = tmp_path / "r"
    src = shared_data / "llama-factory"
    assert (
        main(["data", str(src / "dpo_en_demo.json"), str(src / "dpo_zh_demo.json"), "--out", str(r / "data")])
        == 0
    )
    run = _yaml(
        tmp_path / "run.yaml",
        {
            "train_rm": _section(
                base, ["en", "zh"], max_pairs=12, tokenize={"max_length": 96}, training={"max_steps": 2}
            )
        },
    )
    assert main(["train-rm", str(r / "data"), "--out", str(r / "rm"), "--config", str(run)]) == 0
    m = read_manifest(r / "rm")
    assert m["counts"]["parallel"] is False and m["counts"]["shared_items"] == 0
    for lang in ("en", "zh"):
        pairs = m["languages"][lang]["pairs"]
        assert pairs["train"]["in"] + pairs["val"]["in"] == 12
        # long real pairs are truncated from the left or dropped, and counted either way
        assert pairs["train"]["prompt_truncated"] + sum(pairs["train"]["dropped"].values()) > 0
    c = m["counts"]  # every row read is trained on, held out, or dropped with a reason
    assert c["in"] == c["out"] + c["held_out"] + sum(c["dropped_by_reason"].values())


def test_bad_inputs_name_the_cause(tmp_path, base, capsys):
    r = tmp_path / "r"
    raw = _write_jsonl(tmp_path / "raw.jsonl", _planted(8))
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    capsys.readouterr()

    def run(section, name) -> str:
        cfg = _yaml(tmp_path / f"{name}.yaml", {"train_rm": section})
        assert main(["train-rm", str(r / "data"), "--out", str(r / name), "--config", str(cfg)]) == 2
        assert not (r / name).exists()
        return capsys.readouterr().err

    assert "training language 'ko' has no pairs" in run(_section(base, ["en", "ko"]), "nolang")
    err = run(_section(base, ["en"], training={"learning_rat": 1e-4}), "badkey")
    assert "learning_rat" in err and "RewardConfig" in err
    err = run(_section(base, ["en"], tokenize={"max_length": 8, "min_prompt_tokens": 4}), "toolong")
    assert "too_long" in err and "max_length" in err
    notmodel = tmp_path / "notmodel"
    notmodel.mkdir()
    (notmodel / "readme.txt").write_text("no model here")
    assert "cannot load" in run(_section(notmodel, ["en"]), "notmodel")


def test_killed_training_resumes_and_ends_like_an_uninterrupted_run(tmp_path, base):
    r = tmp_path / "r"
    raw = _write_jsonl(tmp_path / "raw.jsonl", _planted(24))
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    section = _section(base, ["en"], training={"max_steps": 12, "save_steps": 3, "logging_steps": 1})
    killed = _yaml(tmp_path / "killed.yaml", {"train_rm": section})
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "xlrm.cli", "train-rm", str(r / "data"), "--quiet", "--config"]
    proc = subprocess.Popen(cmd + [str(killed), "--out", str(r / "killed")], env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if list(r.glob("killed.tmp-*/en/checkpoints/checkpoint-6/trainer_state.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (r / "killed").exists()
    out = subprocess.run(
        cmd + [str(killed), "--out", str(r / "killed")], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert main(["train-rm", str(r / "data"), "--out", str(r / "whole"), "--config", str(killed)]) == 0
    a, b = read_manifest(r / "killed")["languages"]["en"], read_manifest(r / "whole")["languages"]["en"]
    resumed = json.loads((r / "killed" / "en" / "metrics.json").read_text())["resumed_from"]
    assert resumed and resumed.endswith(("checkpoint-6", "checkpoint-9"))
    assert a["global_step"] == b["global_step"] == 12
    # resuming restores weights, optimizer, scheduler and RNG state: the same run up to float noise
    assert a["final_train_loss"] == pytest.approx(b["final_train_loss"], rel=1e-4, abs=1e-5)
    assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4, abs=1e-5)


def test_two_processes_under_accelerate_launch(tmp_path, base):
    """The distributed path on a CPU: each unit trains under `accelerate launch` with two gloo
    processes; rank 0 writes the model and the metrics the stage records."""
    r = tmp_path / "r"
    raw = _write_jsonl(tmp_path / "raw.jsonl", _planted(16))
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    section = _section(base, ["en"], training={"max_steps": 3})
    run = _yaml(
        tmp_path / "run.yaml", {"train_rm": {**section, "num_processes": 2, "accelerate_config": "cpu"}}
    )
    assert main(["train-rm", str(r / "data"), "--out", str(r / "rm"), "--config", str(run)]) == 0
    m = read_manifest(r / "rm")
    info = m["languages"]["en"]
    assert info["global_step"] == 3 and info["val_loss"] is not None
    assert json.loads((r / "rm" / "en" / "metrics.json").read_text())["processes"] == 2
    assert (r / "rm" / "en" / "model" / "model.safetensors").is_file()
    # the stage (not one rank) records the counts: every pair is trained on or held out
    assert m["counts"]["out"] + m["counts"]["held_out"] == 16


def test_two_processes_match_one_process_with_doubled_accumulation(tmp_path, base):
    """Data parallelism is gradient accumulation across processes: two gloo processes under
    `accelerate launch` (gradient_accumulation_steps 1) train like one process accumulating two
    micro-batches, step by step.

    Why the runs see the same global batch per optimizer step:

    * one pair per micro-batch (`per_device_train_batch_size: 1`, `packing: false`): TRL's loss is
      the mean over a micro-batch's pairs, divided by the accumulation steps; DDP averages the
      ranks' gradients and the logged loss is the ranks' mean (`nested_gather(...).mean()`), so
      both runs optimise and log the mean over the same two pairs. Packed rows hold varying
      numbers of pairs (a per-rank mean is then not the global mean) and rank balancing orders
      the rows for the world size, so packing is off here;
    * `train_sampling_strategy: sequential`: accelerate's `BatchSamplerShard` deals batch k to
      rank k % 2, i.e. pairs (0, 1), (2, 3), ... per step, the one process's accumulation order;
      4 steps use 8 of the 10 training pairs, so `even_batches` never repeats one;
    * the head's initialisation is seeded (and DDP broadcasts rank 0's weights); Llama has no
      dropout; the learning-rate schedule counts optimizer steps in both.

    Tolerance rel 1e-4 (abs 1e-6): the first loss is the same computation; after that the only
    difference is float summation order (gloo's all-reduce of the two ranks' gradients vs
    accumulating loss/2 gradients in one process, 1 vs 2 intra-op threads), ~1e-7 relative in
    the gradients, which Adam at lr 5e-3 grows to ~2e-5 relative in the step-4 loss and ~3e-5
    in the held-out loss (measured; the same from run to run on one machine).

    Until `configs/accelerate/cpu.yaml` said MULTI_GPU, `accelerate launch` ran ONE plain
    process for it (MULTI_CPU means mpirun), so "two processes" trained on half the global batch;
    and the held-out scoring counted the pairs `even_batches` repeats on the short rank."""
    r = tmp_path / "r"
    raw = _write_jsonl(tmp_path / "raw.jsonl", _planted(16))
    assert main(["data", str(raw), "--out", str(r / "data")]) == 0
    same = {
        "max_steps": 4,
        "logging_steps": 1,
        "learning_rate": 5e-3,
        "per_device_train_batch_size": 1,
        "packing": False,
        "train_sampling_strategy": "sequential",
        "eval_strategy": "no",  # the held-out pairs are scored once, after training
    }
    runs = {"two": (2, 1), "one": (1, 2)}  # processes, gradient accumulation
    logs, metrics = {}, {}
    for name, (procs, ga) in runs.items():
        section = _section(base, ["en"], training={**same, "gradient_accumulation_steps": ga})
        extra = {"num_processes": 2, "accelerate_config": "cpu"} if procs == 2 else {}
        run = _yaml(tmp_path / f"{name}.yaml", {"train_rm": {**section, **extra}})
        assert main(["train-rm", str(r / "data"), "--out", str(r / name), "--config", str(run)]) == 0
        metrics[name] = json.loads((r / name / "en" / "metrics.json").read_text())
        logs[name] = json.loads((r / name / "en" / "train_log.json").read_text())
    assert metrics["two"]["processes"] == 2 and metrics["one"]["processes"] == 1
    assert metrics["two"]["global_step"] == metrics["one"]["global_step"] == 4
    two = [h["loss"] for h in logs["two"]["train"]]
    one = [h["loss"] for h in logs["one"]["train"]]
    assert len(two) == len(one) == 4
    assert max(one) - min(one) > 0.1  # the curve moves
    assert two == pytest.approx(one, rel=1e-4, abs=1e-6)
    # every held-out pair scored once, by one of the two processes
    assert (
        metrics["two"]["val_pairs"] == metrics["one"]["val_pairs"] == metrics["one"]["pairs"]["val"]["used"]
    )
    for key in ("val_loss", "val_margin", "val_accuracy"):
        assert metrics["two"][key] == pytest.approx(metrics["one"][key], rel=1e-4, abs=1e-6), key
