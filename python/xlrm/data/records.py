"""Reading raw rows from local files, each tagged with where it came from.

Rows that cannot even be parsed (a truncated JSONL line, undecodable bytes) are
not exceptions: they come out as ``Problem`` values so the stage can count them
with a reason, or stop on the first one in strict mode.
"""

from __future__ import annotations

import glob
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xlrm.errors import InputError

SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".parquet")


@dataclass(frozen=True)
class Record:
    """One raw row; ``row`` is the 1-based line for JSONL, the 1-based item index otherwise."""

    file: str
    row: int
    data: dict


@dataclass(frozen=True)
class Problem:
    """A row that was dropped, and why. ``reason`` is a stable key counted in manifests."""

    file: str
    row: int | None
    reason: str
    field: str | None = None
    detail: str = ""

    def as_error(self) -> InputError:
        return InputError(
            f"{self.reason.replace('_', ' ')}: {self.detail}".rstrip(": "),
            file=self.file,
            row=self.row,
            field=self.field,
            hint="fix the row, or run without --strict to drop and count such rows",
        )

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "row": self.row,
            "reason": self.reason,
            "field": self.field,
            "detail": self.detail,
        }


def expand_paths(spec: str) -> list[Path]:
    """A file, a folder (its supported files) or a glob → sorted files; none found is an error."""
    p = Path(spec)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.name.endswith(SUFFIXES))
    elif any(ch in spec for ch in "*?["):
        files = sorted(Path(f) for f in glob.glob(spec, recursive=True) if f.endswith(SUFFIXES))
    else:
        files = [p] if p.is_file() else []
    if not files:
        raise InputError(
            "no such file (or no .jsonl/.json/.parquet file matches)",
            file=spec,
            hint="check the path; globs like data/*.jsonl and folders are accepted",
        )
    for f in files:
        if not f.name.endswith(SUFFIXES):
            raise InputError(f"unsupported file type; use one of {', '.join(SUFFIXES)}", file=str(f))
    return files


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _read_jsonl(path: Path) -> Iterator[Record | Problem]:
    name = str(path)
    with _open_bytes(path) as f:
        for line_no, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield Problem(name, line_no, "undecodable_bytes", None, f"byte {e.start} is not UTF-8")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                yield Problem(name, line_no, "malformed_json", None, f"{e.msg} at column {e.colno}")
                continue
            if not isinstance(obj, dict):
                yield Problem(name, line_no, "not_an_object", None, f"got {type(obj).__name__}")
                continue
            yield Record(name, line_no, obj)


def _read_json(path: Path) -> Iterator[Record | Problem]:
    name = str(path)
    with _open_bytes(path) as f:
        raw = f.read()
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"file is not UTF-8 (byte {e.start})", file=name) from None
    except json.JSONDecodeError as e:
        raise InputError(
            f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
            file=name,
            hint="JSON Lines files must end in .jsonl",
        ) from None
    if isinstance(obj, dict) and all(isinstance(v, list) for v in obj.values()):
        # A mapping of group -> rows (e.g. OffsetBias's bias type -> items): keep the group.
        index = 0
        for group, items in obj.items():
            for item in items:
                index += 1
                if isinstance(item, dict):
                    yield Record(name, index, {"_group": group, **item})
                else:
                    yield Problem(name, index, "not_an_object", None, f"got {type(item).__name__}")
        return
    if not isinstance(obj, list):
        raise InputError("expected a JSON list of rows (or a mapping of group to rows)", file=name)
    for index, item in enumerate(obj, start=1):
        if isinstance(item, dict):
            yield Record(name, index, item)
        else:
            yield Problem(name, index, "not_an_object", None, f"got {type(item).__name__}")


def _read_parquet(path: Path) -> Iterator[Record | Problem]:
    import pyarrow.parquet as pq

    name = str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise InputError(f"not a readable Parquet file ({e})", file=name) from None
    index = 0
    for batch in pf.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            index += 1
            yield Record(name, index, row)


def read_file(path: Path) -> Iterator[Record | Problem]:
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return _read_jsonl(path)
    if path.name.endswith((".json", ".json.gz")):
        return _read_json(path)
    return _read_parquet(path)


def from_rows(rows, name: str) -> Iterator[Record]:
    """Rows already in memory (a hub dataset, a generator) as records."""
    for index, row in enumerate(rows, start=1):
        yield Record(name, index, dict(row))
