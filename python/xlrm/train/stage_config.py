"""``xlrm train-rm`` settings (YAML section ``train_rm:``; every scalar is also a flag)."""

from __future__ import annotations

from dataclasses import dataclass

from xlrm.config import option
from xlrm.models import ModelOptions
from xlrm.train.tokenize import TokenizeConfig

#: A `train_languages` entry that trains one RM on every language mixed (a baseline row).
MULTILINGUAL = "multilingual"


@dataclass
class TrainRMConfig:
    model: ModelOptions = option(ModelOptions(), help="The base model every RM starts from")
    train_languages: list[str] = option(
        ["en"],
        help="One RM per entry, trained on the pairs of that language (ISO 639-1); "
        f"`{MULTILINGUAL}` trains one RM on all of them mixed",
    )
    shared_items_only: bool = option(
        True,
        help="When the languages are parallel (translations sharing an item id), train every language on "
        "the items all of them have, so the RMs differ only in language",
    )
    max_pairs: int | None = option(
        None, help="At most this many training items per language (the first by item id hash); for CPU runs"
    )
    val_fraction: float = option(
        0.1, help="Items held out for validation (split by item id, so every language holds out the same)"
    )
    seed: int = option(42, help="Seed of the split, the head's initialisation and training")
    tokenize: TokenizeConfig = option(TokenizeConfig(), help="Rendering, truncation and length limit")
    training: dict = option(
        {},
        help="Passed to TRL's RewardConfig as it is (learning_rate, num_train_epochs, "
        "per_device_train_batch_size, gradient_accumulation_steps, lr_scheduler_type, bf16, ...)",
    )
    train_top_blocks: int | None = option(
        None, help="Train only the top N decoder blocks, the final norm and the head (cheap CPU runs)"
    )
    lora: dict | None = option(
        None, help="PEFT LoRA settings (r, lora_alpha, lora_dropout, target_modules); task type SEQ_CLS"
    )
    gradient_checkpointing: bool | None = option(
        None, help="Gradient checkpointing (default: from `training:`, else off)"
    )
    num_processes: int = option(
        1, help="Processes (GPUs) per RM; above 1 each RM trains under `accelerate launch`", fingerprint=False
    )
    accelerate_config: str = option(
        "zero3",
        help="With num_processes > 1: `zero3`, `fsdp2`, `ddp` (configs shipped with xlrm) or a YAML path",
        fingerprint=False,
    )
    progress: bool = option(True, help="Progress bars", fingerprint=False)
    out: str = option(
        "xlrm-runs/train-rm",
        help="Output folder: <lang>/model, train_log.json, curves.png",
        fingerprint=False,
    )
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        from xlrm.languages import language

        if not self.train_languages:
            raise ValueError("train_languages: give at least one language")
        if len(set(self.train_languages)) != len(self.train_languages):
            raise ValueError(f"train_languages: duplicate entries in {self.train_languages}")
        for code in self.train_languages:
            if code != MULTILINGUAL:
                try:
                    language(code)
                except Exception as e:  # ConfigError → ValueError so from_dict names the file
                    raise ValueError(f"train_languages: {e}") from None
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.max_pairs is not None and self.max_pairs < 1:
            raise ValueError("max_pairs must be >= 1")
        if self.train_top_blocks is not None and self.train_top_blocks < 0:
            raise ValueError("train_top_blocks must be >= 0")
        if self.train_top_blocks is not None and self.lora is not None:
            raise ValueError("choose one of train_top_blocks and lora")
        if self.num_processes < 1:
            raise ValueError("num_processes must be >= 1")
