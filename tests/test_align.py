"""`xlrm align`: sampling, labelling, DPO and judging with tiny models built from a config, chained
from a real `train-rm` output (seconds per step on a CPU)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

pytest.importorskip("trl")

from loopback_chat import ChatServer, user_messages  # noqa: E402
from tiny_models import tiny_llama, word_tokenizer  # noqa: E402
from xlrm.cli import main  # noqa: E402
from xlrm.errors import InputError  # noqa: E402
from xlrm.manifest import read_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "ko")


def _texts() -> list[str]:
    from xlrm.data import builtin

    rows = builtin.generate(languages=LANGS, split="train", per_section=4, seed=0)
    rows += builtin.generate(languages=LANGS, split="eval", per_section=2, seed=0)
    out = [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
    return out + ["good answer bad"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("base") / "llama", _texts(), hidden=32, layers=2)


def _yaml(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rms(tmp_path_factory, base) -> Path:
    """`xlrm data` (built-in set, en + ko) → `xlrm train-rm`: the labelling RMs `en` and `ko`."""
    r = tmp_path_factory.mktemp("rm")
    run = _yaml(
        r / "run.yaml",
        {
            "data": {"sources": [{"builtin": "train", "languages": list(LANGS), "per_section": 4}]},
            "train_rm": {
                "model": {"path": str(base)},
                "train_languages": list(LANGS),
                "val_fraction": 0.0,
                "tokenize": {"max_length": 128},
                "progress": False,
                "training": {"max_steps": 3, "learning_rate": 5e-3, "per_device_train_batch_size": 4},
            },
        },
    )
    assert main(["data", "--config", str(run), "--out", str(r / "data"), "--quiet"]) == 0
    assert main(["train-rm", str(r / "data"), "--config", str(run), "--out", str(r / "rm"), "--quiet"]) == 0
    return r / "rm"


def _align(base: Path, **kw) -> dict:
    cfg = {
        "policy": {"path": str(base), "device": "cpu"},
        "languages": list(LANGS),
        "prompts": {"sources": ["builtin"], "train": 5, "eval": 3, "builtin_per_section": 2},
        "k": 3,
        "sampling": {"max_new_tokens": 6, "temperature": 1.0, "top_p": 1.0, "batch_size": 4},
        "max_length": 256,
        "min_prompt_tokens": 8,
        "training": {
            "max_steps": 2,
            "per_device_train_batch_size": 2,
            "learning_rate": 1e-3,
            "max_length": 256,
        },
        "judge": {"kind": "rm", "bootstrap": 200},
        "progress": False,
    }
    for k, v in kw.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return cfg


# --- steps -----------------------------------------------------------------------------------


def test_sampling_is_seeded_batched_and_records_the_template(tmp_path, base):
    from xlrm.align.sampling import generate, load_policy
    from xlrm.models import model_options

    policy = load_policy(model_options(str(base), device="cpu"))
    assert policy.info["template"]["source"] == "model"
    prompts = [{"id": f"p{i}", "prompt": [{"role": "user", "content": f"good answer {i}"}]} for i in range(5)]
    kw = {
        "n": 3,
        "max_new_tokens": 5,
        "temperature": 1.0,
        "top_p": 1.0,
        "batch_size": 2,
        "stream": "en/train",
    }
    a = generate(policy, prompts, seed=1, **kw)
    assert len(a) == 15 and [g["sample"] for g in a[:3]] == [0, 1, 2]
    assert {g["batch"] for g in a} == {0, 1, 2} and len({g["seed"] for g in a}) == 3
    assert a == generate(policy, prompts, seed=1, **kw)  # recorded seeds reproduce the run
    assert [g["response"] for g in a] != [g["response"] for g in generate(policy, prompts, seed=2, **kw)]
    assert all(g["tokens"] <= 5 for g in a)
    # a tokenizer without a chat template samples through the documented fallback
    plain = tmp_path / "plain"
    tok = word_tokenizer(_texts())
    tok.chat_template = None
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(base).save_pretrained(plain)
    tok.save_pretrained(plain)
    assert load_policy(model_options(str(plain), device="cpu")).info["template"]["source"] == "fallback"


def test_best_vs_worst_drops_degenerate_prompts_with_their_reason():
    from xlrm.align.labelling import agreement, best_vs_worst

    nan = math.nan
    assert best_vs_worst(["a", "b", "c"], np.array([0.1, 0.9, -0.3]), 0.0) == (1, 2)
    assert best_vs_worst(["", " ", ""], np.array([nan] * 3), 0.0) == "empty_responses"
    assert best_vs_worst(["x", "x", ""], np.array([0.2, 0.2, nan]), 0.0) == "identical_responses"
    assert best_vs_worst(["a", "b"], np.array([0.5, 0.5]), 0.0) == "tie"
    assert best_vs_worst(["a", "b"], np.array([0.5, 0.6]), 0.2) == "below_min_margin"
    assert best_vs_worst(["a", "b", "c"], np.array([0.5, nan, nan]), 0.0) == "too_long"
    resp = {"p": ["a", "b", "c"], "q": ["a", "b", "c"]}
    same = agreement({"p": np.array([1.0, 2, 3]), "q": np.array([3.0, 2, 1])},
                     {"p": np.array([1.0, 2, 3]), "q": np.array([1.0, 2, 3])}, resp, 0.0)  # fmt: skip
    assert same["same_pair"] == 0.5 and same["reversed"] == 0.5 and same["order_agreement"] == 0.5


def test_rm_scores_of_responses_match_the_padded_reference(rms):
    from xlrm.align.labelling import score_responses
    from xlrm.eval.scorer import load_classifier, score_padded
    from xlrm.models import model_options

    scorer = load_classifier("en", model_options(str(rms / "en" / "model"), device="cpu"))
    prompt = [{"role": "user", "content": "good answer"}]
    items = [(prompt, ["good", "bad answer", "good", "", "answer"]), (prompt, ["same", "same"])]
    scores, info = score_responses(
        scorer, items, language="en", max_length=128, min_prompt_tokens=4, batch_tokens=512
    )
    s = scores[0]
    assert s[0] == s[2] and math.isnan(s[3]) and not math.isnan(s[4])  # duplicates share, empty unscored
    assert np.isnan(scores[1]).all()  # one distinct response: nothing to compare, nothing scored
    tok = scorer.tokenizer
    ids = [tok(tok.apply_chat_template(prompt + [{"role": "assistant", "content": r}], tokenize=False),
               add_special_tokens=False)["input_ids"] for r in ("good", "bad answer", "answer")]  # fmt: skip
    ref, _ = score_padded(scorer.model, ids, ids, pad_token_id=0, batch_size=3)
    assert np.allclose([s[0], s[1], s[4]], ref, atol=1e-4)


def test_dpo_trains_full_and_lora_and_refuses_unknown_keys(tmp_path, base):
    from xlrm.align.dpo import check_training_keys, train_dpo
    from xlrm.data.schema import pairs_to_table

    with pytest.raises(InputError, match="'betta'.*beta"):
        check_training_keys({"betta": 0.1})
    rows = [
        {"id": f"p{i}", "prompt": [{"role": "user", "content": f"answer {i}"}],
         "chosen": [{"role": "assistant", "content": "good answer"}],
         "rejected": [{"role": "assistant", "content": "bad answer"}], "language": "en", "source": "t"}
        for i in range(6)
    ]  # fmt: skip
    pairs = pairs_to_table(rows)
    training = {"max_steps": 4, "per_device_train_batch_size": 2, "learning_rate": 5e-2, "beta": 0.5}
    m = train_dpo(pairs, opts={"path": str(base), "device": "cpu"}, training=training, lora=None,
                  out_dir=tmp_path / "full", progress=False)  # fmt: skip
    assert m["pairs"] == {"in": 6, "used": 6, "dropped": {"prompt_fills_max_length": 0}}
    assert m["global_step"] == 4 and m["precompute_ref_log_probs"] is True
    assert (
        m["final_reward_accuracy"] == 1.0 and m["final_reward_margin"] > 0
    )  # the planted preference is learnt
    assert (tmp_path / "full" / "policy" / "config.json").is_file()
    lora = train_dpo(pairs, opts={"path": str(base), "device": "cpu"}, training={**training, "max_steps": 1},
                     lora={"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]},
                     out_dir=tmp_path / "lora", progress=False)  # fmt: skip
    assert lora["precompute_ref_log_probs"] is False and lora["global_step"] == 1
    saved = json.loads((tmp_path / "lora" / "policy" / "config.json").read_text())
    assert saved["architectures"] == ["LlamaForCausalLM"]  # the adapter was merged


# --- judging -----------------------------------------------------------------------------------


def _verdict_by_length(body: dict, req: dict) -> str:
    user = user_messages(body)[0]
    a = user.split("[Answer A]\n", 1)[1].split("\n\n[Answer B]", 1)[0]
    b = user.split("[Answer B]\n", 1)[1].split("\n\nReply with", 1)[0]
    na, nb = len(a.split()), len(b.split())
    return "[[A]]" if na > nb else "[[B]]" if nb > na else "[[tie]]"


def _judge_server(status: int = 200) -> ChatServer:
    """An OpenAI-compatible judge on 127.0.0.1: prefers the answer with more words (both orders
    agree), or answers every request with ``status``."""
    if status != 200:
        return ChatServer(lambda body, req: (status, {}, b'{"error": "no"}', None))
    return ChatServer(_verdict_by_length)


def test_win_rate_rows_count_ties_half_and_undecided_apart():
    from xlrm.align.judging import markdown, win_rate_row

    row = win_rate_row(["a", "a", "b", "tie", "undecided"], ["xx"] * 5, ["y"] * 5, language="ko",
                       comparison="aligned_vs_base", policy_a="ko-rm", policy_b="base", judge="j", n_boot=500, ci=0.95)  # fmt: skip
    assert (row["wins"], row["losses"], row["ties"], row["undecided"]) == (2, 1, 1, 1)
    assert row["win_rate"] == pytest.approx(2.5 / 4) and row["ci_low"] <= row["win_rate"] <= row["ci_high"]
    assert row["a_mean_chars"] == 2 and row["b_mean_chars"] == 1
    none = win_rate_row(["undecided"] * 3, ["a"] * 3, ["b"] * 3, language="ko", comparison="c", policy_a="x",
                        policy_b="y", judge="j", n_boot=10, ci=0.95)  # fmt: skip
    assert math.isnan(none["win_rate"]) and none["undecided"] == 3
    assert "| ko | c | x | y | j | – |" in markdown([none], 0.95)


# --- the stage ----------------------------------------------------------------------------------


def test_align_chain_from_train_rm(tmp_path, base, rms, capsys):
    run = _yaml(tmp_path / "run.yaml", {"align": _align(base)})
    out = tmp_path / "align"
    assert main(["align", str(rms), "--config", str(run), "--out", str(out), "--quiet"]) == 0
    m = read_manifest(out)
    roles = {}
    for o in m["outputs"]:
        roles.setdefault(o["role"], []).append(o.get("unit"))
        assert (out / o["file"]).exists(), o
    assert sorted(roles["generations"]) == ["en", "ko"]
    assert sorted(roles["pairs"]) == ["en/en", "ko/en", "ko/ko"]  # English is labelled by its RM alone
    assert sorted(roles["policy"]) == ["en/en", "ko/en", "ko/ko"]
    assert sorted(roles["answers"]) == ["en/base", "en/en-rm", "ko/base", "ko/en-rm", "ko/ko-rm"]
    assert "win_rates" in roles and "plot" in roles
    assert m["template"]["source"] == "model"

    # the same held-out ids in every language; K samples per training prompt with their seeds
    prompts = pq.read_table(out / "prompts.parquet").to_pylist()
    held = {
        lang: {p["id"] for p in prompts if p["language"] == lang and p["split"] == "eval"} for lang in LANGS
    }
    assert held["en"] == held["ko"] and len(held["en"]) == 3
    gens = [json.loads(x) for x in (out / "ko" / "generations.jsonl").read_text().splitlines()]
    assert len(gens) == 5 * 3 and all({"seed", "batch", "sample", "finished"} <= set(g) for g in gens)

    # every labelled prompt is a pair or a counted drop; chosen outscores rejected
    for lang, rm in (("en", "en"), ("ko", "en"), ("ko", "ko")):
        info = m["languages"][lang]["labelling"][rm]
        assert info["prompts"] == 5 == info["pairs"] + sum(info["dropped"].values())
        pairs = pq.read_table(out / lang / rm / "pairs.parquet").to_pylist()
        assert all(p["score_chosen"] > p["score_rejected"] and p["labeller"] == rm for p in pairs)
        assert all(p["chosen"] != p["rejected"] for p in pairs)
    assert (
        m["counts"]["in"] == 15 and m["counts"]["out"] + sum(m["counts"]["dropped_by_reason"].values()) == 15
    )
    agree = m["languages"]["ko"]["agreement"]
    assert agree["english"] == "en" and agree["target"] == "ko" and agree["prompts"] == 5
    assert pq.read_table(out / "agreement.parquet").num_rows == 1

    # judging: aligned vs base in both languages, English-RM vs target-RM policy in Korean
    table = pq.read_table(out / "win_rates.parquet").to_pylist()
    got = sorted((r["language"], r["policy_a"], r["policy_b"], r["comparison"]) for r in table)
    assert got == [
        ("en", "en-rm", "base", "aligned_vs_base"),
        ("ko", "en-rm", "base", "aligned_vs_base"),
        ("ko", "en-rm", "ko-rm", "english_vs_target"),
        ("ko", "ko-rm", "base", "aligned_vs_base"),
    ]
    for r in table:
        assert r["prompts"] == 3 == r["wins"] + r["losses"] + r["ties"] + r["undecided"]
        assert r["judge"] == "rm:en" and r["a_mean_chars"] >= 0
        if not math.isnan(r["win_rate"]):
            assert r["ci_low"] <= r["win_rate"] <= r["ci_high"]
    md = (out / "win_rates.md").read_text()
    assert "english_vs_target" in md and "Labelling agreement" in md
    recs = [
        json.loads(x) for x in (out / "ko" / "judgements" / "en-rm_vs_ko-rm.jsonl").read_text().splitlines()
    ]
    assert len(recs) == 3 and all(
        {"answer_a", "answer_b", "verdict", "score_a", "score_b"} <= set(r) for r in recs
    )

    # another judge: only the judging reruns; an endpoint judge records both orders' raw replies
    def endpoint_judge(url: str) -> dict:
        judge = {"kind": "endpoint", "base_url": url, "model": "j", "api_key_env": "", "bootstrap": 200}
        return _align(base, judge=judge)

    def align(cfg: dict, name: str, *flags: str) -> int:
        run_yaml = _yaml(tmp_path / f"{name}.yaml", {"align": cfg})
        return main(["align", str(rms), "--config", str(run_yaml), "--out", str(out), *flags])

    with _judge_server() as srv:
        assert align(endpoint_judge(srv.url), "run2", "--quiet") == 0
    m2 = read_manifest(out)
    assert {u.split("/")[0] for u in m2["units_reused"]} == {"sample", "answers", "label", "dpo"}
    assert not any(u.startswith("judge/") for u in m2["units_reused"])
    rec = json.loads((out / "ko" / "judgements" / "en-rm_vs_ko-rm.jsonl").read_text().splitlines()[0])
    assert rec["a_first"]["replies"] and rec["a_second"]["replies"] and rec["a_first"]["a_as"] == "A"
    assert srv.requests == 2 * 3 * 4

    # a refusing endpoint is a clear error, and the previous output stays
    with _judge_server(status=401) as srv:
        cfg = endpoint_judge(srv.url)
        capsys.readouterr()
        assert align(cfg, "r3") == 2
    err = capsys.readouterr().err
    assert "401" in err and "API key" in err
    assert read_manifest(out)["fingerprint"] == m2["fingerprint"]

    # a local causal LM that never writes a verdict: every prompt undecided, counted, no win rate
    cfg = _align(
        base, judge={"kind": "hf", "path": str(base), "max_tokens": 3, "max_retries": 0, "bootstrap": 200}
    )
    assert align(cfg, "r4", "--quiet") == 0
    m4 = read_manifest(out)
    assert m4["counts"]["judge_undecided"] == m4["counts"]["judged_prompts"] == 4 * 3
    assert all(math.isnan(r["win_rate"]) for r in pq.read_table(out / "win_rates.parquet").to_pylist())


def test_bad_inputs_name_the_cause(tmp_path, base, rms, capsys, monkeypatch):
    def run(cfg: dict, name: str, inputs=None) -> str:
        capsys.readouterr()
        path = _yaml(tmp_path / f"{name}.yaml", {"align": cfg})
        args = ["align", *(inputs or [str(rms)]), "--config", str(path), "--out", str(tmp_path / name)]
        assert main(args) == 2
        assert not (tmp_path / name).exists()
        return capsys.readouterr().err

    assert "K must be >= 2" in run(_align(base, k=1), "k1")
    err = run(_align(base), "notrm", inputs=[f"en={rms / 'en' / 'model'}", f"ko={base}"])
    assert "labelling RM 'ko'" in err and "not a reward model" in err
    prompts = tmp_path / "ko.jsonl"
    prompts.write_text(
        "\n".join(json.dumps({"conversations": [{"role": "user", "content": f"q {i}"}]}) for i in range(9))
    )
    err = run(_align(base, prompts={"sources": [f"ko={prompts}"]}), "nolang")
    assert "no prompts for language 'en'" in err and "lang=path" in err
    err = run(_align(base, training={"betta": 0.1}), "badkey")
    assert "'betta'" in err and "DPOConfig" in err
    assert "vllm" in run(_align(base, sampling={"backend": "vllm"}), "vllm")
    assert "no labelling RM named 'es'" in run(_align(base, languages=["es"]), "nores")

    # a hub prompt set that cannot be reached says how to use a local copy
    import datasets

    from xlrm.align.config import PromptOptions
    from xlrm.align.prompts import load_prompts

    def offline(*a, **k):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(InputError, match="zhihz0535/X-AlpacaEval.*ConnectionError.*lang=p.parquet"):
        load_prompts(PromptOptions(sources=["x-alpacaeval"], train=2, eval=1), ["ko"])


def test_prompt_files_split_by_id_and_read_the_pair_schema(tmp_path):
    from xlrm.align.config import PromptOptions
    from xlrm.align.prompts import load_prompts

    rows = [{"id": f"q{i}", "language": lang, "prompt": [{"role": "user", "content": f"{lang} {i}"}],
             "chosen": [{"role": "assistant", "content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}
            for i in range(10) for lang in ("en", "ko")]  # fmt: skip
    rows.append({"id": "q99", "language": "en", "prompt": "only English"})
    f = tmp_path / "p.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    table, counts = load_prompts(PromptOptions(sources=[str(f)], train=4, eval=3, seed=7), ["en", "ko"])
    t = table.to_pylist()
    split = {
        lang: {
            s: sorted(r["id"] for r in t if r["language"] == lang and r["split"] == s)
            for s in ("train", "eval")
        }
        for lang in ("en", "ko")
    }
    assert split["en"] == split["ko"] and len(split["en"]["eval"]) == 3 and len(split["en"]["train"]) == 4
    assert counts["parallel"] is True and counts["dropped"]["not_shared_by_all_languages"] == 1
    other, _ = load_prompts(PromptOptions(sources=[str(f)], train=4, eval=3, seed=8), ["en", "ko"])
    assert {r["id"] for r in other.to_pylist() if r["split"] == "eval"} != set(split["en"]["eval"])


def test_killed_dpo_resumes_from_its_last_checkpoint(tmp_path, base, rms):
    cfg = _align(base, languages=["ko"], labellers=["ko"],
                 training={"max_steps": 6, "save_steps": 2, "per_device_train_batch_size": 1, "learning_rate": 1e-3})  # fmt: skip
    run = _yaml(tmp_path / "run.yaml", {"align": cfg})
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "xlrm.cli",
        "align",
        str(rms),
        "--quiet",
        "--config",
        str(run),
        "--out",
        str(tmp_path / "a"),
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if list(tmp_path.glob("a.tmp-*/ko/ko/checkpoints/checkpoint-2/trainer_state.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "a").exists()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # progress: false and --quiet: no bar from datasets, TRL's reference pass or weight loading
    assert not [s for s in ("Computing reference", "Tokenizing", "Loading weights") if s in done.stderr]
    m = read_manifest(tmp_path / "a")
    assert {"sample/ko", "label/ko/ko", "answers/ko/base"} <= set(m["units_reused"])  # adopted, not redone
    p = m["policies"]["ko/ko"]
    assert p["resumed_from"].endswith(("checkpoint-2", "checkpoint-4")) and p["global_step"] == 6
    assert not (tmp_path / "a" / "ko" / "ko" / "checkpoints").exists()


def test_policy_plan_per_language_and_over_all_languages():
    from xlrm.align.config import AlignConfig
    from xlrm.align.stage import _comparisons, _policies
    from xlrm.models import ModelOptions

    per = AlignConfig(policy=ModelOptions(path="p"), languages=["en", "ko", "es"])
    units = _policies(per)
    assert {f: u["labels"] for f, u in units.items()} == {
        "en/en": [("en", "en")], "ko/en": [("ko", "en")], "ko/ko": [("ko", "ko")],
        "es/en": [("es", "en")], "es/es": [("es", "es")],
    }  # fmt: skip
    assert ("en-rm", "ko-rm", "english_vs_target") in _comparisons(per, units)["ko"]
    assert _comparisons(per, units)["en"] == [("en-rm", "base", "aligned_vs_base")]
    pooled = AlignConfig(
        policy=ModelOptions(path="p"), languages=["en", "ko", "es"], policies="all_languages"
    )
    units = _policies(pooled)
    assert units["all/english"]["labels"] == [("en", "en"), ("ko", "en"), ("es", "en")]
    # the target policy learns every language labelled by its own RM, English by the English RM
    assert sorted(units["all/target"]["labels"]) == [("en", "en"), ("es", "es"), ("ko", "ko")]
    comps = _comparisons(pooled, units)
    assert ("en-rm", "target-rm", "english_vs_target") in comps["ko"]
    assert not any(k == "english_vs_target" for _, _, k in comps["en"])


def test_two_dpo_processes_match_one_process_with_doubled_accumulation(tmp_path, base, rms):
    """DPO is data parallel like train-rm: the align stage's DPO unit under `accelerate launch`
    with two gloo processes (`configs/accelerate/cpu.yaml`, gradient_accumulation_steps 1) trains
    like one process accumulating two micro-batches, step by step.

    Why the runs see the same pairs per optimizer step, with the same reference log-probs:

    * both runs sample and label the same 9 pairs (seeded; asserted), one language, one labeller;
    * one pair per micro-batch (`per_device_train_batch_size: 1`): TRL's DPO loss is the mean over
      a micro-batch's pairs, divided by the accumulation steps (`loss_is_scaled_for_ga = False`);
      DDP averages the ranks' gradients and the logged loss is the ranks' mean, so both runs
      optimise and log the mean over the same two pairs;
    * `train_sampling_strategy: sequential`: accelerate deals batch k to rank k % 2, i.e. pairs
      (0, 1), (2, 3), ... per step, the one process's accumulation order; 4 steps use 8 of the 9
      pairs, so the pair `even_batches` repeats on rank 1 at the end of an epoch is never used;
    * the reference log-probs are precomputed (full fine-tuning) with batch size 1, so no pair
      is padded differently; under two processes each rank computes every other pair and
      `gather_for_metrics` puts them back in dataset order, dropping the repeated 10th;
    * the policy is the loaded base model (nothing random to seed) and Llama has no dropout.

    Tolerance rel 1e-5 (abs 1e-6) on the per-step loss and the chosen / rejected policy
    log-probs: step 1 is the same computation (loss ln 2: policy = reference); after that only
    the float summation order differs (gloo's all-reduce of two gradients vs accumulating loss/2
    gradients, 1 vs 2 intra-op threads, float32 vs Python-float averaging of the logged
    metrics), measured ~1e-7 relative. The log-probs pin which pairs each step trained on (the
    loss alone is ln 2 at step 1 whatever the pairs).

    Until the DPO unit saved its pairs to disk with several processes, this run failed: TRL
    names the precomputed reference log-probs' cache file after the dataset's files, an
    in-memory dataset has none, so each rank picked a random file in its own temporary folder
    and rank 1 could not read the one rank 0 wrote."""
    same = {"max_steps": 4, "per_device_train_batch_size": 1, "learning_rate": 5e-2, "logging_steps": 1,
            "train_sampling_strategy": "sequential"}  # fmt: skip
    runs = {"two": (2, 1), "one": (1, 2)}  # processes, gradient accumulation
    logs, metrics, pairs = {}, {}, {}
    for name, (procs, ga) in runs.items():
        cfg = _align(base, languages=["en"], labellers=["en"], prompts={"train": 9, "builtin_per_section": 3},
                     training={**same, "gradient_accumulation_steps": ga})  # fmt: skip
        if procs == 2:
            cfg |= {"num_processes": 2, "accelerate_config": "cpu"}
        run = _yaml(tmp_path / f"{name}.yaml", {"align": cfg})
        out = tmp_path / name
        assert main(["align", str(rms), "--config", str(run), "--out", str(out), "--quiet"]) == 0
        unit = out / "en" / "en"
        metrics[name] = json.loads((unit / "metrics.json").read_text())
        logs[name] = json.loads((unit / "train_log.json").read_text())["train"]
        pairs[name] = pq.read_table(unit / "pairs.parquet").to_pylist()
        assert not (unit / "dpo_dataset").exists() and not (unit / "checkpoints").exists()
    assert pairs["two"] == pairs["one"] and len(pairs["one"]) == 9
    assert metrics["two"]["processes"] == 2 and metrics["one"]["processes"] == 1
    assert metrics["two"]["global_step"] == metrics["one"]["global_step"] == 4
    assert metrics["two"]["pairs"] == metrics["one"]["pairs"]
    assert [h["step"] for h in logs["two"]] == [h["step"] for h in logs["one"]] == [1, 2, 3, 4]
    for name in runs:
        assert logs[name][0]["loss"] == pytest.approx(math.log(2), rel=1e-6)  # the reference is the policy
    one = [h["loss"] for h in logs["one"]]
    assert max(one) - min(one) > 0.05  # the curve moves
    for key in ("loss", "logps/chosen", "logps/rejected"):
        two, one = [h[key] for h in logs["two"]], [h[key] for h in logs["one"]]
        assert two == pytest.approx(one, rel=1e-5, abs=1e-6), key
