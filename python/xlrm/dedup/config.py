"""Configuration of the `dedup` stage (the `dedup:` section of a pipeline YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option

MAX_PERM = 1024
MAX_NGRAM = 8
# Same bound as the Rust core (xlrm_core::limits::MAX_THREADS): threads beyond the core count
# only cost start-up time, and 10^5 of them take minutes to start.
MAX_THREADS = 1024


@dataclass
class DedupConfig:
    on: Literal["pair", "prompt"] = option(
        "pair", help="What must match: the whole pair (prompt + chosen + rejected) or the prompt alone"
    )
    exact: bool = option(True, help="Remove exact duplicates (after normalisation)")
    near: bool = option(True, help="Remove near duplicates (MinHash-LSH, verified by estimated Jaccard)")
    threshold: float = option(
        0.8,
        help="Estimated Jaccard similarity at which two rows are near duplicates, "
        "in (0, 1]; also used for near-duplicate decontamination",
    )
    num_perm: int = option(128, help="MinHash signature length (1 to 1024)")
    bands: int = option(0, help="LSH bands; 0 with rows 0 picks bands × rows from the threshold")
    rows: int = option(0, help="LSH rows per band; bands × rows must not exceed num_perm")
    word_ngram: int = option(2, help="Word n-gram size for scripts written with spaces (1 to 8)")
    char_ngram: int = option(3, help="Character n-gram size for Han, Hangul and kana (1 to 8)")
    seed: int = option(1, help="Seed of the MinHash permutations")
    keep: Literal["first", "longest", "margin"] = option(
        "first",
        help="Which row of a duplicate group stays: the first seen, the longest, or the one with "
        "the highest preference margin (see margin_column)",
    )
    margin_column: str = option("margin", help="Numeric column holding the preference margin (keep: margin)")
    nfkc: bool = option(True, help="Unicode NFKC before comparing (full-width forms, ligatures, ...)")
    casefold: bool = option(True, help="Full Unicode case folding before comparing")
    strip_punct: bool = option(False, help="Ignore punctuation in exact matching (near matching always does)")
    ignore_system: bool = option(True, help="Leave system messages out of the comparison")
    eval_sets: list[str] = option(
        [],
        help="Evaluation sets (pair files, stage folders, or `builtin:eval` for the built-in eval split in "
        "the input's languages): training rows whose prompt matches an eval prompt, exactly or nearly, "
        "are removed",
    )
    threads: int = option(
        0,
        help=f"Worker threads (0: all cores; at most {MAX_THREADS}); the result does not depend on it",
        fingerprint=False,
    )
    out: str = option(
        "xlrm-runs/dedup",
        help="Output folder: kept.parquet, removed.parquet, manifest.json",
        fingerprint=False,
    )
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)

    def validate(self) -> None:
        if not (0.0 < self.threshold <= 1.0):
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if not (1 <= self.num_perm <= MAX_PERM):
            raise ValueError(f"num_perm must be between 1 and {MAX_PERM}, got {self.num_perm}")
        if (self.bands == 0) != (self.rows == 0) or self.bands < 0 or self.rows < 0:
            raise ValueError(
                f"give both bands and rows (positive), or neither; got bands={self.bands}, rows={self.rows}"
            )
        if self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands × rows = {self.bands} × {self.rows} = {self.bands * self.rows} exceeds "
                f"num_perm = {self.num_perm}"
            )
        for name in ("word_ngram", "char_ngram"):
            n = getattr(self, name)
            if not (1 <= n <= MAX_NGRAM):
                raise ValueError(f"{name} must be between 1 and {MAX_NGRAM}, got {n}")
        if not (0 <= self.seed < 2**64):
            raise ValueError(f"seed must be in [0, 2^64), got {self.seed}")
        if not (0 <= self.threads <= MAX_THREADS):
            raise ValueError(
                f"threads must be 0 (all cores) or a count up to {MAX_THREADS}, got {self.threads}"
            )
        if self.keep == "margin" and not self.margin_column:
            raise ValueError("keep: margin needs margin_column")
