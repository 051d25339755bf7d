"""The Hugging Face backends on tiny random-weight models built offline in the test.

Random weights check plumbing, not quality: batching, length sorting, splitting, placeholders,
language codes, caching and resume. The language/length/copy checks are switched off here
(random output is no language); tests/test_translate_openai.py runs them on real translations.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from xlrm.config import from_dict  # noqa: E402
from xlrm.errors import ConfigError  # noqa: E402
from xlrm.translate.backends import make_backend  # noqa: E402
from xlrm.translate.config import TranslateConfig  # noqa: E402
from xlrm.translate.stage import translate  # noqa: E402

CODE = "```bash\nls -la /home\n```"
LONG = (
    "Cats sleep for about twelve to sixteen hours a day. They hunt at dawn and at dusk. "
    "A cat can jump up to six times its length. Cats use their whiskers to sense the world around them."
)
PAIRS = [
    {
        "id": "p1",
        "prompt": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "How do I list files in a directory?"},
        ],
        "chosen": [
            {
                "role": "assistant",
                "content": f"Use the command `ls -la` in your terminal.\n\n{CODE}\nSee https://example.com/docs for details.",
            }
        ],
        "rejected": [{"role": "assistant", "content": "I do not know how to do that."}],
        "language": "en",
        "source": "unit",
        "category": "chat",
        "subset": None,
    },
    {
        "id": "p2",
        "prompt": [{"role": "user", "content": "What is the derivative of $x^2$?"}],
        "chosen": [{"role": "assistant", "content": "The derivative of $x^2$ is $2x$."}],
        "rejected": [{"role": "assistant", "content": "The derivative of $x^2$ is $x$."}],
        "language": "en",
        "source": "unit",
        "category": "reasoning",
        "subset": "math",
    },
    {
        "id": "p3",
        "prompt": [
            {"role": "user", "content": "Tell me a fun fact about cats."},
            {"role": "assistant", "content": "Sure, what kind of fact?"},
            {"role": "user", "content": "Anything about sleep."},
        ],
        "chosen": [{"role": "assistant", "content": LONG}],
        "rejected": [{"role": "assistant", "content": "Cats are a kind of fish that live in the sea."}],
        "language": "en",
        "source": "unit",
        "category": "chat",
        "subset": None,
    },
]
NLLB_CODES = ["eng_Latn", "spa_Latn", "kor_Hang", "ita_Latn"]
MARIAN_CODES = [">>spa<<", ">>kor<<"]


def _tokenizer(extra_specials: list[str], eos_after: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>", "<s>", *extra_specials]
    tk = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [m["content"] for p in PAIRS for f in ("prompt", "chosen", "rejected") for m in p[f]]
    tk.train_from_iterator(corpus, trainer=trainers.WordLevelTrainer(special_tokens=specials))
    if eos_after:
        tk.post_processor = processors.TemplateProcessing(
            single="$A </s>", special_tokens=[("</s>", tk.token_to_id("</s>"))]
        )
    tk.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", bos_token="<s>"
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Tiny models saved as safetensors folders: nllb-style M2M100, Marian (with and without
    language tokens), Llama with a chat template, and a BERT classifier."""
    from transformers import (
        BertConfig,
        LlamaConfig,
        LlamaForCausalLM,
        M2M100Config,
        M2M100ForConditionalGeneration,
        MarianConfig,
        MarianMTModel,
    )

    root = tmp_path_factory.mktemp("tiny-models")
    torch.manual_seed(0)
    out = {}
    small = dict(
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
    )

    tok = _tokenizer(NLLB_CODES, eos_after=True)
    ids = dict(pad_token_id=0, eos_token_id=1, bos_token_id=3, decoder_start_token_id=1)
    m = M2M100ForConditionalGeneration(M2M100Config(vocab_size=len(tok), **small, **ids))
    out["nllb"] = root / "nllb"
    m.save_pretrained(out["nllb"])
    tok.save_pretrained(out["nllb"])

    for name, codes in (("marian-mul", MARIAN_CODES), ("marian-en-es", [])):
        tok = _tokenizer(codes, eos_after=True)
        cfg = MarianConfig(
            vocab_size=len(tok),
            decoder_vocab_size=len(tok),
            **small,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
        out[name] = root / name
        MarianMTModel(cfg).save_pretrained(out[name])
        tok.save_pretrained(out[name])

    tok = _tokenizer([], eos_after=False)
    tok.chat_template = "{% for m in messages %}<s> {{ m['content'] }}{% endfor %}{% if add_generation_prompt %} Sure{% endif %}"
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
    )
    out["llama"] = root / "llama"
    LlamaForCausalLM(cfg).save_pretrained(out["llama"])
    tok.save_pretrained(out["llama"])

    out["bert-cls"] = root / "bert-cls"
    BertConfig(
        vocab_size=30,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        architectures=["BertForSequenceClassification"],
    ).save_pretrained(out["bert-cls"])
    return out


@pytest.fixture
def pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAIRS), encoding="utf-8")
    return path


def config(model, **kw) -> TranslateConfig:
    data = {
        "backend": "hf_seq2seq",
        "model": str(model),
        "languages": ["es", "ko"],
        "batch_size": 2,
        "max_segment_tokens": 14,
        "progress": False,
        "hf": {"device": "cpu", "max_new_tokens": 12, "num_threads": 1},
        "checks": {"language": False, "length_ratio": False, "copy": False, "distinct": False},
    }
    for k, v in kw.items():
        if isinstance(v, dict):
            data.setdefault(k, {}).update(v)
        else:
            data[k] = v
    return from_dict(TranslateConfig, data)


class Recorder:
    """make_backend wrapper that records every batch sent to the model."""

    def __init__(self, fail_after: int | None = None):
        self.batches: list[tuple[str, int, list[str]]] = []
        self.backends = []
        self.fail_after = fail_after

    def __call__(self, cfg, model_id, langs):
        backend = make_backend(cfg, model_id, langs)
        inner = backend.translate

        def translate(texts, src, tgt, attempt=0):
            if self.fail_after is not None and len(self.batches) >= self.fail_after:
                raise RuntimeError("simulated crash")
            self.batches.append((tgt, attempt, list(texts)))
            return inner(texts, src, tgt, attempt)

        backend.translate = translate
        self.backends.append(backend)
        return backend


def read(out, lang):
    return pq.read_table(out / f"{lang}.parquet").to_pylist()


def test_seq2seq_translates_every_message_with_batching_splitting_and_protection(
    models, pairs_file, tmp_path
):
    rec = Recorder()
    out = tmp_path / "out"
    m = translate(pairs_file, out, config(models["nllb"]), make_backend=rec)
    assert m["complete"] and sorted(p.name for p in out.iterdir()) == [
        "en.parquet",
        "es.parquet",
        "ko.parquet",
        "manifest.json",
    ]
    # one model load serves both languages, each through its own forced first token
    assert len(rec.backends) == 1
    backend = rec.backends[0]
    assert backend.family == "nllb"
    vocab = backend.tokenizer.get_vocab()
    assert backend.generation_kwargs("ko", 5, 0)["forced_bos_token_id"] == vocab["kor_Hang"]
    assert backend.generation_kwargs("es", 5, 0)["forced_bos_token_id"] == vocab["spa_Latn"]
    for lang in ("es", "ko"):
        rows = read(out, lang)
        assert [r["id"] for r in rows] == [f"p{i}-{lang}" for i in (1, 2, 3)]
        for src, row in zip(PAIRS, rows, strict=True):
            assert row["language"] == lang and row["source"] == "unit"
            assert row["category"] == src["category"] and row["subset"] == src["subset"]
            for f in ("prompt", "chosen", "rejected"):
                assert [x["role"] for x in row[f]] == [x["role"] for x in src[f]]
        chosen = rows[0]["chosen"][0]["content"]
        assert CODE in chosen and "`ls -la`" in chosen and "https://example.com/docs" in chosen
        assert (
            rows[1]["chosen"][0]["content"].count("$x^2$") == 1 and "$2x$" in rows[1]["chosen"][0]["content"]
        )
        c = m["counts"]["languages"][lang]
        assert c["pairs_out"] == 3 and c["long_splits"] >= 1
        # random weights lose placeholders: the text around the spans is translated on its own instead
        assert c["placeholder_fallbacks"] >= 1
        assert c["translated"] == c["lookups"] and c["cache_hits"] == 0
        assert c["tokens_per_s"] > 0 and c["segments_per_s"] > 0
        sizes = [len(b) for t, _, b in rec.batches if t == lang]
        assert max(sizes) <= 2 and sum(sizes) == c["translated"]
    assert m["counts"]["protected_by_kind"] == {"code_block": 1, "inline_code": 1, "inline_math": 5, "url": 1}
    assert m["counts"]["protected_segments"] == 8
    # batches are length-sorted, longest first, within each round
    first_round = [b for t, _, b in rec.batches if t == "es"][:3]
    lengths = [len(x) for b in first_round for x in b]
    assert lengths == sorted(lengths, reverse=True)
    # the long message was split at sentence boundaries: no segment is over the limit
    assert all(
        n <= backend.segment_limit for n in backend.count_tokens([x for _, _, b in rec.batches for x in b])
    )


def test_rerun_translates_nothing_twice(models, pairs_file, tmp_path):
    out = tmp_path / "out"
    m1 = translate(pairs_file, out, config(models["nllb"]), make_backend=Recorder())
    rec = Recorder()
    m2 = translate(pairs_file, out, config(models["nllb"]), make_backend=rec, force=True)
    assert rec.batches == []
    for lang in ("es", "ko"):
        c1, c2 = m1["counts"]["languages"][lang], m2["counts"]["languages"][lang]
        assert c2["translated"] == 0 and c2["cache_hits"] == c1["lookups"] == c2["lookups"]
    # same input and config: the stage is skipped altogether
    assert translate(pairs_file, out, config(models["nllb"]), make_backend=Recorder())["skipped"]


def test_interrupted_run_resumes_without_loss_or_duplicates(models, pairs_file, tmp_path):
    cfg = config(models["nllb"], languages=["ko"], cache=str(tmp_path / "crash.sqlite"))
    out = tmp_path / "out"
    crashing = Recorder(fail_after=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        translate(pairs_file, out, cfg, make_backend=crashing)
    assert not out.exists()
    done_before = [x for _, _, b in crashing.batches for x in b]
    rec = Recorder()
    m = translate(pairs_file, out, cfg, make_backend=rec)
    done_after = [x for _, _, b in rec.batches for x in b]
    c = m["counts"]["languages"]["ko"]
    assert c["cache_hits"] == len(done_before) == 6
    assert not set(done_before) & set(done_after)
    assert c["translated"] == len(done_after) == c["lookups"] - len(done_before)
    ref = tmp_path / "ref"
    translate(
        pairs_file,
        ref,
        config(models["nllb"], languages=["ko"], cache=str(tmp_path / "ref.sqlite")),
        make_backend=Recorder(),
    )
    assert read(out, "ko") == read(ref, "ko")


def test_causal_backend_x_alma_prompt_and_chat_template(models, pairs_file, tmp_path):
    rec = Recorder()
    cfg = config(models["llama"], backend="hf_causal", languages=["ko"], hf={"chat_template": "never"})
    m = translate(pairs_file, tmp_path / "out", cfg, make_backend=rec)
    backend = rec.backends[0]
    assert backend.prompts(["Hello there."], "en", "ko") == [
        "Translate this from English to Korean:\nEnglish: Hello there.\nKorean:"
    ]
    assert backend.tokenizer.padding_side == "left"
    assert 8 <= backend.segment_limit <= 14
    c = m["counts"]["languages"]["ko"]
    assert c["pairs_out"] == 3 and c["translated"] > 0 and c["output_tokens"] > 0
    assert all(len(b) <= 2 for _, _, b in rec.batches)
    # auto: the tokenizer's chat template wraps the X-ALMA prompt as one user turn
    chat = make_backend(
        config(models["llama"], backend="hf_causal", languages=["ko"]), str(models["llama"]), ["ko"]
    )
    assert chat.use_chat
    assert chat.prompts(["Hi."], "en", "ko") == [
        "<s> Translate this from English to Korean:\nEnglish: Hi.\nKorean: Sure"
    ]
    # different prompts key different cache entries
    assert chat.identity(0) != backend.identity(0) and chat.identity(0) != chat.identity(1)


def test_marian_language_tokens_and_bilingual_models(models, pairs_file, tmp_path):
    rec = Recorder()
    m = translate(pairs_file, tmp_path / "mul", config(models["marian-mul"]), make_backend=rec)
    backend = rec.backends[0]
    assert backend.family == "marian"
    assert backend._prefixed(["Hi"], "ko") == [">>kor<< Hi"] and backend._prefixed(["Hi"], "es") == [
        ">>spa<< Hi"
    ]
    assert m["counts"]["languages"]["es"]["pairs_out"] == 3
    with pytest.raises(ConfigError, match="one model per language"):
        translate(pairs_file, tmp_path / "bi", config(models["marian-en-es"]))
    m = translate(pairs_file, tmp_path / "bi", config(models["marian-en-es"], languages=["es"]))
    assert m["counts"]["languages"]["es"]["pairs_out"] == 3


def test_per_language_models_load_one_at_a_time(models, pairs_file, tmp_path):
    rec = Recorder()
    cfg = config(models["marian-en-es"], languages=["es", "ko"], models={"ko": str(models["marian-mul"])})
    m = translate(pairs_file, tmp_path / "out", cfg, make_backend=rec)
    assert [b.model_id for b in rec.backends] == [str(models["marian-en-es"]), str(models["marian-mul"])]
    assert rec.backends[0].model is None  # released before the next one loaded
    assert m["models"] == {"es": str(models["marian-en-es"]), "ko": str(models["marian-mul"])}


def test_a_classifier_is_not_a_translation_model(models, pairs_file, tmp_path):
    for backend in ("hf_seq2seq", "hf_causal"):
        with pytest.raises(ConfigError, match="BertForSequenceClassification.*not a translation model"):
            translate(pairs_file, tmp_path / backend, config(models["bert-cls"], backend=backend))
    with pytest.raises(ConfigError, match="use backend hf_causal"):
        translate(pairs_file, tmp_path / "x", config(models["llama"]))
    with pytest.raises(ConfigError, match="use backend hf_seq2seq"):
        translate(pairs_file, tmp_path / "y", config(models["nllb"], backend="hf_causal"))
    assert not any(p.name.startswith(("hf_", "x", "y")) for p in tmp_path.iterdir())


def test_missing_model_and_missing_language_token(models, pairs_file, tmp_path):
    with pytest.raises(ConfigError, match="cannot load the translation model"):
        translate(pairs_file, tmp_path / "a", config(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError, match="no token 'zho_Hans' for target 'zh'"):
        translate(pairs_file, tmp_path / "b", config(models["nllb"], languages=["zh"]))
