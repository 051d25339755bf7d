"""Reading raw rows from local files, each tagged with where it came from.

Rows that cannot even be parsed (a truncated JSONL line, undecodable bytes) are
not exceptions: they come out as ``Problem`` values so the stage can count them
with a reason, or stop on the first one in strict mode.
"""

from __future__ import annotations

import glob
import gzip
import json
import zlib
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
    hint: str = ""  # how to fix it (default: fix the row)
    lenient: str = "drop and count such rows"  # what a run without --strict does instead

    def as_error(self, offer_lenient: bool = True) -> InputError:
        """The error a strict run raises. ``offer_lenient=False`` where no lenient run exists (a
        benchmark is scored whole or not at all): the hint then says only how to fix it."""
        if offer_lenient:
            hint = f"{self.hint or 'fix the row'}, or run without --strict to {self.lenient}"
        else:
            hint = self.hint or "fix or remove the row"
        return InputError(
            f"{self.reason.replace('_', ' ')}: {self.detail}".rstrip(": "),
            file=self.file,
            row=self.row,
            field=self.field,
            hint=hint,
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


BOM = b"\xef\xbb\xbf"  # editors on Windows start UTF-8 files with it; it is not data
#: Errors a damaged gzip stream raises part-way (zlib's, or a bad CRC / trailer at the end).
_DAMAGED = (gzip.BadGzipFile, zlib.error)


def _cannot_read(name: str, e: OSError) -> InputError:
    return InputError(
        f"cannot read the file: {e.strerror or e}",
        file=name,
        hint="check that it exists and that you may read it",
    )


def _open_bytes(path: Path):
    try:
        return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")
    except OSError as e:
        raise _cannot_read(str(path), e) from None


def _not_gzip(name: str) -> InputError:
    return InputError(
        "the file ends in .gz but is not gzip-compressed data",
        file=name,
        hint="recompress it with gzip, or drop the .gz from its name if it is plain text",
    )


def _read_jsonl(path: Path) -> Iterator[Record | Problem]:
    """Rows of a JSONL file. A gzip stream that ends early or is damaged part-way keeps the rows
    before the cut and ends with one ``truncated_file`` / ``corrupt_file`` problem at the cut."""
    name = str(path)
    line_no = 0
    try:
        with _open_bytes(path) as f:
            for line_no, raw in enumerate(f, start=1):
                if line_no == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM) :]
                yield from _jsonl_line(name, line_no, raw)
    except EOFError:
        yield Problem(
            name,
            line_no + 1,
            "truncated_file",
            None,
            f"the compressed file ends early; the {line_no} lines before the cut were read",
            hint="download or copy the file again",
            lenient="keep the rows before the cut",
        )
    except _DAMAGED as e:
        if line_no == 0:
            raise _not_gzip(name) from None
        yield Problem(
            name,
            line_no + 1,
            "corrupt_file",
            None,
            f"the compressed data is damaged after line {line_no} ({e})",
            hint="download or copy the file again",
            lenient="keep the rows before the damage",
        )
    except OSError as e:
        raise _cannot_read(name, e) from None


def _jsonl_line(name: str, line_no: int, raw: bytes) -> Iterator[Record | Problem]:
    if not raw.strip():
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        yield Problem(name, line_no, "undecodable_bytes", None, f"byte {e.start} is not UTF-8")
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        yield Problem(name, line_no, "malformed_json", None, f"{e.msg} at column {e.colno}")
        return
    except RecursionError:  # nesting deeper than Python's stack: not a row anyone meant
        yield Problem(name, line_no, "malformed_json", None, "nested too deeply")
        return
    if not isinstance(obj, dict):
        yield Problem(name, line_no, "not_an_object", None, f"got {type(obj).__name__}")
        return
    yield Record(name, line_no, obj)


def _read_whole(path: Path) -> bytes:
    """A .json[.gz] file's bytes: a JSON document cannot be read in part, so a cut is an error."""
    name = str(path)
    try:
        with _open_bytes(path) as f:
            return f.read()
    except EOFError:
        raise InputError(
            "the compressed file ends early (truncated), and a JSON document cannot be read in part",
            file=name,
            hint="download or copy the file again; JSON Lines (.jsonl) files keep the rows before a cut",
        ) from None
    except _DAMAGED:
        raise _not_gzip(name) from None
    except OSError as e:
        raise _cannot_read(name, e) from None


def _read_json(path: Path) -> Iterator[Record | Problem]:
    name = str(path)
    raw = _read_whole(path)
    try:
        obj = json.loads(raw.decode("utf-8-sig"))  # -sig: a leading BOM is accepted
    except UnicodeDecodeError as e:
        raise InputError(
            f"file is not UTF-8 (byte {e.start})", file=name, hint="re-save it as UTF-8"
        ) from None
    except json.JSONDecodeError as e:
        raise InputError(
            f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
            file=name,
            hint="JSON Lines files must end in .jsonl",
        ) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", file=name) from None
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
    batches = pf.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches, None)
        except Exception as e:  # a damaged page part-way: keep what was read, count the rest
            yield Problem(
                name,
                index + 1,
                "corrupt_file",
                None,
                f"the Parquet data is damaged after row {index} ({e})",
                hint="write the file again",
                lenient="keep the rows before the damage",
            )
            return
        if batch is None:
            return
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
