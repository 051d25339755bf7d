"""Reading pair files in the xlrm schema: the one reader every stage uses for its input.

A path is a ``.parquet``, ``.jsonl[.gz]`` or ``.json`` file, or the output folder of a stage that
writes pairs (its manifest names the files). ``read_pairs`` checks the schema and gives an Arrow table with the
``PAIR_SCHEMA`` columns first (missing optional ones as nulls) and any extra columns (a margin,
say) after them; ``read_pair_rows`` gives the rows as dicts, unchecked beyond being JSON objects,
for stages that validate row by row and count what they drop.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from xlrm.data.schema import PAIR_SCHEMA, REQUIRED, pairs_to_table
from xlrm.errors import InputError

SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".json")
_CONVERT_HINT = "convert the data with `xlrm data` first"


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix


def pair_files(path: str | Path) -> list[Path]:
    """The pair files a path stands for: the file itself, or the ``pairs`` outputs that a stage
    folder's manifest names (a folder without a manifest is refused: see xlrm.manifest)."""
    from xlrm import stages
    from xlrm.manifest import upstream_files

    return upstream_files(path, "pairs", producers=stages.producers("pairs"))


def _require_columns(table: pa.Table, path: Path) -> None:
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(
            f"column {missing[0]!r} is missing (columns: {', '.join(table.column_names)})",
            file=str(path),
            field=missing[0],
            hint=_CONVERT_HINT,
        )


def _conform(table: pa.Table, path: Path) -> pa.Table:
    _require_columns(table, path)
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
    for name in table.column_names:
        if name not in PAIR_SCHEMA.names:
            cols.append(table[name])
            fields.append(table.schema.field(name))
    return pa.table(cols, schema=pa.schema(fields))


def _read_bytes(path: Path) -> bytes:
    """The whole file, unpacked: a truncated or damaged file is an error naming it (a pair file is
    a stage's output or a converted file, so a cut means it must be written again)."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except EOFError:
        raise InputError(
            "the compressed file ends early (truncated)", file=str(path), hint="write or copy it again"
        ) from None
    except (gzip.BadGzipFile, zlib.error):
        raise InputError(
            "the file ends in .gz but is not readable gzip data",
            file=str(path),
            hint="write it again, or drop the .gz from its name if it is plain text",
        ) from None
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror or e}", file=str(path)) from None


def _decode(raw: bytes, path: Path, row: int | None = None) -> str:
    try:
        return raw.decode("utf-8-sig")  # -sig: a leading BOM is accepted, as editors write it
    except UnicodeDecodeError as e:
        raise InputError(
            f"not UTF-8 text (byte {e.start})", file=str(path), row=row, hint="re-save the file as UTF-8"
        ) from None


def _json_objects(path: Path) -> list[tuple[int, dict]]:
    """(row number, object) for each pair of a .json array or a JSONL file."""
    raw = _read_bytes(path)
    if _kind(path) == ".json":
        try:
            rows = json.loads(_decode(raw, path))
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", file=str(path), row=e.lineno) from None
        if not isinstance(rows, list):
            raise InputError("a .json input must hold a list of pairs", file=str(path))
        numbered = list(enumerate(rows))
    else:
        numbered = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                numbered.append((n, json.loads(_decode(line, path, n))))
            except json.JSONDecodeError as e:
                raise InputError(f"not valid JSON: {e.msg}", file=str(path), row=n) from None
    for row, pair in numbered:
        if not isinstance(pair, dict):
            raise InputError("a pair must be a JSON object", file=str(path), row=row)
    return numbered


def _read_json_rows(path: Path) -> pa.Table:
    """Row by row, for .json arrays and for JSONL that Arrow refuses (Arrow names no row)."""
    numbered = _json_objects(path)
    for row, pair in numbered:
        for key in ("prompt", "chosen", "rejected"):
            turns = pair.get(key)
            for m in turns if isinstance(turns, list) else []:
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
    if numbered:
        missing = next((k for k in REQUIRED if k not in numbered[0][1]), None)
        if missing:
            raise InputError(
                f"column {missing!r} is missing",
                file=str(path),
                row=numbered[0][0],
                field=missing,
                hint=_CONVERT_HINT,
            )
    try:
        return pairs_to_table([p for _, p in numbered])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        raise InputError(f"not in the xlrm pair schema: {e}", file=str(path), hint=_CONVERT_HINT) from None


def read_pair_file(path: str | Path) -> pa.Table:
    p = Path(path)
    kind = _kind(p)
    if kind == ".parquet":
        try:
            table = pq.read_table(p)
        except (pa.ArrowException, OSError) as e:
            raise InputError(f"cannot read Parquet: {e}", file=str(p)) from None
    elif kind in (".jsonl", ".jsonl.gz"):
        try:
            table = pj.read_json(
                p,
                parse_options=pj.ParseOptions(explicit_schema=PAIR_SCHEMA, unexpected_field_behavior="infer"),
            )
        except (pa.ArrowInvalid, OSError):  # Arrow names no row: read row by row to say where
            table = _read_json_rows(p)
    elif kind == ".json":
        table = _read_json_rows(p)
    else:
        raise InputError(
            f"unknown input format {p.suffix!r}",
            file=str(p),
            hint="pair files are .parquet, .jsonl[.gz] or .json",
        )
    return _conform(table, p)


def _files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return [f for p in paths for f in pair_files(p)]


def read_pair_rows(paths: str | Path | Iterable[str | Path]) -> list[dict]:
    """The rows of one path or several as dicts, in order; a Parquet file must have the
    required columns, a JSON row must be an object, nothing more is checked."""
    rows: list[dict] = []
    for f in _files(paths):
        if _kind(f) == ".parquet":
            try:
                table = pq.read_table(f)
            except (pa.ArrowException, OSError) as e:
                raise InputError(f"cannot read Parquet: {e}", file=str(f)) from None
            _require_columns(table, f)
            rows.extend(table.to_pylist())
        elif _kind(f) in (".jsonl", ".jsonl.gz", ".json"):
            rows.extend(pair for _, pair in _json_objects(f))
        else:
            raise InputError(
                f"unknown input format {f.suffix!r}",
                file=str(f),
                hint="pair files are .parquet, .jsonl[.gz] or .json",
            )
    return rows


def read_pairs(paths: str | Path | Iterable[str | Path]) -> pa.Table:
    """One schema-checked table from one path or several (files or folders), in order."""
    tables = [read_pair_file(f) for f in _files(paths)]
    if not tables:
        raise InputError("no input files given")
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def eval_set_names(paths: Iterable[str | Path]) -> list[str]:
    """Eval set names from file names (stem without .jsonl/.json/.parquet/.gz), made unique."""
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
