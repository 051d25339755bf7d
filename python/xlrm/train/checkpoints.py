"""Finding the checkpoint a rerun resumes from.

A run killed while the Trainer writes ``checkpoint-N`` leaves a folder without a readable
``trainer_state.json`` (the Trainer writes it last, after the weights, optimizer and RNG
states). transformers' ``get_last_checkpoint`` returns that folder anyway and resuming fails
with "Can't find a valid checkpoint"; xlrm resumes from the newest complete one instead.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def is_complete(folder: Path) -> bool:
    """Whether the Trainer finished writing this checkpoint (its state file is whole JSON)."""
    try:
        json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def last_complete_checkpoint(ckpt_dir: Path | str) -> str | None:
    """The newest complete ``checkpoint-N`` under ``ckpt_dir``; None when there is none.

    Incomplete ones are skipped (and logged), not deleted: every rank of a distributed run calls
    this, and the Trainer overwrites the folder when it saves that step again."""
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return None
    steps = sorted(
        ((int(m.group(1)), p) for p in ckpt_dir.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))),
        reverse=True,
    )
    for _, folder in steps:
        if is_complete(folder):
            return str(folder)
        log.warning("%s was not finished (the run was stopped while saving it); skipping it", folder)
    return None
