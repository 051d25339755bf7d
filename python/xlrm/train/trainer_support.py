"""What xlrm's two trainers (reward model and DPO) share around transformers' ``Trainer``.

Both take a ``training:`` mapping checked against their TRL config class, name gradient
checkpointing the way the installed transformers does, record JSON-safe metrics, save the model
folder scoring loads, and launch a unit under ``accelerate launch`` when asked for several
processes. torch, transformers and TRL are imported inside the functions.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from xlrm.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def config_fields(config_class) -> set[str]:
    """The keyword arguments a TRL / transformers config dataclass takes."""
    return {f.name for f in dataclasses.fields(config_class) if f.init}


def check_keys(training: Mapping[str, Any], known: set[str], *, config_name: str, hint: str) -> None:
    """An unknown key in ``training`` → :class:`InputError` naming it (with near matches)."""
    for key in training:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=3)
            maybe = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InputError(f"training: unknown key {key!r} for {config_name}{maybe}", hint=hint)


def checkpointing_names(fields: set[str]) -> tuple[str, str]:
    """The flag and kwargs names of gradient checkpointing in the installed transformers."""
    # transformers 5 renamed gradient_checkpointing* to activation_checkpointing* (old names are
    # deprecated aliases, and TRL still defaults the old one to True).
    if "activation_checkpointing" in fields:
        return "activation_checkpointing", "activation_checkpointing_kwargs"
    return "gradient_checkpointing", "gradient_checkpointing_kwargs"


def jsonable(value):
    """``value`` as JSON can hold it: non-finite floats become null, unknown objects strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def save_trained_model(trainer, tokenizer, template: str, model_dir: Path, lora: bool) -> bool:
    """The model folder scoring loads: full weights (a LoRA adapter merged into them), config with
    the pad token, and the tokenizer carrying the chat template used in training. Returns whether
    the folder holds only an adapter (LoRA with sharded DeepSpeed/FSDP weights, which cannot be
    merged in one process; score it with ``adapter:`` on the base model)."""
    tokenizer.chat_template = template
    main = trainer.is_world_process_zero()
    if main and model_dir.exists():
        shutil.rmtree(model_dir)
    trainer.accelerator.wait_for_everyone()
    model = trainer.accelerator.unwrap_model(trainer.model)
    sharded = trainer.is_deepspeed_enabled or trainer.is_fsdp_enabled
    # the training-time switch-off of the KV cache is not a property of the saved model
    use_cache = getattr(model.config, "use_cache", None)
    if use_cache is not None:
        model.config.use_cache = True
    try:
        if lora and not sharded:
            if main:
                merged = model.merge_and_unload()
                merged.save_pretrained(model_dir)
                tokenizer.save_pretrained(model_dir)
        else:
            # Trainer.save_model gathers sharded weights and writes from the main process only
            trainer.save_model(str(model_dir))
            if main:  # a pickle of the arguments: the metrics already record them as JSON
                (model_dir / "training_args.bin").unlink(missing_ok=True)
    finally:
        if use_cache is not None:
            model.config.use_cache = use_cache
    trainer.accelerator.wait_for_everyone()
    return bool(lora and sharded)


def accelerate_config(name: str) -> Path:
    """A shipped accelerate config (``zero3``, ``fsdp2``, ``ddp``, ``cpu``) or a YAML file."""
    shipped = Path(str(resources.files("xlrm") / "configs" / "accelerate" / f"{name}.yaml"))
    if shipped.is_file():
        return shipped
    if Path(name).is_file():
        return Path(name)
    raise ConfigError(
        f"accelerate_config {name!r} is neither a shipped config (zero3, fsdp2, ddp, cpu) nor a YAML file"
    )


def launch_unit(spec_path: Path, module: str, *, num_processes: int, config: str, metrics: str) -> dict:
    """Run ``python -m <module> <spec_path>`` under ``accelerate launch`` and return the metrics
    JSON the unit wrote beside its spec."""
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(accelerate_config(config)),
        "--num_processes", str(num_processes),
        "-m", module, str(spec_path),
    ]  # fmt: skip
    log.info("launching: %s", " ".join(cmd))
    proc = subprocess.run(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if proc.returncode != 0:
        raise InputError(
            f"accelerate launch of {spec_path.parent} failed (exit {proc.returncode})",
            hint="its output is above; rerun the same command to resume from the last checkpoint",
        )
    return json.loads((spec_path.parent / metrics).read_text(encoding="utf-8"))


@contextmanager
def progress_bars(shown: bool):
    """With ``shown`` False, hide the bars of transformers (weight loading), datasets (map) and
    TRL's own tqdm loops (reference log-probs) for the duration: ``progress: false`` means a
    quiet unit, and the Trainer's ``disable_tqdm`` covers only the training loop."""
    if shown:
        yield
        return
    import datasets.utils.logging as ds_logging
    import transformers.utils.logging as tf_logging

    saved_env = os.environ.get("TQDM_DISABLE")
    tf_on, ds_on = tf_logging.is_progress_bar_enabled(), ds_logging.is_progress_bar_enabled()
    os.environ["TQDM_DISABLE"] = "1"
    tf_logging.disable_progress_bar()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = saved_env
        if tf_on:
            tf_logging.enable_progress_bar()
        if ds_on:
            ds_logging.enable_progress_bar()


def write_unit_metrics(spec_path: Path, metrics: dict, name: str) -> None:
    """Rank 0 writes a unit's metrics beside its spec, atomically (the stage reads them)."""
    if int(os.environ.get("RANK", "0")) != 0:
        return
    out = spec_path.parent / name
    tmp = out.with_suffix(".part")
    tmp.write_text(json.dumps(metrics, indent=1, default=str), encoding="utf-8")
    tmp.replace(out)


# Checkpoint defaults that differ from TRL's, chosen so a run on a laptop CPU works and resumes.
SAVE_STEPS = 200
SAVE_TOTAL_LIMIT = 2


def base_arguments(
    training: dict,
    fields: set[str],
    *,
    out_dir,
    device,
    bf16_weights: bool,
    progress: bool,
    gradient_checkpointing: bool,
) -> tuple[dict, dict]:
    """What both trainers set the same way: ``(defaults, overrides)``. ``training`` loses its
    checkpointing keys (either name, applied through ``overrides`` under the installed name);
    ``defaults`` yield to what ``training`` sets, ``overrides`` do not."""
    gc_name, gc_kwargs_name = checkpointing_names(fields)
    gc_kwargs = training.pop("activation_checkpointing_kwargs", None) or training.pop(
        "gradient_checkpointing_kwargs", None
    )
    for name in ("activation_checkpointing", "gradient_checkpointing", "gradient_checkpointing_kwargs"):
        training.pop(name, None)
    kind = getattr(device, "type", str(device))
    defaults = {
        "output_dir": str(Path(out_dir) / "checkpoints"),
        "report_to": "none",
        "save_strategy": "steps",
        "save_steps": SAVE_STEPS,
        "save_total_limit": SAVE_TOTAL_LIMIT,
        "logging_steps": 1,
        "num_train_epochs": 1,
        "seed": 0,
        "use_cpu": kind == "cpu",
        # bf16 only for bf16 weights on a GPU: TRL's default would turn it on for CPUs too,
        # where it is emulated (minutes become hours)
        "bf16": kind == "cuda" and bf16_weights,
        "disable_tqdm": not progress,
    }
    overrides = {gc_name: bool(gradient_checkpointing), gc_kwargs_name: gc_kwargs or {"use_reentrant": False}}
    return defaults, overrides
