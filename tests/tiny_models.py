"""Tiny random-weight models built from a config, with a word-level tokenizer trained on the
test's own texts: seconds on a CPU, real transformers code paths."""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = "{% for m in messages %}<s> {{ m['role'] }} {{ m['content'] }} </s>{% endfor %}"


def word_tokenizer(texts):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(
        list(texts) + ["user assistant system"],
        trainer=trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>", "<s>"]),
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", bos_token="<s>"
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_llama(folder: Path, texts, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """A causal-LM Llama with a word tokenizer over ``texts``, saved to ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = word_tokenizer(texts)
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
    )
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def pair_texts(rows) -> list[str]:
    return [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
