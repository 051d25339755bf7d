"""Hugging Face Hub sources, loaded through `datasets` (optional extra ``xlrm[hub]``).

Short names cover the study's English training mix; any other dataset id works too,
with its format detected from the first row.
"""

from __future__ import annotations

from xlrm.errors import InputError

# alias -> (dataset id, default split, dataset config name, format or None to detect)
KNOWN = {
    "saferlhf": ("PKU-Alignment/PKU-SafeRLHF", "train", None, "pairwise"),
    "helpsteer2": ("nvidia/HelpSteer2", "train", None, "scored"),
    "offsetbias": ("NCSOFT/offsetbias", "train", None, "pairwise"),
    "wildguard": ("allenai/wildguardmix", "train", "wildguardtrain", None),
    "magpie": ("Magpie-Align/Magpie-Llama-3.1-Pro-DPO-100K-v0.1", "train", None, None),
    "m-rewardbench": ("CohereLabs/m-rewardbench", "test", None, "rewardbench"),
}


def resolve(name: str) -> tuple[str, str, str | None, str | None]:
    return KNOWN.get(name.lower(), (name, "train", None, None))


def load_rows(name: str, split: str | None = None, config_name: str | None = None, limit: int | None = None):
    """Rows of a hub dataset as dicts. Offline or unknown datasets fail with a message that
    says how to use a local copy instead."""
    dataset_id, default_split, default_config, _ = resolve(name)
    split = split or default_split
    try:
        import datasets
    except ImportError:
        raise InputError(
            f"hub source {dataset_id!r} needs the `datasets` package",
            hint="pip install 'xlrm[hub]', or export the data set to JSONL/Parquet and use `path:`",
        ) from None
    if limit is not None:
        split = f"{split}[:{limit}]"
    try:
        ds = datasets.load_dataset(dataset_id, config_name or default_config, split=split)
    except Exception as e:  # offline, gated, renamed: all end the same way for the user
        raise InputError(
            f"could not load hub dataset {dataset_id!r} (split {split!r}): {type(e).__name__}: {str(e)[:300]}",
            hint=(
                "without Hub access, save it elsewhere with "
                f"`datasets.load_dataset({dataset_id!r}, split={split!r}).to_parquet('x.parquet')` "
                "and set `path: x.parquet` in this source"
            ),
        ) from None
    return ds
