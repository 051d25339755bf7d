"""Prompts for alignment: where they come from and how they split into train and eval.

A prompt is ``{id, language, prompt (chat messages ending with a user turn), source}``. Sources:

- ``x-alpacaeval``: ``zhihz0535/X-AlpacaEval`` (en, es, it, ko, zh; one JSON file per language,
  the same 805 instructions in each, so the row number is the id);
- ``m-arenahard``: ``CohereLabs/m-ArenaHard`` (one config per language, ``question_id`` as id);
- ``builtin``: the prompts of the built-in multilingual set (:mod:`xlrm.data.builtin`), whose
  parallel items share an id stem across languages;
- a local file, folder or glob (JSONL/JSON/Parquet): rows with the prompt as ``prompt`` (text or
  messages, the pair schema's), ``conversations``/``messages`` (messages; a trailing assistant
  turn is cut), ``instruction`` (+ ``input``) or ``turns``; ``id`` / ``question_id`` / ``uid``
  as id (else a hash of the prompt, so the same prompt in several files is one prompt); the
  row's ``language`` or the source's ``lang=`` prefix as language.

The split is by id: every id gets a seeded hash, ids are taken in hash order, the first
``eval`` go to ``eval`` and the next ``train`` to ``train``. When the languages share ids
(parallel sources), only shared ids are used, so every language holds out the same prompts.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa

from xlrm.errors import InputError

X_ALPACAEVAL = "zhihz0535/X-AlpacaEval"
M_ARENAHARD = "CohereLabs/m-ArenaHard"
X_ALPACAEVAL_FILES = {"en": "english", "es": "spanish", "it": "italian", "ko": "korean", "zh": "chinese"}

PROMPT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("language", pa.string()),
        ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("source", pa.string()),
        ("split", pa.string()),
    ]
)
_ID_FIELDS = ("id", "question_id", "uid", "prompt_id")


def _hub_error(dataset: str, what: str, e: Exception) -> InputError:
    return InputError(
        f"could not load the hub prompt set {dataset!r} ({what}): {type(e).__name__}: {str(e)[:300]}",
        hint="without Hub access, export it elsewhere with datasets (`load_dataset(...).to_parquet('p.parquet')`) "
        "and list `lang=p.parquet` in prompts.sources",
    )


def _load_dataset(dataset: str, what: str, **kw):
    try:
        import datasets
    except ImportError:
        raise InputError(
            f"the hub prompt set {dataset!r} needs the `datasets` package",
            hint="pip install 'xlrm[hub]', or list a local prompt file in prompts.sources",
        ) from None
    try:
        return datasets.load_dataset(dataset, **kw)
    except Exception as e:  # offline, gated, renamed: all end the same way for the user
        raise _hub_error(dataset, what, e) from None


def _messages(row: dict, where: str) -> list[dict] | None:
    """The prompt of a row as chat messages ending with a user turn, or None if it has none."""
    value = row.get("prompt")
    if value is None:
        value = row.get("conversations", row.get("messages"))
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value.strip() else None
    if isinstance(value, list) and value:
        msgs = []
        for m in value:
            if not isinstance(m, dict) or not isinstance(m.get("content"), str):
                raise InputError(f"{where}: prompt messages must be {{role, content}} mappings")
            role = m.get("role") or m.get("from") or "user"
            role = {"human": "user", "gpt": "assistant"}.get(role, role)
            msgs.append({"role": role, "content": m["content"]})
        while msgs and msgs[-1]["role"] == "assistant":  # a transcript: its last answer is not the prompt
            msgs.pop()
        return msgs if msgs and msgs[-1]["role"] == "user" and msgs[-1]["content"].strip() else None
    instruction = row.get("instruction")
    if isinstance(instruction, str) and instruction.strip():
        extra = row.get("input")
        text = f"{instruction}\n\n{extra}" if isinstance(extra, str) and extra.strip() else instruction
        return [{"role": "user", "content": text}]
    turns = row.get("turns")
    if isinstance(turns, list) and turns:
        first = turns[0]
        text = first.get("content") if isinstance(first, dict) else first
        if isinstance(text, str) and text.strip():
            return [{"role": "user", "content": text}]
    return None


def _row_id(row: dict, msgs: list[dict]) -> str:
    for f in _ID_FIELDS:
        v = row.get(f)
        if v is not None and str(v) != "":
            return str(v)
    digest = hashlib.sha256(json.dumps(msgs, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return f"prompt-{digest[:16]}"


def _file_rows(spec: str, dropped: Counter) -> list[dict]:
    from xlrm.data.records import Problem, expand_paths, read_file
    from xlrm.languages import normalize_code

    lang, path = None, spec
    head, sep, tail = spec.partition("=")
    if sep and head and "/" not in head and not Path(spec).exists():
        lang, path = head, tail
        if normalize_code(lang) is None:
            raise InputError(
                f"prompt source {spec!r}: {lang!r} is not a language code",
                hint="write lang=path, e.g. ko=p.jsonl",
            )
        lang = normalize_code(lang)
    out = []
    for f in expand_paths(path):
        for rec in read_file(f):
            if isinstance(rec, Problem):
                dropped[rec.reason] += 1
                continue
            where = f"file {rec.file}, row {rec.row}"
            msgs = _messages(rec.data, where)
            if msgs is None:
                dropped["no_prompt"] += 1
                continue
            row_lang = rec.data.get("language")
            code = normalize_code(row_lang) if isinstance(row_lang, str) else None
            if row_lang is not None and code is None:
                raise InputError(
                    f"unknown language {row_lang!r}", file=rec.file, row=rec.row, field="language"
                )
            code = code or lang
            if code is None:
                raise InputError(
                    "the row has no `language` and the source names none",
                    file=rec.file,
                    row=rec.row,
                    hint=f"list the source as lang={path} (e.g. ko={path})",
                )
            out.append(
                {"id": _row_id(rec.data, msgs), "language": code, "prompt": msgs, "source": Path(f).name}
            )
    return out


def _builtin_rows(languages: list[str], opts) -> list[dict]:
    from xlrm.data import builtin
    from xlrm.train.rm_train import item_key

    have = [c for c in languages if c in builtin.LANGUAGES]
    rows = builtin.generate(
        languages=have, split=opts.builtin_split, per_section=opts.builtin_per_section, seed=0
    )
    out, seen = [], set()
    for r in rows:
        key = (item_key(r["id"], r["language"]), r["language"])
        if key in seen:
            continue
        seen.add(key)
        out.append({"id": key[0], "language": r["language"], "prompt": r["prompt"], "source": "builtin"})
    return out


def _hub_rows(name: str, languages: list[str], opts) -> list[dict]:
    out = []
    if name == "x-alpacaeval":
        for lang in languages:
            if lang not in X_ALPACAEVAL_FILES:
                continue
            ds = _load_dataset(
                X_ALPACAEVAL,
                f"language {lang}",
                data_files={"test": f"{X_ALPACAEVAL_FILES[lang]}.json"},
                split="test",
                revision=opts.revision,
            )
            for i, row in enumerate(ds):
                msgs = _messages(row, f"{X_ALPACAEVAL} {lang} row {i}")
                if msgs is not None:
                    # the five files are translations of the same 805 instructions, in the same order
                    out.append(
                        {"id": f"x-alpacaeval/{i:04d}", "language": lang, "prompt": msgs, "source": name}
                    )
    else:
        for lang in languages:
            ds = _load_dataset(M_ARENAHARD, f"config {lang}", name=lang, split="test", revision=opts.revision)
            for i, row in enumerate(ds):
                msgs = _messages(row, f"{M_ARENAHARD} {lang} row {i}")
                if msgs is not None:
                    rid = _row_id(row, msgs) if any(row.get(f) for f in _ID_FIELDS) else f"{i:04d}"
                    out.append({"id": f"m-arenahard/{rid}", "language": lang, "prompt": msgs, "source": name})
    return out


def _hash(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}\x00{key}".encode()).hexdigest()


def load_prompts(opts, languages: list[str]) -> tuple[pa.Table, dict]:
    """Every configured language's prompts with their split (``train``/``eval``), and counts.

    Raises :class:`InputError` when a language has no prompts in the sources, or fewer than
    ``eval + 1`` (at least one training prompt must remain)."""
    from xlrm.align.config import HUB_PROMPTS

    dropped: Counter = Counter()
    rows: list[dict] = []
    for src in opts.sources:
        if src in HUB_PROMPTS:
            rows += _hub_rows(src, languages, opts)
        elif src == "builtin":
            rows += _builtin_rows(languages, opts)
        else:
            rows += _file_rows(src, dropped)
    per_lang: dict[str, dict[str, dict]] = {c: {} for c in languages}
    read = Counter()
    for r in rows:
        read[r["language"]] += 1
        if r["language"] not in per_lang:
            dropped["not_target_language"] += 1
            continue
        if r["id"] in per_lang[r["language"]]:
            dropped["duplicate_id"] += 1  # the first occurrence wins (the same prompt in several files)
            continue
        per_lang[r["language"]][r["id"]] = r
    empty = [c for c in languages if not per_lang[c]]
    if empty:
        have = ", ".join(f"{k} ({v})" for k, v in sorted(read.items())) or "none"
        raise InputError(
            f"no prompts for language {empty[0]!r} in prompts.sources {opts.sources} (languages there: {have})",
            hint="add a source with prompts in that language (lang=path for files whose rows carry no language), "
            "or remove it from languages",
        )
    shared = set.intersection(*(set(p) for p in per_lang.values()))
    parallel = len(languages) > 1 and bool(shared)
    table_rows, split_counts = [], {}
    for lang, prompts in per_lang.items():
        ids = sorted(shared if parallel else prompts, key=lambda i: _hash(i, opts.seed))
        if parallel:
            dropped["not_shared_by_all_languages"] += len(prompts) - len(shared)
        if len(ids) < opts.eval + 1:
            raise InputError(
                f"language {lang!r} has {len(ids)} usable prompts; prompts.eval={opts.eval} held out leaves none to train on",
                hint="lower prompts.eval or add prompts"
                + (" (only ids shared by all languages are used)" if parallel else ""),
            )
        ev, tr = ids[: opts.eval], ids[opts.eval : opts.eval + opts.train]
        dropped["over_limit"] += len(ids) - len(ev) - len(tr)
        split_counts[lang] = {"train": len(tr), "eval": len(ev)}
        for split, chosen in (("eval", ev), ("train", tr)):
            for i in sorted(chosen):
                table_rows.append({**prompts[i], "split": split})
    table = pa.Table.from_pylist(table_rows, schema=PROMPT_SCHEMA)
    counts = {
        "read": dict(sorted(read.items())),
        "parallel": parallel,
        "shared_ids": len(shared) if len(languages) > 1 else None,
        "split": split_counts,
        "dropped": {k: v for k, v in dropped.items() if v},
    }
    return table, counts
