"""`xlrm analyze` on tiny random models built from a config (seconds on a CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from xlrm.analysis.config import AnalyzeConfig, parse_model_spec  # noqa: E402
from xlrm.analysis.probes import load_probes  # noqa: E402
from xlrm.analysis.stage import run_analyze  # noqa: E402
from xlrm.errors import ConfigError, InputError  # noqa: E402

LANGS = ["en", "es", "ko", "zh"]


def _tokenizer(texts):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(
        texts, trainer=trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>", "<s>"])
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", bos_token="<s>"
    )
    tok.chat_template = "{% for m in messages %}<s> {{ m['role'] }} {{ m['content'] }} </s>{% endfor %}"
    return tok


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny Llama base (causal LM) and two sequence-classification RMs: `copy` has the base's
    backbone exactly, `drift` a perturbed one."""
    from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

    from xlrm.data.builtin import generate

    root = tmp_path_factory.mktemp("tiny-analysis")
    rows = generate(languages=LANGS, split="eval", per_section=3, seed=0)
    texts = [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
    tok = _tokenizer(texts + ["user assistant system"])
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
    )
    base = LlamaForCausalLM(cfg)
    paths = {"base": root / "base", "copy": root / "rm-copy", "drift": root / "rm-drift"}
    base.save_pretrained(paths["base"])
    tok.save_pretrained(paths["base"])
    for name, noise in (("copy", 0.0), ("drift", 0.5)):
        rm = LlamaForSequenceClassification(LlamaConfig(**{**cfg.to_dict(), "num_labels": 1}))
        rm.model.load_state_dict(base.model.state_dict())
        with torch.no_grad():
            for p in rm.model.layers[-1].parameters():
                p.add_(noise * torch.randn_like(p) * p.std())
        rm.save_pretrained(paths[name])
        tok.save_pretrained(paths[name])
    # An RM of another depth (3 layers): `layers: all` cannot pair its layers with the base's.
    deep = LlamaForSequenceClassification(
        LlamaConfig(**{**cfg.to_dict(), "num_labels": 1, "num_hidden_layers": 3})
    )
    paths["deep"] = root / "rm-deep"
    deep.save_pretrained(paths["deep"])
    tok.save_pretrained(paths["deep"])
    probes = root / "probes.jsonl"
    probes.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return {"paths": paths, "probes": probes, "rows": rows}


def _cfg(tiny, out, **kw) -> AnalyzeConfig:
    p = tiny["paths"]
    base = dict(
        base=f"base={p['base']}",
        models=[f"copy={p['copy']}", f"drift={p['drift']}"],
        probes=str(tiny["probes"]),
        max_per_language=8,
        batch_size=5,
        layers=[-1, 1],
        out=str(out),
        device="cpu",
    )
    base.update(kw)
    from xlrm.config import from_dict

    return from_dict(AnalyzeConfig, base)


def _direct_states(path, convs, layer=-1):
    """Last-token hidden states computed one text at a time, without xlrm's batching."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    out = []
    for c in convs:
        enc = tok(tok.apply_chat_template(c, tokenize=False), return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            h = model(**enc, output_hidden_states=True).hidden_states[layer]
        out.append(h[0, -1].numpy().astype(np.float64))
    return np.stack(out)


def test_analyze_end_to_end(tiny, tmp_path):
    out = tmp_path / "analyze"
    cfg = _cfg(tiny, out)
    m = run_analyze(cfg)
    assert not m["skipped"] and m["counts"]["models"] == 3
    table = pq.read_table(out / "metrics.parquet").to_pylist()
    assert len(table) == 3 * 2 * (len(LANGS) + 1)
    # Rows name hidden states by index (0 = embeddings): -1 of a 2-layer model is 2.
    by = {(r["model"], r["layer"], r["language"]): r for r in table}
    assert {r["layer"] for r in table} == {1, 2} and {r["depth"] for r in table} == {0.5, 1.0}
    for lang in [*LANGS, "all"]:
        assert by[("base", 2, lang)]["cka_vs_base"] == 1.0
        copy = by[("copy", 2, lang)]
        assert copy["cka_vs_base"] == pytest.approx(1.0, abs=1e-5)
        assert copy["mean_cosine_vs_base"] == pytest.approx(1.0, abs=1e-5)
        assert copy["top1_share"] == pytest.approx(by[("base", 2, lang)]["top1_share"], rel=1e-4)
        drift = by[("drift", 2, lang)]
        assert 0.0 < drift["cka_vs_base"] < 0.999
        # The drift RM only changed its last layer: layer 1 states equal the base's.
        assert by[("drift", 1, lang)]["cka_vs_base"] == pytest.approx(1.0, abs=1e-5)
        assert 0 < drift["top1_share"] < 1 and drift["effective_rank"] > 1
    assert by[("base", 2, "all")]["n"] == 8 * len(LANGS)

    # Spectra against numpy's SVD of states computed independently, one text at a time.
    probes = load_probes(str(tiny["probes"]), languages=[], max_per_language=8, text="chosen")
    ko = [c for c, lang in zip(probes.conversations, probes.languages, strict=True) if lang == "ko"]
    x = _direct_states(tiny["paths"]["drift"], ko)
    want = np.linalg.svd(x - x.mean(0), compute_uv=False)
    spectra = {
        (r["model"], r["layer"], r["language"]): r for r in pq.read_table(out / "spectra.parquet").to_pylist()
    }
    got = np.asarray(spectra[("drift", 2, "ko")]["singular_values"])
    np.testing.assert_allclose(got[: len(want) - 1], want[:-1], rtol=1e-3, atol=1e-4 * want[0])
    assert by[("drift", 2, "ko")]["norm_mean"] == pytest.approx(np.linalg.norm(x, axis=1).mean(), rel=1e-4)

    doc = json.loads((out / "metrics.json").read_text())
    emb = doc["embedding_norms"]["base"]
    assert set(emb["languages"]) == set(LANGS) and all(v >= 0 for v in emb["w1"].values())
    # The copy RM has the same embeddings, so the same per-language distributions.
    assert doc["embedding_norms"]["copy"]["w1"] == pytest.approx(emb["w1"])
    for name in (
        "spectra_layer2",
        "top1_share_layer2",
        "cka_vs_base_layer2",
        "hidden_norms_layer2",
        "embedding_norms",
        "depth",
    ):
        png = out / "plots" / f"{name}.png"
        assert png.is_file() and png.stat().st_size < 200_000
    assert not (out / "plots" / "spectra_layer1.png").exists()
    assert (out / "metrics.csv").is_file() and "| drift | ko |" in (out / "metrics.md").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    c = manifest["counts"]
    assert c["per_language"] == {lang: 8 for lang in LANGS}
    # probe pairs: every one read is analysed or dropped with its reason
    assert c["out"] == 8 * len(LANGS) and c["in"] == c["out"] + sum(c["dropped_by_reason"].values())
    for t in manifest["model_timings"].values():
        assert t["forward_s"] > 0 and t["stats_s"] > 0 and t["load_s"] > 0
    assert not list(out.glob("states/*"))
    assert run_analyze(cfg)["skipped"]


def test_saved_state_shards_hold_every_row(tiny, tmp_path):
    from safetensors.numpy import load_file

    out = tmp_path / "a"
    run_analyze(
        _cfg(
            tiny,
            out,
            models=[],
            save_states=True,
            shard_rows=7,
            layers=[-1],
            embedding_norms=False,
            plots=False,
            pooling="mean",
            text="both",
            max_per_language=3,
        )
    )
    shards = sorted((out / "states").glob("base-*.safetensors"))
    rows = np.concatenate([load_file(s)["layer_2"] for s in shards])  # -1 of 2 layers
    assert len(shards) == 4 and rows.shape == (3 * len(LANGS) * 2, 32)


def test_no_base_gives_spectra_only(tiny, tmp_path):
    out = tmp_path / "nb"
    run_analyze(
        _cfg(
            tiny,
            out,
            base=None,
            models=[str(tiny["paths"]["drift"])],
            plots=False,
            layers=[-1],
            embedding_norms=False,
            languages=["en", "ko"],
        )
    )
    table = pq.read_table(out / "metrics.parquet").to_pylist()
    assert {r["model"] for r in table} == {"rm-drift"} and {r["language"] for r in table} == {
        "en",
        "ko",
        "all",
    }
    assert all(r.get("cka_vs_base") is None for r in table)


def test_cli_and_bad_input(tiny, tmp_path):
    from xlrm.cli import main

    p = tiny["paths"]
    out = tmp_path / "cli"
    rc = main(
        [
            "analyze",
            f"x={p['drift']}",
            "--base",
            str(p["base"]),
            "--probes",
            str(tiny["probes"]),
            "--max-per-language",
            "3",
            "--plots",
            "false",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0 and (out / "metrics.parquet").is_file()
    with pytest.raises(ConfigError, match="base model"):
        _cfg(tiny, tmp_path / "e", base=None, models=[])
    with pytest.raises(ConfigError, match="unique"):
        _cfg(tiny, tmp_path / "e", models=[f"base={p['drift']}"])
    # What is wrong, in which model, and what fits: before any model is run.
    with pytest.raises(InputError, match=r"layer 7 \(in '7'\) is out of range for model 'base' .* 2 layers"):
        run_analyze(_cfg(tiny, tmp_path / "e", models=[], layers=[7], plots=False))
    with pytest.raises(InputError, match=r"layer -4 \(in '-4--1'\) is out of range .*-1\.\.-3"):
        run_analyze(_cfg(tiny, tmp_path / "e", layers="-4--1", plots=False))
    with pytest.raises(InputError, match="plot_layers: layer 5"):
        run_analyze(_cfg(tiny, tmp_path / "e", plot_layers=[5]))
    with pytest.raises(InputError, match=r"'deep' .* has 3 layers and the base 'base' .* 2.*one to one"):
        run_analyze(_cfg(tiny, tmp_path / "e", models=[f"deep={p['deep']}"], layers="all", plots=False))
    with pytest.raises(ConfigError, match=r"layers: '1-x' is not a layer"):
        _cfg(tiny, tmp_path / "e", layers=[0, "1-x"])
    with pytest.raises(ConfigError, match="layers: give at least one layer"):
        _cfg(tiny, tmp_path / "e", layers=[])
    with pytest.raises(InputError, match="cannot load the config of"):
        run_analyze(_cfg(tiny, tmp_path / "e", models=[f"gone={tmp_path / 'missing'}"], plots=False))
    with pytest.raises(InputError, match="no probe rows"):
        run_analyze(_cfg(tiny, tmp_path / "e", languages=["fr"]))
    with pytest.raises(
        InputError, match=r"no usable rows for language\(s\) fr, de listed in `languages:`.*en \(12\), es"
    ):
        run_analyze(_cfg(tiny, tmp_path / "e", languages=["en", "fr", "de"]))
    assert not (tmp_path / "e").exists()
    assert parse_model_spec("ko=/runs/rm") == ("ko", "/runs/rm")
    assert parse_model_spec("/m/gemma.gguf") == ("gemma", "/m/gemma.gguf")


def test_every_layer_and_depth_plot(tiny, tmp_path):
    import yaml

    from xlrm.cli import main

    p = tiny["paths"]
    out = tmp_path / "all"
    conf = tmp_path / "run.yaml"
    conf.write_text(
        yaml.safe_dump(
            {"analyze": {"layers": "all", "plot_layers": ["-2--1"], "pooling": "mean", "text": "both"}}
        )
    )
    rc = main(
        [
            "analyze",
            f"drift={p['drift']}",
            f"copy={p['copy']}",
            "--base",
            str(p["base"]),
            "--config",
            str(conf),
            "--probes",
            str(tiny["probes"]),
            "--max-per-language",
            "3",
            "--embedding-norms",
            "false",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    table = pq.read_table(out / "metrics.parquet").to_pylist()
    by = {(r["model"], r["layer"], r["language"]): r for r in table}
    assert {r["layer"] for r in table} == {0, 1, 2}  # every hidden state of a 2-layer model
    assert len(table) == 3 * 3 * (len(LANGS) + 1)
    for lang in [*LANGS, "all"]:
        for layer in (0, 1):  # below the perturbed block the RMs' states are the base's
            assert by[("drift", layer, lang)]["cka_vs_base"] == pytest.approx(1.0, abs=1e-5)
            assert by[("drift", layer, lang)]["top1_share"] == pytest.approx(
                by[("base", layer, lang)]["top1_share"], rel=1e-4
            )
        assert by[("drift", 2, lang)]["cka_vs_base"] < 0.999
        assert by[("copy", 2, lang)]["cka_vs_base"] == pytest.approx(1.0, abs=1e-5)
        assert by[("base", 0, lang)]["n"] == (6 if lang != "all" else 6 * len(LANGS))
    plots = {f.name for f in (out / "plots").iterdir()}
    assert "depth.png" in plots and "spectra_layer1.png" in plots and "spectra_layer2.png" in plots
    assert "spectra_layer0.png" not in plots
    doc = json.loads((out / "metrics.json").read_text())
    assert [m["layers"] for m in doc["models"]] == [[0, 1, 2]] * 3
    assert "### layer 0" in (out / "metrics.md").read_text()


def test_last_token_at_the_embedding_layer_is_an_error_row(tiny, tmp_path):
    # Every probe ends in the template's `</s>`: at layer 0 (embeddings) the last-token rows of
    # a language are identical, so there is no centred spectrum. That is a row with an error
    # (and a warning), not a failed run; the depth plot leaves the point out.
    out = tmp_path / "l0"
    run_analyze(_cfg(tiny, out, models=[f"drift={tiny['paths']['drift']}"], layers="0-1", max_per_language=3))
    rows = pq.read_table(out / "metrics.parquet").to_pylist()
    at0 = [r for r in rows if r["layer"] == 0]
    assert at0 and all("identical" in (r["error"] or "") for r in at0)
    assert all(r.get("error") is None for r in rows if r["layer"] == 1)
    assert (out / "plots" / "depth.png").is_file()
    # the Markdown says why layer 0 has no numbers instead of leaving its table empty
    layer0 = (out / "metrics.md").read_text().split("### layer 1")[0]
    assert "Not computed:" in layer0 and "identical" in layer0


def test_layer_specs():
    from xlrm.analysis.layers import parse, resolve

    def res(spec, n=24):
        return resolve(parse(spec), n, model="m")

    assert res("all") == list(range(25))
    assert res("0-12") == list(range(13))
    assert res("-4--1") == [21, 22, 23, 24]
    assert res([0, "6-8", -1]) == [0, 6, 7, 8, 24]
    assert res("0-2, 12,-1") == [0, 1, 2, 12, 24]
    assert res([-1, 24, "23-24"]) == [23, 24]  # duplicates collapse; sorted by depth
    assert res("3--1", 4) == [3, 4]
    with pytest.raises(InputError, match="runs backwards"):
        res("-1-3")
    with pytest.raises(InputError, match="out of range for model m, which has 24 layers"):
        res([25])
    for bad in ("", "1,,2", "x", "1-2-3", True, 1.5, [[1]]):
        with pytest.raises(ValueError):
            parse(bad)


def test_small_n_switch_gives_the_same_metrics(tiny, tmp_path):
    # The streaming d × d path (small_n: false) and the n × n path agree on every metric.
    results = {}
    for small in (True, False):
        out = tmp_path / f"s{small}"
        run_analyze(
            _cfg(tiny, out, small_n=small, layers="all", pooling="mean", plots=False, embedding_norms=False)
        )
        results[small] = {
            (r["model"], r["layer"], r["language"]): r
            for r in pq.read_table(out / "metrics.parquet").to_pylist()
        }
    assert results[True].keys() == results[False].keys()
    for key, a in results[True].items():
        b = results[False][key]
        for m in ("top1_share", "stable_rank", "cka_vs_base", "mean_cosine_vs_base", "sigma1"):
            if a.get(m) is not None:
                assert a[m] == pytest.approx(b[m], rel=1e-4, abs=1e-6), (key, m)


def test_analysis_imports_stay_light():
    code = (
        "import sys, xlrm.analysis.stage, xlrm.analysis.config; "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'matplotlib')))"
    )
    root = Path(__file__).resolve().parents[1] / "python"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "False"
