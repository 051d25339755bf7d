"""Persistent translation cache: SQLite in WAL mode, one row per translated segment.

The key is a hash of (backend, model, variant, source language, target language, source
text); ``variant`` fingerprints the settings that change the output (prompt template, beams,
retry attempt), so changing them never returns a stale translation. Rows are committed per
batch: a run killed at any point keeps every finished batch and loses at most the one in
flight, and ``INSERT OR IGNORE`` makes a repeated write a no-op.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key      BLOB PRIMARY KEY,
    backend  TEXT NOT NULL,
    model    TEXT NOT NULL,
    variant  TEXT NOT NULL,
    src_lang TEXT NOT NULL,
    tgt_lang TEXT NOT NULL,
    source   TEXT NOT NULL,
    output   TEXT NOT NULL,
    created  REAL NOT NULL
) WITHOUT ROWID
"""
_CHUNK = 500


@dataclass(frozen=True)
class Identity:
    """What, besides the text and the languages, decides a translation."""

    backend: str
    model: str
    variant: str


def _key(ident: Identity, src_lang: str, tgt_lang: str, text: str) -> bytes:
    blob = "\x1f".join((ident.backend, ident.model, ident.variant, src_lang, tgt_lang, text))
    return hashlib.sha256(blob.encode("utf-8")).digest()


class TranslationCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get_many(self, ident: Identity, src_lang: str, tgt_lang: str, texts: Iterable[str]) -> dict[str, str]:
        keys = {_key(ident, src_lang, tgt_lang, t): t for t in texts}
        found: dict[str, str] = {}
        items = list(keys)
        for i in range(0, len(items), _CHUNK):
            chunk = items[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, output in self._db.execute(
                f"SELECT key, output FROM translations WHERE key IN ({marks})", chunk
            ):
                found[keys[key]] = output
        return found

    def put_many(
        self, ident: Identity, src_lang: str, tgt_lang: str, pairs: Iterable[tuple[str, str]]
    ) -> None:
        now = time.time()
        rows = [
            (
                _key(ident, src_lang, tgt_lang, s),
                ident.backend,
                ident.model,
                ident.variant,
                src_lang,
                tgt_lang,
                s,
                o,
                now,
            )
            for s, o in pairs
        ]
        if not rows:
            return
        with self._db:  # one transaction per batch
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO translations VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def count(self, tgt_lang: str | None = None) -> int:
        if tgt_lang is None:
            return self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        return self._db.execute(
            "SELECT COUNT(*) FROM translations WHERE tgt_lang = ?", (tgt_lang,)
        ).fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TranslationCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
