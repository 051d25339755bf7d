"""Reading pair tables in the schema (JSONL, JSON, Parquet) and writing dedup outputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from xlrm.data.schema import PAIR_SCHEMA, REQUIRED, pairs_to_table
from xlrm.errors import InputError


def _suffixes(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def _conform(table: pa.Table, path: Path) -> pa.Table:
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(
            f"not in the xlrm pair schema: missing {', '.join(missing)}",
            file=str(path),
            hint="convert it first with `xlrm data`",
        )
    for name in REQUIRED:
        col = table[name]
        if col.null_count:
            row = int(pc.index(pc.is_null(col), True).as_py())
            raise InputError(
                "missing value",
                file=str(path),
                row=row + 1,
                field=name,
                hint="every pair needs id, prompt, chosen, rejected, language and source",
            )
    cols, fields = [], []
    for f in PAIR_SCHEMA:
        if f.name in table.column_names:
            col = table[f.name]
            if col.type != f.type:
                try:
                    col = col.cast(f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                    raise InputError(
                        f"column has type {col.type}, expected {f.type}: {e}", file=str(path), field=f.name
                    ) from None
        else:
            col = pa.nulls(table.num_rows, f.type)
        cols.append(col)
        fields.append(f)
    for name in table.column_names:  # extra columns (e.g. a margin) ride along
        if name not in PAIR_SCHEMA.names:
            cols.append(table[name])
            fields.append(table.schema.field(name))
    return pa.table(cols, schema=pa.schema(fields))


def _read_json_rows(path: Path) -> pa.Table:
    """Row by row, for .json arrays and for JSONL that Arrow refuses (it names no row)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        if _suffixes(path).endswith(".json"):
            rows = json.load(f)
            if not isinstance(rows, list):
                raise InputError("a .json input must hold a list of pairs", file=str(path))
            numbered = list(enumerate(rows))
        else:
            numbered = [(i, json.loads(line)) for i, line in enumerate(f, 1) if line.strip()]
    for row, pair in numbered:
        for key in ("prompt", "chosen", "rejected"):
            for m in pair.get(key) or []:
                content = m.get("content") if isinstance(m, dict) else None
                if isinstance(content, str):
                    try:
                        content.encode("utf-8")
                    except UnicodeEncodeError:
                        raise InputError(
                            "text contains a lone surrogate (not valid Unicode)",
                            file=str(path),
                            row=row,
                            field=key,
                            hint="repair or drop the row",
                        ) from None
    try:
        return pairs_to_table([p for _, p in numbered])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        raise InputError(f"not in the xlrm pair schema: {e}", file=str(path)) from None


def read_pairs(path: str | Path) -> pa.Table:
    """A schema file (``.parquet``, ``.jsonl[.gz]``, ``.json``) as an Arrow table with
    ``PAIR_SCHEMA`` columns first (missing optional ones as nulls), extra columns kept."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"input {p} does not exist")
    kind = _suffixes(p)
    if kind.endswith(".parquet"):
        table = pq.read_table(p)
    elif kind.endswith(".jsonl"):
        try:
            table = pj.read_json(
                p,
                parse_options=pj.ParseOptions(explicit_schema=PAIR_SCHEMA, unexpected_field_behavior="infer"),
            )
        except pa.ArrowInvalid:
            table = _read_json_rows(p)
    elif kind.endswith(".json"):
        table = _read_json_rows(p)
    else:
        raise InputError("unknown file type; use .parquet, .jsonl or .json", file=str(p))
    return _conform(table, p)


def read_many(paths) -> pa.Table:
    tables = [read_pairs(p) for p in paths]
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def eval_set_names(paths) -> list[str]:
    """Eval set names from file names (stem without .jsonl/.parquet/.gz), made unique."""
    names: list[str] = []
    for p in paths:
        stem = Path(p).name
        for suffix in (".gz", ".jsonl", ".json", ".parquet"):
            stem = stem.removesuffix(suffix)
        name, k = stem, 2
        while name in names:
            name, k = f"{stem}-{k}", k + 1
        names.append(name)
    return names
