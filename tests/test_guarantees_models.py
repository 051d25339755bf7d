"""Issue 18 for the model layer and the translation checks: a damaged weights file is an error
naming it (not a safetensors or GGUF traceback), and an empty translation never passes."""

from __future__ import annotations

import pytest

from xlrm.config import from_dict
from xlrm.errors import InputError
from xlrm.translate.checks import MessageText, check_pair
from xlrm.translate.config import TranslateConfig


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("transformers")
    from tiny_models import tiny_llama

    return tiny_llama(tmp_path_factory.mktemp("m") / "lm", ["hello world", "goodbye moon"])


def _load(path: str):
    from transformers import AutoModelForCausalLM

    from xlrm.models import load_weights, model_options

    return load_weights(model_options(path), AutoModelForCausalLM, device="cpu")


def test_the_tiny_model_loads(tiny):
    model, _ = _load(str(tiny))
    assert model.config.num_hidden_layers == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_safetensors_file_is_named(tiny, tmp_path, damage):
    import shutil

    folder = tmp_path / "lm"
    shutil.copytree(tiny, folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(b"\x00garbage" * 64 if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(InputError) as e:
        _load(str(folder))
    text = str(e.value)
    assert f"file {weights}" in text and "download or save the model again" in text


def test_a_damaged_gguf_file_is_named(tmp_path):
    pytest.importorskip("transformers")
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 40)
    with pytest.raises(InputError) as e:
        _load(str(bad))
    assert f"file {bad}" in str(e.value)


# --- translation checks -------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["", "   ", "\n\t"])
@pytest.mark.parametrize("source", ["OK.", "Yes", "A much longer message about the weather in Madrid today."])
def test_an_empty_translation_fails_whatever_the_length(source, output):
    opts = from_dict(TranslateConfig, {}).checks
    msgs = [MessageText("chosen", 0, source, output)]
    fails = check_pair(msgs, [output], ["b"], "es", opts, detected={})
    assert fails[0] == ("empty", "chosen", 0)


def test_an_empty_translation_fails_with_every_other_check_off():
    opts = from_dict(
        TranslateConfig,
        {"checks": {"language": False, "length_ratio": False, "copy": False, "distinct": False}},
    ).checks
    assert check_pair([MessageText("prompt", 0, "Hi!", " ")], ["a"], ["b"], "ko", opts, {}) == [
        ("empty", "prompt", 0)
    ]
    # a message without translatable text (code only: nothing left to translate) may stay empty
    assert check_pair([MessageText("prompt", 0, "  ", "")], ["a"], ["b"], "ko", opts, {}) == []


def test_the_translate_stage_drops_empty_translations_of_short_messages(tmp_path):
    import json

    import pyarrow.parquet as pq

    from xlrm.translate.backends.base import Backend, Batch
    from xlrm.translate.stage import translate

    class EmptyForShort(Backend):
        """Translates by upper-casing, but answers short segments with nothing."""

        name, model_id, segment_limit = "empty-for-short", "stub", 64

        def settings(self, attempt):
            return {"attempt": attempt}

        def count_tokens(self, texts):
            return [len(t.split()) + 1 for t in texts]

        def translate(self, texts, src, tgt, attempt=0):
            return Batch(["" if len(t) < 10 else t.upper() for t in texts], len(texts))

    class Stub:
        def detect(self, texts):
            return ["ko"] * len(texts)

    def pair(i, answer):
        return {
            "id": f"p{i}",
            "prompt": [{"role": "user", "content": "Please explain how rainbows are formed in the sky."}],
            "chosen": [{"role": "assistant", "content": answer}],
            "rejected": [{"role": "assistant", "content": "I would rather not say anything about it."}],
            "language": "en",
            "source": "t",
        }

    src = tmp_path / "p.jsonl"
    src.write_text(
        "".join(json.dumps(p) + "\n" for p in (pair(1, "Sunlight refracts in raindrops."), pair(2, "Yes.")))
    )
    cfg = from_dict(
        TranslateConfig,
        {"languages": ["ko"], "progress": False, "on_fail": "drop", "checks": {"copy": False}},
    )
    m = translate(
        src, tmp_path / "out", cfg, make_backend=lambda c, mid, langs: EmptyForShort(), detector=Stub()
    )
    rows = pq.read_table(tmp_path / "out" / "ko.parquet").to_pylist()
    assert [r["id"] for r in rows] == ["p1-ko"]
    assert m["counts"]["languages"]["ko"]["dropped"]["empty"] == 1
