"""`xlrm eval-rm` end to end with tiny random-weight models built from configs (CPU, fp32): packed
scores equal to padded ones, the stage's tables consistent with its per-pair scores, per-model
reuse, tables from a scores file, generative judges (a loopback endpoint and a Hugging Face causal
LM), DPO implicit rewards, and the errors bad inputs get."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("trl")

from test_judge import JudgeServer  # noqa: E402
from tiny_models import tiny_llama, word_tokenizer  # noqa: E402
from xlrm.cli import main  # noqa: E402
from xlrm.config import from_dict  # noqa: E402
from xlrm.data.builtin import generate, write_rewardbench_file  # noqa: E402
from xlrm.data.schema import pairs_to_table  # noqa: E402
from xlrm.errors import ConfigError, InputError  # noqa: E402
from xlrm.eval import scorer as scorer_mod  # noqa: E402
from xlrm.eval.config import EvalRMConfig, JudgeOptions  # noqa: E402
from xlrm.eval.scorer import (  # noqa: E402
    LoadedScorer,
    packed_rewards,
    response_logps,
    response_starts,
    score_padded,
    tokenize_eval,
)
from xlrm.eval.stage import SCORE_COLUMNS, run_eval_rm  # noqa: E402
from xlrm.manifest import read_manifest  # noqa: E402

LANGS = ("en", "ko")
PER_SECTION = 3  # 12 pairs per language: every subset of the built-in suite but one per section
ATOL = 1e-4


def _rows(per_section: int = PER_SECTION, langs=LANGS) -> list[dict]:
    return generate(languages=langs, split="eval", per_section=per_section)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rows = _rows() + _rows(6)  # the vocabulary covers every evaluation text: no <unk> collisions
    return [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]


@pytest.fixture(scope="module")
def tok(texts):
    return word_tokenizer(texts)


def seq_cls(arch: str, vocab: int, *, seed: int = 0, labels: int = 1, sliding_window: int | None = None):
    """A tiny sequence-classification model of one architecture family, random weights."""
    T = transformers
    common = dict(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
        num_labels=labels,
    )
    torch.manual_seed(seed)
    if arch == "llama":
        model = T.LlamaForSequenceClassification(T.LlamaConfig(**common))
    elif arch == "qwen2":
        model = T.Qwen2ForSequenceClassification(T.Qwen2Config(**common))
    elif arch == "gemma":  # Gemma 1: scaled embeddings, (1 + w) RMSNorm, GeGLU
        model = T.GemmaForSequenceClassification(T.GemmaConfig(**common, head_dim=8))
    else:  # Gemma 3: sliding-window layers between global ones (a window shorter than the sequences)
        cfg = T.Gemma3TextConfig(**common, head_dim=8, sliding_window=sliding_window or 8)
        model = T.Gemma3TextForSequenceClassification(cfg)
    with torch.no_grad():  # rewards of order 1 (a random head gives ~0.01), so 1e-4 is a strict tolerance
        model.score.weight.mul_(100)
    return model


def save_rm(folder: Path, tok, arch: str = "llama", seed: int = 0, labels: int = 1) -> Path:
    seq_cls(arch, len(tok), seed=seed, labels=labels).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def bench_file(tmp_path_factory) -> Path:
    """The built-in eval split in English and Korean as a Multilingual RewardBench export."""
    p = tmp_path_factory.mktemp("data") / "mrb.jsonl"
    write_rewardbench_file(p, languages=list(LANGS), per_section=PER_SECTION)
    return p


@pytest.fixture(scope="module")
def rms(tmp_path_factory, tok) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rms")
    return {"en": save_rm(root / "rm-en", tok, seed=0), "ko": save_rm(root / "rm-ko", tok, seed=1)}


def _cfg(out: Path, models, data, **kw) -> EvalRMConfig:
    cfg = EvalRMConfig(
        models=list(models),
        data=[str(d) for d in data],
        out=str(out),
        bootstrap=kw.pop("bootstrap", 50),
        **kw,
    )
    cfg.validate()
    return cfg


# ---------------------------------------------------------------------------------------------
# Packed scoring equals padded scoring


@pytest.mark.parametrize(
    "arch,attn",
    [
        ("llama", "xlrm_varlen"),
        ("llama", "sdpa"),
        ("qwen2", "xlrm_varlen"),
        ("gemma", "xlrm_varlen"),
        ("gemma3", "sdpa"),
    ],
)
def test_packed_scores_equal_padded_scores(tok, arch, attn, monkeypatch):
    from xlrm.train.attention import register

    register()
    # Short rows so that several pairs share a row and (mask-based attention) several rows a batch.
    monkeypatch.setattr(scorer_mod, "MASK_ROW_TOKENS", 160)
    model = seq_cls(arch, len(tok), seed=3).eval()
    pairs = pairs_to_table(_rows())
    t = tokenize_eval(pairs, tok, max_length=64, min_prompt_tokens=4)
    assert sum(t.truncated.values()) > 0  # left truncation is exercised
    assert t.table["prompt_removed"].to_numpy().max() > 0
    if arch == "gemma3":
        assert scorer_mod.default_attention(torch.device("cpu"), model.config) == "sdpa"
    model.set_attn_implementation(attn)
    s = LoadedScorer(arch, model, tok, torch.device("cpu"), {})
    chosen, rejected, timing = packed_rewards(s, t, batch_tokens=320)
    model.set_attn_implementation("sdpa")
    c_ids, r_ids = t.table["chosen_ids"].to_pylist(), t.table["rejected_ids"].to_pylist()
    pc, pr = score_padded(model, c_ids, r_ids, pad_token_id=0, batch_size=5)
    assert timing["pairs"] == len(t) and np.isfinite(chosen).all() and np.isfinite(rejected).all()
    np.testing.assert_allclose(chosen, pc, atol=ATOL, rtol=0)
    np.testing.assert_allclose(rejected, pr, atol=ATOL, rtol=0)
    assert np.std(chosen) > 0.1  # the scores differ from pair to pair: equality means something
    # sorted padded batches give the same scores too (only the order of work changes)
    sc, sr = score_padded(model, c_ids, r_ids, pad_token_id=0, batch_size=4, sort=True)
    np.testing.assert_allclose(sc, pc, atol=ATOL, rtol=0)


def test_a_sequence_never_sees_its_row_neighbours(tok):
    """Editing one pair changes only that pair's scores, though it shares a packed row."""
    model = seq_cls("qwen2", len(tok), seed=4).eval()
    model.set_attn_implementation("xlrm_varlen")
    t = tokenize_eval(pairs_to_table(_rows()), tok, max_length=0, min_prompt_tokens=0)
    s = LoadedScorer("q", model, tok, torch.device("cpu"), {})
    c0, r0, _ = packed_rewards(s, t, batch_tokens=4096)
    ids = t.table["chosen_ids"].to_pylist()
    ids[0] = ids[0][:-2] + [5, 6]
    t2 = copy.copy(t)
    t2.table = t.table.set_column(
        t.table.schema.get_field_index("chosen_ids"), "chosen_ids", pa.array(ids, pa.list_(pa.int32()))
    )
    c1, r1, _ = packed_rewards(s, t2, batch_tokens=4096)
    assert abs(c1[0] - c0[0]) > 1e-6
    np.testing.assert_allclose(c1[1:], c0[1:], atol=1e-6)
    np.testing.assert_allclose(r1, r0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The stage end to end


def _scores(out: Path) -> list[dict]:
    return pq.read_table(out / "scores.parquet").to_pylist()


def _check_tables(out: Path, manifest: dict) -> None:
    """Every table the stage wrote agrees with its per-pair scores and with the others."""
    rows = _scores(out)
    assert set(SCORE_COLUMNS) <= set(rows[0])
    for o in manifest["outputs"]:
        assert (out / o["file"]).exists(), o
    roles = {o["role"] for o in manifest["outputs"]}
    assert {"scores", "unit_scores", "results", "transfer"} <= roles
    c = manifest["counts"]
    assert c["in"] == c["out"] + sum(c["dropped_by_reason"].values())
    assert c["out"] == len(rows)
    wide = {}
    with open(out / "transfer.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            wide[(r["metric"], r["model"])] = r
    long = {
        (r["model"], r["language"], r["metric"]): r
        for r in pq.read_table(out / "transfer.parquet").to_pylist()
    }
    for o in manifest["outputs"]:
        if o["role"] != "results":
            continue
        res = json.loads((out / o["file"]).read_text())
        mine = [r for r in rows if r["model"] == res["model"] and r["language"] == res["language"]]
        assert res["overall"]["n"] == len(mine)
        for name, sub in res["subsets"].items():
            got = [r["score_chosen"] > r["score_rejected"] for r in mine if r["subset"] == name]
            assert sub["n"] == len(got) and sub["accuracy"] == pytest.approx(np.mean(got))
        assert float(wide[("overall", res["model"])][res["language"]]) == pytest.approx(res["Score"])
        assert long[(res["model"], res["language"], "overall")]["score"] == pytest.approx(res["Score"])
    overall = (out / "transfer.md").read_text().split("## Overall", 1)[1].split("\n## ", 1)[0]
    for model in {r["model"] for r in rows}:
        line = next(x for x in overall.splitlines() if x.startswith(f"| {model} |"))
        for lang in ("en", "ko"):
            score = json.loads((out / f"results/{model}/{lang}.json").read_text())["Score"]
            assert f"{100 * score:.1f}" in line


def test_two_rms_on_two_languages(tmp_path, rms, bench_file):
    out = tmp_path / "eval"
    m = run_eval_rm(
        _cfg(
            out,
            [f"en={rms['en']}", f"ko={rms['ko']}"],
            [bench_file],
            max_length=48,
            min_prompt_tokens=4,
            plots=True,
        )
    )
    _check_tables(out, m)
    c = m["counts"]
    assert c["pairs_per_language"] == {"en": 4 * PER_SECTION, "ko": 4 * PER_SECTION}
    assert c["in"] == 2 * 2 * 4 * PER_SECTION
    assert c["truncated"] > 0 and set(c["truncated_by_model"]) == {"en", "ko"}
    rows = _scores(out)
    for model, per_lang in c["truncated_by_model"].items():
        for lang, n in per_lang.items():
            assert n == sum(r["truncated"] for r in rows if r["model"] == model and r["language"] == lang)
    assert set(c["dropped_by_reason"]) <= {"too_long", "empty", "identical"}
    assert {o["role"] for o in m["outputs"]} >= {"gap", "heatmap"}
    assert {o["unit"] for o in m["outputs"] if o["role"] == "unit_scores"} == {"en", "ko"}
    assert m["models"]["en"]["model"]["attn_implementation"] == "xlrm_varlen"
    assert m["models"]["en"]["template"]["source"] == "model"  # the RM folder's own chat template
    # the gap: English RM minus the Korean RM, on Korean, over the pairs both scored
    gap = [
        g
        for g in pq.read_table(out / "gap.parquet").to_pylist()
        if g["language"] == "ko" and g["metric"] == "overall"
    ]
    en_ko = json.loads((out / "results/en/ko.json").read_text())["Score"]
    ko_ko = json.loads((out / "results/ko/ko.json").read_text())["Score"]
    assert (
        gap[0]["gap"] == pytest.approx(en_ko - ko_ko)
        and gap[0]["ci_low"] <= gap[0]["gap"] <= gap[0]["ci_high"]
    )


def _train_rm_folder(tmp_path: Path, texts: list[str]) -> Path:
    """A real `xlrm data` → `xlrm train-rm` chain on the built-in training split, tiny base model."""
    from tiny_models import tiny_llama

    rows = generate(languages=list(LANGS), split="train", per_section=2)
    raw = tmp_path / "train.jsonl"
    raw.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    words = texts + [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
    base = tiny_llama(tmp_path / "base", words, hidden=16, layers=2)
    section = {
        "model": {"path": str(base)},
        "train_languages": list(LANGS),
        "val_fraction": 0.25,
        "tokenize": {"max_length": 256},
        "progress": False,
        "training": {"max_steps": 2, "per_device_train_batch_size": 4},
    }
    run = tmp_path / "run.yaml"
    run.write_text(yaml.safe_dump({"train_rm": section}), encoding="utf-8")
    assert main(["data", str(raw), "--out", str(tmp_path / "data")]) == 0
    assert (
        main(["train-rm", str(tmp_path / "data"), "--out", str(tmp_path / "rm"), "--config", str(run)]) == 0
    )
    return tmp_path / "rm"


def test_a_train_rm_folder_is_every_rm_it_holds_by_language(tmp_path, texts, bench_file, capsys):
    folder = _train_rm_folder(tmp_path, texts)
    out = tmp_path / "eval"
    args = [
        "eval-rm",
        str(folder),
        "--data",
        str(bench_file),
        "--out",
        str(out),
        "--bootstrap",
        "20",
        "--plots",
        "false",
    ]
    assert main(args) == 0
    assert "eval-rm: 48 in, 48 out, 0 dropped" in capsys.readouterr().out
    m = read_manifest(out)
    assert set(m["units"]) == {"en", "ko"}
    assert {r["model"] for r in _scores(out)} == {"en", "ko"}
    assert m["models"]["ko"]["model"]["path"] == str(folder / "ko" / "model")
    _check_tables(out, m)
    assert main(args) == 0 and "unchanged, skipped" in capsys.readouterr().out
    # every RM on every language's held-out pairs, which train-rm kept beside each model
    trained = read_manifest(folder)
    held = {o["unit"]: o["rows"] for o in trained["outputs"] if o["role"] == "heldout"}
    assert set(held) == set(LANGS) and all(held.values())
    out = tmp_path / "heldout-eval"
    args = ["eval-rm", str(folder), "--data", str(folder / "*" / "heldout.parquet"), "--out", str(out),
            "--bootstrap", "0", "--plots", "false"]  # fmt: skip
    assert main(args) == 0
    m = read_manifest(out)
    assert m["counts"]["pairs_per_language"] == held
    _check_tables(out, m)


def test_adding_a_model_scores_only_that_one(tmp_path, rms, bench_file, monkeypatch):
    loads = []
    real = scorer_mod.load_classifier
    monkeypatch.setattr(
        scorer_mod, "load_classifier", lambda name, *a, **k: loads.append(name) or real(name, *a, **k)
    )
    out = tmp_path / "eval"
    run_eval_rm(_cfg(out, [f"en={rms['en']}"], [bench_file], plots=False))
    before = pq.read_table(out / "scores.parquet")
    m = run_eval_rm(_cfg(out, [f"en={rms['en']}", f"ko={rms['ko']}"], [bench_file], plots=False))
    assert loads == ["en", "ko"] and m["units_reused"] == ["en"]
    after = pq.read_table(out / "scores.parquet")
    assert after.filter(pa.compute.equal(after["model"], "en")).equals(before)
    _check_tables(out, m)
    # table settings only: nothing is rescored, the tables are rebuilt
    m = run_eval_rm(
        _cfg(out, [f"en={rms['en']}", f"ko={rms['ko']}"], [bench_file], plots=False, weights="rewardbench")
    )
    assert loads == ["en", "ko"] and sorted(m["units_reused"]) == ["en", "ko"]
    assert json.loads((out / "results/en/ko.json").read_text())["weights"] == "rewardbench"
    # a changed model is rescored
    save_rm(rms["ko"], word_tokenizer(["changed vocabulary"]), seed=7)
    m = run_eval_rm(_cfg(out, [f"en={rms['en']}", f"ko={rms['ko']}"], [bench_file], plots=False))
    assert loads[-1] == "ko" and m["units_reused"] == ["en"]


def test_tables_from_a_scores_file(tmp_path, rms, bench_file, capsys):
    out = tmp_path / "eval"
    run_eval_rm(_cfg(out, [f"en={rms['en']}", f"ko={rms['ko']}"], [bench_file], plots=False))
    rows = _scores(out)
    src = tmp_path / "scores.jsonl"
    src.write_text("".join(json.dumps({k: r[k] for k in SCORE_COLUMNS}) + "\n" for r in rows))
    again = tmp_path / "again"
    assert (
        main(
            [
                "eval-rm",
                "--from-scores",
                str(src),
                "--out",
                str(again),
                "--bootstrap",
                "50",
                "--plots",
                "false",
            ]
        )
        == 0
    )
    for name in ("transfer.csv", "transfer.md", "gap.md", "results/ko/en.json"):
        assert (again / name).read_text() == (out / name).read_text()
    m = read_manifest(again)
    assert m["counts"]["in"] == m["counts"]["out"] == len(rows) and m["counts"]["models"] == 2
    assert m["inputs"][0]["role"] == "scores" and "sha256" in m["inputs"][0]
    weighted = tmp_path / "weighted"
    assert (
        main(
            [
                "eval-rm",
                "--from-scores",
                str(src),
                "--out",
                str(weighted),
                "--weights",
                "m-rewardbench",
                "--bootstrap",
                "0",
                "--plots",
                "false",
            ]
        )
        == 0
    )
    assert json.loads((weighted / "results/en/en.json").read_text())["weights"] == "m-rewardbench"


# ---------------------------------------------------------------------------------------------
# Generative judges and DPO policies


def _longer(a, b, body):
    return "[[A]]" if len(a) > len(b) else "[[B]]"


def test_an_endpoint_judge_through_the_stage(tmp_path, bench_file, monkeypatch):
    monkeypatch.delenv("XLRM_TEST_JUDGE_KEY", raising=False)
    out = tmp_path / "judge"
    with JudgeServer(_longer) as server:
        judge = JudgeOptions(
            base_url=server.url,
            model="judge-model",
            name="longer",
            api_key_env="XLRM_TEST_JUDGE_KEY",
            http_retries=0,
            concurrency=2,
        )
        m = run_eval_rm(_cfg(out, [], [bench_file], kind="generative", judge=judge, plots=False))
        asked = len(server.asked)
    n = 2 * 4 * PER_SECTION
    assert asked == 2 * n  # both orders of every pair
    rows = {(r["language"], r["id"]): r for r in _scores(out)}
    for p in generate(languages=LANGS, split="eval", per_section=PER_SECTION):
        c, r = len(p["chosen"][-1]["content"]), len(p["rejected"][-1]["content"])
        expected = "chosen" if c > r else "rejected" if c < r else "tie"  # equal: [[B]] twice = a tie
        assert rows[(p["language"], p["id"])]["verdict"] == expected
    res = json.loads((out / "results/longer/en.json").read_text())
    assert res["model_type"] == "generative"
    records = [json.loads(line) for line in (out / m["units"]["longer"]["files"][1]).read_text().splitlines()]
    assert len(records) == n and records[0]["chosen_first"]["attempts"] == 1
    assert m["models"]["longer"]["judge"]["requests"] == 2 * n


def test_an_endpoint_that_refuses_is_a_clear_error(tmp_path, bench_file, monkeypatch, capsys):
    monkeypatch.delenv("XLRM_TEST_JUDGE_KEY", raising=False)
    with JudgeServer(lambda a, b, body: (401, "who are you")) as server:
        args = ["eval-rm", "--kind", "generative", "--judge.base-url", server.url, "--judge.model", "m",
                "--judge.api-key-env", "XLRM_TEST_JUDGE_KEY", "--judge.http-retries", "0",
                "--data", str(bench_file), "--out", str(tmp_path / "j")]  # fmt: skip
        assert main(args) == 2
    err = capsys.readouterr().err
    assert "answered HTTP 401: who are you" in err and "XLRM_TEST_JUDGE_KEY" in err
    assert not (tmp_path / "j").exists()


def test_a_causal_lm_judge_that_never_answers_is_undecided_never_dropped(tmp_path, texts, bench_file):
    lm = tiny_llama(tmp_path / "lm", texts + ["[[A]] [[B]] [[tie]]"])
    out = tmp_path / "judge"
    judge = JudgeOptions(max_tokens=2, max_retries=1, batch_size=16)
    m = run_eval_rm(
        _cfg(out, [f"tiny={lm}"], [bench_file], kind="generative", judge=judge, plots=False, languages=["ko"])
    )
    rows = _scores(out)
    assert len(rows) == 4 * PER_SECTION and m["counts"]["dropped_by_reason"] == {}
    # random weights cannot write a verdict token: every pair is undecided and counts as wrong
    assert {r["verdict"] for r in rows} == {"undecided"}
    assert json.loads((out / "results/tiny/ko.json").read_text())["Score"] == 0.0
    assert m["models"]["tiny"]["judge"]["retried"] == m["models"]["tiny"]["judge"]["requests"] / 2


def _direct_logps(model, ids: list[int], start: int) -> float:
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    logp = torch.log_softmax(logits, -1)
    return float(sum(logp[t - 1, ids[t]] for t in range(start, len(ids))))


def test_dpo_rewards_are_response_log_prob_ratios(tmp_path, texts, tok, bench_file):
    policy = tiny_llama(tmp_path / "policy", texts, seed=0)
    reference = tiny_llama(tmp_path / "reference", texts, seed=1)
    from xlrm.eval.scorer import load_causal_lm
    from xlrm.models import model_options

    lm = load_causal_lm("p", model_options(str(policy), device="cpu"))
    pairs = pairs_to_table(_rows(langs=("ko",)))
    t = tokenize_eval(pairs, lm.tokenizer, max_length=56, min_prompt_tokens=4)
    assert t.table["prompt_removed"].to_numpy().max() > 0
    starts = response_starts(pairs, t, lm.tokenizer)
    lc, lr, _ = response_logps(lm, t, starts, batch_tokens=200, chunk=7)
    from xlrm import chat

    # the reference computation: each sequence alone through the model's own forward, no packing
    direct = transformers.AutoModelForCausalLM.from_pretrained(policy).eval()

    prompts = {p["id"]: p["prompt"] for p in pairs.to_pylist()}
    removed = t.table["prompt_removed"].to_pylist()
    for i, pid in enumerate(t.table["id"].to_pylist()):
        if not removed[i]:  # untruncated: the response starts right after the rendered prompt
            text = chat.render(lm.tokenizer, prompts[pid], t.template, add_generation_prompt=True)
            assert starts[i] == len(lm.tokenizer(text, add_special_tokens=False)["input_ids"])
    for i, (c, r) in enumerate(
        zip(t.table["chosen_ids"].to_pylist(), t.table["rejected_ids"].to_pylist(), strict=True)
    ):
        # the response starts within the tokens both sides share (the prompt): never past them
        assert starts[i] <= min(len(c), len(r)) and c[: starts[i]] == r[: starts[i]]
        assert lc[i] == pytest.approx(_direct_logps(direct, c, starts[i]), abs=ATOL)
        assert lr[i] == pytest.approx(_direct_logps(direct, r, starts[i]), abs=ATOL)
    # through the stage: policy against itself gives zero rewards; against another reference not
    out = tmp_path / "dpo"
    run_eval_rm(
        _cfg(
            out,
            [f"self={policy}"],
            [bench_file],
            kind="dpo",
            reference=str(policy),
            plots=False,
            languages=["ko"],
        )
    )
    zero = _scores(out)
    assert zero and all(abs(r["score_chosen"]) < 1e-5 and abs(r["score_rejected"]) < 1e-5 for r in zero)
    other = tmp_path / "dpo2"
    run_eval_rm(
        _cfg(
            other,
            [f"p={policy}"],
            [bench_file],
            kind="dpo",
            reference=str(reference),
            plots=False,
            languages=["ko"],
        )
    )
    assert any(abs(r["score_chosen"]) > 1e-3 for r in _scores(other))


# ---------------------------------------------------------------------------------------------
# Bad inputs


@pytest.mark.parametrize(
    "codes,message",
    [(["klingon"], "unknown language code 'klingon'"), (["kor_Hang", "xyz_Abcd"], "unknown language code 'xyz_Abcd'"),
     (["all", "ko"], "`all` stands alone")],
)  # fmt: skip
def test_unknown_languages_are_refused_before_anything_loads(codes, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(EvalRMConfig, {"models": ["x"], "languages": codes})


def test_config_codes_select_languages_and_missing_ones_are_named(tmp_path, rms, bench_file, capsys):
    out = tmp_path / "eval"
    m = run_eval_rm(_cfg(out, [f"en={rms['en']}"], [bench_file], languages=["kor_Hang"], plots=False))
    assert m["counts"]["pairs_per_language"] == {"ko": 4 * PER_SECTION}
    args = [
        "eval-rm",
        f"en={rms['en']}",
        "--data",
        str(bench_file),
        "--languages",
        "ko",
        "deu_Latn",
        "--out",
        str(tmp_path / "x"),
    ]
    assert main(args) == 2
    assert "no pairs in language(s) de" in capsys.readouterr().err


def test_bad_scores_files_name_file_row_and_field(tmp_path, capsys):
    good = {"id": "a", "language": "en", "subset": "chat-count", "score_chosen": 1.0, "score_rejected": 0.5}
    missing = tmp_path / "missing.jsonl"
    missing.write_text(json.dumps({k: v for k, v in good.items() if k != "score_rejected"}) + "\n")
    assert main(["eval-rm", "--from-scores", str(missing), "--out", str(tmp_path / "a")]) == 2
    assert "field 'score_rejected': missing column" in capsys.readouterr().err
    nan = tmp_path / "nan.parquet"
    pq.write_table(pa.Table.from_pylist([good, {**good, "id": "b", "score_chosen": float("nan")}]), nan)
    assert main(["eval-rm", "--from-scores", str(nan), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "row 2, field 'score_chosen': score is missing or NaN" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with pytest.raises(ConfigError, match="give no models"):
        from_dict(EvalRMConfig, {"models": ["x"], "from_scores": str(nan)})


def test_a_folder_that_is_not_a_reward_model_points_to_the_generative_kind(tmp_path, texts, tok, bench_file):
    lm = tiny_llama(tmp_path / "lm", texts)
    with pytest.raises(
        InputError, match=r"is not a reward model: its config lists LlamaForCausalLM.*kind: generative"
    ):
        run_eval_rm(_cfg(tmp_path / "a", [f"lm={lm}"], [bench_file]))
    two = save_rm(tmp_path / "two", tok, labels=2)
    with pytest.raises(InputError, match=r"num_labels=2.*kind: generative"):
        run_eval_rm(_cfg(tmp_path / "b", [f"two={two}"], [bench_file]))
    # a classifier whose head is not in the checkpoint would score noise
    base = tmp_path / "headless"
    seq_cls("llama", len(tok)).model.save_pretrained(base)  # the backbone only
    cfg = json.loads((base / "config.json").read_text())
    (base / "config.json").write_text(
        json.dumps({**cfg, "architectures": ["LlamaForSequenceClassification"]})
    )
    tok.save_pretrained(base)
    with pytest.raises(InputError, match=r"no weights for the score head \(score.weight\)"):
        run_eval_rm(_cfg(tmp_path / "c", [f"h={base}"], [bench_file]))
    assert not any((tmp_path / d).exists() for d in "abc")


def test_hub_sources_without_hub_access_say_how_to_export(tmp_path, rms, monkeypatch):
    datasets = pytest.importorskip("datasets")
    tried = []

    def offline(repo, config=None, split=None, **kw):
        tried.append((repo, config, split))
        raise ConnectionError("Couldn't reach the Hugging Face Hub (offline mode is enabled)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(
        InputError, match=r"could not load CohereLabsCommunity/multilingual-reward-bench .*to_parquet"
    ) as e:
        run_eval_rm(_cfg(tmp_path / "a", [f"en={rms['en']}"], ["m-rewardbench"], languages=["ko"]))
    assert [t[0] for t in tried] == [
        "CohereLabsCommunity/multilingual-reward-bench",
        "C4AI-Community/multilingual-reward-bench",
        "aya-rm-multilingual/multilingual-reward-bench",
    ]
    assert tried[0][1:] == ("kor_Hang", "test") and "kor_Hang" in str(e.value)
    with pytest.raises(InputError, match=r"allenai/reward-bench \(split 'filtered'\)"):
        run_eval_rm(_cfg(tmp_path / "b", [f"en={rms['en']}"], ["reward-bench"], languages=["en"]))


def test_local_exports_read_subset_from_source_and_language_from_the_file_name(tmp_path, rms):
    from xlrm.data.builtin import to_rewardbench_row

    pairs = [
        to_rewardbench_row(p) for p in generate(languages=("ko",), split="eval", per_section=PER_SECTION)
    ]
    folder = tmp_path / "mrb" / "kor_Hang"
    folder.mkdir(parents=True)
    # Multilingual RewardBench's own layout: the subset in `source`, no `subset` column
    mrb = [
        {**{k: v for k, v in p.items() if k not in ("subset", "language")}, "source": p["subset"]}
        for p in pairs
    ]
    mrb[0]["chosen"] = "   "  # an empty reply: dropped and counted, not scored
    mrb[1]["rejected"] = mrb[1]["chosen"]  # no difference to rank: dropped as identical
    pq.write_table(pa.Table.from_pylist(mrb), folder / "test-00000-of-00001.parquet")
    out = tmp_path / "eval"
    m = run_eval_rm(_cfg(out, [f"en={rms['en']}"], [tmp_path / "mrb"], plots=False))
    assert m["counts"]["pairs_per_language"] == {"ko": len(pairs)}
    assert m["counts"]["dropped_by_reason"] == {"empty": 1, "identical": 1}
    assert set(m["drop_reasons"]) == {"empty", "identical"}
    assert {r["subset"] for r in _scores(out)} <= {p["subset"] for p in pairs}
    english = tmp_path / "rb.jsonl"  # a RewardBench export has no language column: name it
    english.write_text(
        "".join(json.dumps({k: v for k, v in p.items() if k != "language"}) + "\n" for p in pairs)
    )
    with pytest.raises(InputError, match="no language and the source names none"):
        run_eval_rm(_cfg(tmp_path / "e1", [f"en={rms['en']}"], [english]))
    m = run_eval_rm(_cfg(tmp_path / "e2", [f"en={rms['en']}"], [f"en={english}"], plots=False))
    assert m["counts"]["pairs_per_language"] == {"en": len(pairs)}
