"""Sources → validated pairs in the schema, with every dropped row accounted for."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
from tqdm.auto import tqdm

from xlrm.data import formats, hub, langid
from xlrm.data.config import DataConfig, SourceConfig
from xlrm.data.formats import Context, Converted
from xlrm.data.records import Problem, Record, expand_paths, from_rows, read_file
from xlrm.data.schema import pairs_to_table
from xlrm.data.validate import REASONS, check_pair, response_text
from xlrm.errors import InputError
from xlrm.languages import normalize_code, require_code
from xlrm.manifest import file_sha256

log = logging.getLogger(__name__)
#: Rows of each file that vote on its format (one odd row does not decide for the whole file).
DETECT_ROWS = 50


class AccountingError(RuntimeError):
    """An xlrm bug: rows were lost between reading and writing. Never a user error."""


@dataclass
class IngestResult:
    table: pa.Table
    problems: list[Problem]
    rows_in: int
    inputs: list[dict]
    per_source: dict[str, dict] = field(default_factory=dict)
    language_method: Counter = field(default_factory=Counter)

    def drop_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(p.reason for p in self.problems).items()))

    def check_accounting(self) -> None:
        """Every row in is a pair out or a counted drop; checked before anything is written."""
        out, dropped = self.table.num_rows, len(self.problems)
        if self.rows_in != out + dropped:
            raise AccountingError(
                f"xlrm bug: {self.rows_in} rows in but {out} pairs out + {dropped} dropped "
                f"({self.drop_counts()}); nothing was written. Please report this with the input."
            )


class _Sink:
    """Collects problems; in strict mode the first one stops the run with its location."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.problems: list[Problem] = []

    def add(self, p: Problem) -> None:
        if self.strict:
            raise p.as_error()
        self.problems.append(p)


def _records_only(
    stream: Iterable[Record | Problem], sink: _Sink, counter: Counter, rename: dict
) -> Iterator[Record]:
    for item in stream:
        counter["rows_in"] += 1
        if isinstance(item, Problem):
            sink.add(item)
            continue
        if rename:
            item = Record(item.file, item.row, {rename.get(k, k): v for k, v in item.data.items()})
        yield item


def file_tags(files: list) -> dict[str, str]:
    """The file's part of generated ids in a source of several files: its name without the
    suffixes, or its whole path where names repeat (a glob over several folders)."""
    if len(files) < 2:
        return {}
    stems = [_stem(f.name) for f in files]
    if len(set(stems)) == len(stems):
        return {str(f): stem for f, stem in zip(files, stems, strict=True)}
    return {str(f): f.as_posix() for f in files}


def _stem(name: str) -> str:
    for suffix in (".gz", ".jsonl", ".json", ".parquet"):
        name = name.removesuffix(suffix)
    return name


def _open_source(src: SourceConfig) -> tuple[Iterable[Record | Problem], list[dict], dict[str, str]]:
    tags: dict[str, str] = {}
    if src.path is not None:
        files = expand_paths(src.path)
        inputs = [{"path": str(f), "sha256": file_sha256(f)} for f in files]
        tags = file_tags(files)
        stream = itertools.chain.from_iterable(read_file(f) for f in files)
    elif src.hub is not None:
        ds = hub.load_rows(src.hub, src.split, src.config_name, src.limit)
        inputs = [
            {
                "hub": hub.resolve(src.hub)[0],
                "split": src.split,
                "fingerprint": getattr(ds, "_fingerprint", None),
            }
        ]
        stream = from_rows(ds, f"hub:{src.hub}")
    else:
        from xlrm.data import builtin

        langs = tuple(require_code(c, "builtin source languages") for c in src.languages)
        rows = builtin.generate(
            languages=langs, split=src.builtin, per_section=src.per_section, seed=src.seed
        )
        inputs = [
            {
                "builtin": src.builtin,
                "languages": list(langs),
                "per_section": src.per_section,
                "seed": src.seed,
            }
        ]
        stream = from_rows(rows, f"builtin:{src.builtin}")
    if src.limit is not None and src.hub is None:
        stream = itertools.islice(stream, src.limit)
    return stream, inputs, tags


def _format_for(src: SourceConfig, head: list[Record]) -> str:
    """The format of one file, from its first rows (or the source's `format:`)."""
    if src.format != "auto":
        return src.format
    name = formats.detect_rows([r.data for r in head])
    if name is None:
        first = head[0]
        raise InputError(
            f"cannot tell the format from the columns {sorted(map(str, first.data))}",
            file=first.file,
            row=first.row,
            hint="set `format:` on this source, or rename columns with `columns: {old: new}`",
        )
    return name


def _convert_source(src: SourceConfig, records: Iterator[Record], ctx: Context, sink: _Sink, converted: list):
    """Detects the format per file (a folder may mix formats) and converts each file's rows;
    formats that pair rows across files (scored) get all their files in one stream.
    Returns {file: format}."""
    per_file: dict[str, str] = {}
    grouped: dict[str, list[Record]] = {}
    bar = tqdm(desc=f"data {ctx.source}", unit=" rows", leave=False, disable=None)

    def collect(items) -> None:
        for item in items:
            bar.update(1)
            if isinstance(item, Problem):
                sink.add(item)
            else:
                converted.append(item)

    for name, recs in itertools.groupby(records, key=lambda r: r.file):
        head = list(itertools.islice(recs, DETECT_ROWS))
        fmt = per_file[name] = _format_for(src, head)
        rows = itertools.chain(head, recs)  # noqa: B031 (the rest of this file, read once)
        if formats.groups_rows(fmt):
            grouped.setdefault(fmt, []).extend(rows)
        else:
            collect(formats.convert(fmt, rows, ctx))
    for fmt, rows in grouped.items():
        collect(formats.convert(fmt, rows, ctx))
    bar.close()
    return per_file


def ingest(cfg: DataConfig) -> IngestResult:
    sink = _Sink(cfg.strict)
    converted: list[Converted] = []
    inputs: list[dict] = []
    per_source: dict[str, dict] = {}
    rows_in = 0
    for src in cfg.sources:
        label = src.label()
        fixed_lang = require_code(src.language, f"source {label}: language") if src.language else None
        stream, src_inputs, tags = _open_source(src)
        ctx = Context(
            source=label,
            language=fixed_lang,
            category=src.category,
            min_margin=src.min_margin,
            columns=src.columns,
            file_tags=tags,
        )
        inputs.extend(src_inputs)
        counter: Counter = Counter()
        records = _records_only(stream, sink, counter, src.columns)
        n_before = len(converted)
        per_file = _convert_source(src, records, ctx, sink, converted)
        rows_in += counter["rows_in"]
        if not per_file:
            log.warning("source %s: no readable rows", label)
        found = sorted(set(per_file.values()))
        info = {
            "rows_in": counter["rows_in"],
            "pairs": len(converted) - n_before,
            "format": found[0] if len(found) == 1 else ("mixed" if found else None),
        }
        if len(found) > 1:
            info["format_per_file"] = per_file
        per_source[label] = info
    return _finish(cfg, converted, sink, rows_in, inputs, per_source)


def _language_text(pair: dict) -> str:
    """The prompt decides a pair's language (responses may quote other languages); a very
    short prompt borrows the chosen response for context."""
    text = pair["prompt"][-1]["content"]
    if len(text) < 40:
        text = f"{text}\n{response_text(pair['chosen'])}"
    return text


def _finish(
    cfg: DataConfig,
    converted: list[Converted],
    sink: _Sink,
    rows_in: int,
    inputs: list[dict],
    per_source: dict,
) -> IngestResult:
    from xlrm.text import equal_normalized

    valid: list[Converted] = []
    for c in converted:
        bad = check_pair(c.pair)
        if bad:
            sink.add(Problem(c.file, c.row, bad[0], bad[1], REASONS[bad[0]]))
        else:
            valid.append(c)

    method: Counter = Counter()
    undetected: list[Converted] = []
    for c in valid:
        lang = c.pair["language"]
        if lang is None:
            undetected.append(c)
            continue
        c.pair["language"] = normalize_code(lang) or lang  # the adapters normalised it already
        method["source"] += 1
    if undetected:
        if not cfg.detect_language:
            for c in undetected:
                sink.add(
                    Problem(
                        c.file,
                        c.row,
                        "missing_language",
                        "language",
                        "no language given and detection is off",
                    )
                )
        else:
            texts = [_language_text(c.pair) for c in undetected]
            for c, code in zip(undetected, langid.detect(texts, tuple(cfg.detect_languages)), strict=True):
                c.pair["language"] = code
                if code is None:
                    sink.add(
                        Problem(
                            c.file,
                            c.row,
                            "language_undetected",
                            "language",
                            "the detector could not decide; set `language:` on the source",
                        )
                    )
                else:
                    method["detected"] += 1
    kept = [c for c in valid if c.pair["language"] is not None]

    if kept:
        same = equal_normalized(
            [response_text(c.pair["chosen"]) for c in kept], [response_text(c.pair["rejected"]) for c in kept]
        )
        out = []
        for c, is_same in zip(kept, same, strict=True):
            if is_same:
                sink.add(
                    Problem(
                        c.file,
                        c.row,
                        "identical_responses",
                        "rejected",
                        "chosen and rejected are the same after whitespace normalisation",
                    )
                )
            else:
                out.append(c)
        kept = out

    seen: set[str] = set()
    final = []
    for c in kept:
        pid = c.pair["id"]
        if pid in seen and c.generated_id:
            pid = _unused(pid, seen)  # a made-up id never costs its row
        elif pid in seen:  # the same item in another language (translated data sets)
            pid = f"{pid}/{c.pair['language']}"
        if pid in seen:
            sink.add(Problem(c.file, c.row, "duplicate_id", "id", f"id {c.pair['id']!r} appears twice"))
            continue
        seen.add(pid)
        c.pair["id"] = pid
        final.append(c.pair)
    return IngestResult(pairs_to_table(final), sink.problems, rows_in, inputs, per_source, method)


def _unused(pid: str, seen: set[str]) -> str:
    k = 2
    while f"{pid}#{k}" in seen:
        k += 1
    return f"{pid}#{k}"
