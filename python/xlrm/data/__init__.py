"""The data layer: one preference-pair schema, format adapters, validation, the `data` stage."""

from xlrm.data.schema import PAIR_SCHEMA, SECTIONS, pairs_to_table, table_to_pairs

__all__ = ["PAIR_SCHEMA", "SECTIONS", "pairs_to_table", "table_to_pairs"]
