"""Padding-free reward training: equivalence with TRL's padded RewardTrainer, sequence isolation
inside packed rows, and the training loop end to end (tiny random models on CPU, fp32)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import (  # noqa: E402
    LlamaConfig,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForSequenceClassification,
)
from trl import RewardConfig, RewardTrainer  # noqa: E402

from xlrm.packing import pack_pair_table  # noqa: E402
from xlrm.train.attention import register as register_varlen  # noqa: E402
from xlrm.train.collators import DataCollatorForPackedPreference  # noqa: E402
from xlrm.train.packed_reward_trainer import (  # noqa: E402
    GroupShuffleSampler,
    PackedRewardConfig,
    PackedRewardReader,
    PackedRewardTrainer,
)

VOCAB = 96
ATOL = 1e-4


@pytest.fixture(scope="module")
def tokenizer():
    vocab = {"[PAD]": 0, "[EOS]": 1, **{f"t{i}": i for i in range(2, VOCAB)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[EOS]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", eos_token="[EOS]")


def tiny_model(kind="llama", attn="sdpa", seed=0):
    torch.manual_seed(seed)
    common = dict(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_labels=1,
        pad_token_id=0,
        max_position_embeddings=256,
    )
    if kind == "llama":
        return LlamaForSequenceClassification(LlamaConfig(**common, attn_implementation=attn))
    return Qwen2ForSequenceClassification(Qwen2Config(**common, attn_implementation=attn))


def pairs(n=8, seed=0, lo=3, hi=40, margin=False):
    rng = np.random.default_rng(seed)
    data = {
        "chosen_ids": [rng.integers(2, VOCAB, rng.integers(lo, hi)).tolist() for _ in range(n)],
        "rejected_ids": [rng.integers(2, VOCAB, rng.integers(lo, hi)).tolist() for _ in range(n)],
    }
    if margin:
        data["margin"] = rng.uniform(0, 1, n).round(3).tolist()
    return Dataset.from_dict(data)


def common_args(tmp_path, **kw):
    return dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        bf16=False,
        max_length=None,
        gradient_checkpointing=False,
        disable_dropout=True,
        logging_steps=1,
        save_strategy="no",
        **kw,
    )


def grads(model):
    base = model.model
    out = {"score.weight": model.score.weight.grad.clone()}
    for name, p in base.layers[0].named_parameters():
        out[f"layers.0.{name}"] = p.grad.clone()
    return out


@pytest.mark.parametrize(
    "kind,margin,center,attn",
    [
        ("llama", False, None, "sdpa"),
        ("llama", True, 0.01, "eager"),
        ("qwen2", False, 0.01, "sdpa"),
        ("qwen2", True, None, "xlrm_varlen"),
    ],
)
def test_packed_loss_rewards_and_grads_match_trl(tmp_path, tokenizer, kind, margin, center, attn):
    if attn == "xlrm_varlen":
        register_varlen()
    ds = pairs(8, seed=1, margin=margin)
    base = tiny_model(kind, attn="sdpa" if attn == "xlrm_varlen" else attn)
    padded_model, packed_model = copy.deepcopy(base), copy.deepcopy(base)

    trl = RewardTrainer(
        model=padded_model,
        args=RewardConfig(**common_args(tmp_path / "a", center_rewards_coefficient=center)),
        train_dataset=ds,
        processing_class=tokenizer,
    )
    batch = trl.data_collator([trl.train_dataset[i] for i in range(len(ds))])
    assert batch["attention_mask"].float().mean() < 0.9  # there really is padding to remove
    loss_ref, out_ref = trl.compute_loss(padded_model, dict(batch), return_outputs=True)
    loss_ref.backward()
    rewards_ref = out_ref.logits.squeeze(-1).detach()

    args = PackedRewardConfig(
        **common_args(tmp_path / "b", center_rewards_coefficient=center),
        packing=True,
        packing_capacity=96,
        packed_attn_implementation=attn if attn == "xlrm_varlen" else None,
    )
    packed = PackedRewardTrainer(model=packed_model, args=args, train_dataset=ds, processing_class=tokenizer)
    rows = [packed.train_dataset[i] for i in range(len(packed.train_dataset))]
    assert len(rows) > 1  # several packed rows, concatenated into one padding-free micro-batch
    pb = packed.data_collator(rows)
    assert "attention_mask" not in pb
    # varlen attention: one flat row; mask-based attention: one line per packed row
    assert pb["input_ids"].shape[0] == (1 if attn == "xlrm_varlen" else len(rows))
    loss, out = packed.compute_loss(packed_model, dict(pb), return_outputs=True)
    loss.backward()

    assert abs(loss.item() - loss_ref.item()) < ATOL
    order = np.concatenate([r["pair_index"] for r in packed.train_dataset.select(range(len(rows)))])
    n = len(order)
    got = out.logits.squeeze(-1).detach()
    assert torch.allclose(got[:n], rewards_ref[:8][order], atol=ATOL)  # chosen
    assert torch.allclose(got[n:], rewards_ref[8:][order], atol=ATOL)  # rejected
    g_ref, g = grads(padded_model), grads(packed_model)
    for name in g_ref:
        assert torch.allclose(g[name], g_ref[name], atol=ATOL), name


@pytest.mark.parametrize(
    "attn,layout",
    [("sdpa", "flat"), ("sdpa", "rows"), ("eager", "rows"), ("xlrm_varlen", "flat"), ("xlrm_varlen", "rows")],
)
def test_changing_one_sequence_leaves_its_row_neighbours_unchanged(attn, layout):
    if attn == "xlrm_varlen":
        register_varlen()
    model = tiny_model("llama", attn="sdpa").eval()
    if attn != "sdpa":
        model.set_attn_implementation(attn)
    ds = pairs(6, seed=3, lo=5, hi=20)
    table, _ = pack_pair_table(ds.data.table, capacity=400)
    assert table.num_rows == 1  # all 12 sequences share one packed row
    row = table.to_pylist()[0]
    short = {"input_ids": [5, 6, 7, 8], "seq_lengths": [2, 2]}  # a second, shorter row: padded in "rows"
    collate = DataCollatorForPackedPreference(layout=layout)
    reader = PackedRewardReader()

    def rewards(r):
        with torch.no_grad():
            c, rj, _ = reader(model, collate([r, short]))
        return torch.stack([c, rj], 1).reshape(-1)[:-2]  # sequence order: c0, r0, c1, r1, ...

    before = rewards(row)
    k = 5  # a sequence in the middle of the row
    start = int(np.sum(row["seq_lengths"][:k]))
    changed = dict(row, input_ids=list(row["input_ids"]))
    pos = start + row["seq_lengths"][k] // 2
    changed["input_ids"][pos] = (changed["input_ids"][pos] + 1 - 2) % (VOCAB - 2) + 2
    after = rewards(changed)
    others = [i for i in range(len(before)) if i != k]
    assert torch.equal(before[others], after[others]) or torch.allclose(
        before[others], after[others], atol=1e-6
    )
    assert abs(before[k] - after[k]) > 1e-5  # the edited sequence itself does move

    # reading at the last token matches running every sequence alone
    seqs = np.split(np.array(row["input_ids"]), np.cumsum(row["seq_lengths"])[:-1])
    with torch.no_grad():
        alone = torch.tensor(
            [model(input_ids=torch.tensor(s)[None], use_cache=False).logits.item() for s in seqs]
        )
    assert torch.allclose(before, alone, atol=1e-5)


def test_one_training_step_matches_trl(tmp_path, tokenizer):
    """The whole Trainer loop (optimizer, gradient checkpointing): one step on the same 8 pairs
    gives the same weights packed and padded."""
    ds = pairs(8, seed=5)
    base = tiny_model("qwen2")
    m_ref, m_packed = copy.deepcopy(base), copy.deepcopy(base)
    kw = dict(
        max_steps=1,
        learning_rate=1e-2,
        optim="sgd",
        lr_scheduler_type="constant",
        gradient_checkpointing=True,
    )
    ref = RewardTrainer(
        model=m_ref,
        args=RewardConfig(**{**common_args(tmp_path / "a"), **kw}, per_device_train_batch_size=8),
        train_dataset=ds,
        processing_class=tokenizer,
    )
    ref.train()
    args = PackedRewardConfig(
        **{**common_args(tmp_path / "b"), **kw}, per_device_train_batch_size=1, packing_capacity=4096
    )
    packed = PackedRewardTrainer(model=m_packed, args=args, train_dataset=ds, processing_class=tokenizer)
    assert len(packed.train_dataset) == 1
    packed.train()
    for (name, a), (_, b) in zip(m_ref.named_parameters(), m_packed.named_parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-5), name
    logged = [h for h in packed.state.log_history if "loss" in h]
    ref_logged = [h for h in ref.state.log_history if "loss" in h]
    assert abs(logged[0]["loss"] - ref_logged[0]["loss"]) < ATOL
    assert logged[0]["accuracy"] == ref_logged[0]["accuracy"]
    # tokens counted without padding
    assert packed._total_train_tokens == sum(map(len, ds["chosen_ids"])) + sum(map(len, ds["rejected_ids"]))


def test_packing_false_is_plain_trl(tmp_path, tokenizer):
    ds = pairs(4)
    args = PackedRewardConfig(**common_args(tmp_path), packing=False)
    t = PackedRewardTrainer(model=tiny_model(), args=args, train_dataset=ds, processing_class=tokenizer)
    assert "chosen_ids" in t.train_dataset.column_names and not t.packing_stats
    batch = t.data_collator([t.train_dataset[i] for i in range(4)])
    assert "attention_mask" in batch
    assert torch.isfinite(t.compute_loss(t.model, batch))


def test_packing_stats_and_oversize(tmp_path, tokenizer):
    ds = pairs(30, seed=2, lo=5, hi=60)
    args = PackedRewardConfig(**common_args(tmp_path), packing_capacity=128, packing_oversize="drop")
    t = PackedRewardTrainer(model=tiny_model(), args=args, train_dataset=ds, processing_class=tokenizer)
    s = t.packing_stats["train"]
    assert s.items == 30 and s.tokens <= s.bins * 128 and s.efficiency > 0.5
    args = PackedRewardConfig(**common_args(tmp_path), packing_capacity=20)
    with pytest.raises(ValueError, match="more than the bin capacity 20"):
        PackedRewardTrainer(model=tiny_model(), args=args, train_dataset=ds, processing_class=tokenizer)
    with pytest.raises(ValueError, match="packing_oversize"):
        PackedRewardConfig(**common_args(tmp_path), packing_oversize="truncate")


def test_group_shuffle_sampler_keeps_groups():
    s = GroupShuffleSampler(10, 4, seed=1)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and first[-2:] == [8, 9]
    for order in (first, second):
        groups = [order[i : i + 4] for i in range(0, 8, 4)]
        assert all(g == list(range(g[0], g[0] + 4)) and g[0] % 4 == 0 for g in groups)
    s.set_epoch(0)
    assert list(s) == first


def test_collator_errors():
    c = DataCollatorForPackedPreference()
    with pytest.raises(ValueError, match="whole pairs"):
        c([{"input_ids": [1, 2, 3], "seq_lengths": [3]}])
    with pytest.raises(ValueError, match="seq_lengths sum"):
        c([{"input_ids": [1, 2, 3], "seq_lengths": [1, 1]}])
    with pytest.raises(ValueError, match="'seq_lengths'"):
        c([{"input_ids": [1]}])
    rows = [{"input_ids": [5, 6, 7], "seq_lengths": [2, 1]}, {"input_ids": [8, 9], "seq_lengths": [1, 1]}]
    b = c(rows)
    assert b["position_ids"].tolist() == [[0, 1, 0, 0, 0]]
    assert b["chosen_index"].tolist() == [1, 3] and b["rejected_index"].tolist() == [2, 4]
    assert b["cu_seq_lens_q"].tolist() == [0, 2, 3, 4, 5] and b["max_length_q"] == 2
    r = DataCollatorForPackedPreference(layout="rows", pad_token_id=0)(rows)
    assert r["input_ids"].tolist() == [[5, 6, 7], [8, 9, 0]]
    assert r["position_ids"].tolist() == [[0, 1, 0], [0, 0, 0]]
    assert r["chosen_index"].tolist() == [1, 3] and r["rejected_index"].tolist() == [2, 4]
    assert int(r["num_real_tokens"]) == 5 and "cu_seq_lens_q" not in r
    with pytest.raises(ValueError, match="layout"):
        DataCollatorForPackedPreference(layout="nested")


def test_train_and_evaluate_packed_bf16(tmp_path, tokenizer):
    """bf16 autocast, gradient checkpointing, evaluation through Trainer.prediction_step."""
    train, evald = pairs(24, seed=7), pairs(6, seed=8)
    args = PackedRewardConfig(
        **{**common_args(tmp_path), "gradient_checkpointing": True, "bf16": True},
        max_steps=3,
        per_device_train_batch_size=1,
        per_device_eval_batch_size=2,
        packing_capacity=160,
    )
    t = PackedRewardTrainer(
        model=tiny_model("llama"),
        args=args,
        train_dataset=train,
        eval_dataset=evald,
        processing_class=tokenizer,
    )
    t.train()
    losses = [h["loss"] for h in t.state.log_history if "loss" in h]
    assert len(losses) == 3 and all(np.isfinite(losses))
    metrics = t.evaluate()
    assert np.isfinite(metrics["eval_loss"]) and 0.0 <= metrics["eval_accuracy"] <= 1.0
    assert t.packing_stats["eval"].items == 6


def test_lora_packed_step(tmp_path, tokenizer):
    peft = pytest.importorskip("peft")
    cfg = peft.LoraConfig(
        r=4, target_modules=["q_proj", "v_proj"], task_type="SEQ_CLS", modules_to_save=["score"]
    )
    args = PackedRewardConfig(**common_args(tmp_path), max_steps=1, packing_capacity=128)
    t = PackedRewardTrainer(
        model=tiny_model("llama"),
        args=args,
        train_dataset=pairs(8),
        processing_class=tokenizer,
        peft_config=cfg,
    )
    t.train()
    assert np.isfinite([h["loss"] for h in t.state.log_history if "loss" in h][0])
