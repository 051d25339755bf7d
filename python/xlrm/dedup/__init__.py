"""Preference-pair dedup and decontamination (Rust core).

``dedup_table(table, config, eval_tables)`` is the entry point for other stages; ``xlrm
dedup`` (``xlrm.dedup.stage``) runs it on files.
"""

from xlrm.dedup.config import DedupConfig
from xlrm.dedup.core import (
    DedupResult,
    dedup_table,
    exact_keys,
    lsh_params,
    signatures,
    table_fields,
    text_field,
)

__all__ = [
    "DedupConfig",
    "DedupResult",
    "dedup_table",
    "exact_keys",
    "lsh_params",
    "signatures",
    "table_fields",
    "text_field",
]
