"""Configuration of the `data` stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlrm.config import option
from xlrm.data.langid import DEFAULT_LANGUAGES

FormatName = Literal["auto", "xlrm", "trl", "hh", "sharegpt", "rewardbench", "scored", "pairwise"]


@dataclass
class SourceConfig:
    path: str | None = option(None, help="Local file, folder or glob (.json, .jsonl[.gz], .parquet)")
    hub: str | None = option(
        None,
        help="Hub dataset id or short name: saferlhf, helpsteer2, offsetbias, "
        "wildguard, magpie, m-rewardbench",
    )
    builtin: Literal["train", "eval"] | None = option(None, help="The built-in multilingual set (split)")
    name: str | None = option(None, help="Source label stored in each row (default: file stem or dataset id)")
    format: FormatName = option("auto", help="Input format; auto detects it per file from its first rows")
    language: str | None = option(
        None, help="Language of every row (ISO 639-1); unset: from the row or detected"
    )
    category: str | None = option(None, help="Category given to every row that has none")
    split: str | None = option(None, help="Hub split (default: the data set's usual training split)")
    config_name: str | None = option(None, help="Hub dataset config name")
    columns: dict = option({}, help="Rename columns before conversion, {old: new}")
    limit: int | None = option(None, help="Read at most this many rows")
    min_margin: float = option(0.0, help="Scored format: minimum best-minus-worst score for a pair")
    languages: list[str] = option(["en", "es", "it", "ko", "zh"], help="Built-in set: languages")
    per_section: int = option(40, help="Built-in set: items per section and language")
    seed: int = option(0, help="Built-in set: generator seed")

    def validate(self) -> None:
        given = [k for k in ("path", "hub", "builtin") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a source needs exactly one of path, hub, builtin (got {given or 'none'})")
        if self.limit is not None and self.limit <= 0:
            raise ValueError("limit must be positive")

    def label(self) -> str:
        if self.name:
            return self.name
        if self.path:
            from pathlib import Path

            stem = Path(self.path).name
            for suffix in (".gz", ".jsonl", ".json", ".parquet"):
                stem = stem.removesuffix(suffix)
            return stem
        if self.hub:
            return self.hub
        return "xlrm-builtin"


@dataclass
class DataConfig:
    sources: list[SourceConfig] = option([], help="Where the pairs come from (YAML list)")
    out: str = option(
        "xlrm-runs/data", help="Output folder: pairs.parquet, dropped.jsonl, manifest.json", fingerprint=False
    )
    strict: bool = option(False, help="Stop at the first bad row (file, row, field) instead of dropping it")
    detect_language: bool = option(True, help="Detect the language of rows that do not carry one")
    detect_languages: list[str] = option(
        list(DEFAULT_LANGUAGES), help="Candidate languages for detection (ISO 639-1)"
    )
    force: bool = option(False, help="Rerun even if inputs and config are unchanged", fingerprint=False)
