"""Evaluation pairs for ``xlrm eval-rm``: Multilingual RewardBench, RewardBench, local exports of
either, and the built-in evaluation split, as one table in the xlrm pair schema.

Sources (``data:`` entries):

- ``m-rewardbench``: the hub data set (``CohereLabsCommunity/multilingual-reward-bench``, formerly
  ``C4AI-Community/…`` and ``aya-rm-multilingual/…``: tried in that order), one config per language
  (``kor_Hang``), split ``test``;
- ``reward-bench``: ``allenai/reward-bench``, split ``filtered`` (English);
- ``builtin:eval``: xlrm's built-in evaluation split (en, es, it, ko, zh);
- anything else is a local file, folder (searched recursively) or glob of ``.jsonl``/``.json``/
  ``.parquet`` exports of either benchmark, or xlrm pair files. ``lang=path`` gives the language
  of rows that have no ``language`` column; otherwise a file or folder named after a
  config (``kor_Hang.parquet``, ``kor_Hang/test-….parquet``) or an ISO code (``ko.jsonl``) names it.

Rows: ``prompt`` (text, or chat messages), ``chosen`` and ``rejected`` (text or assistant messages),
``id``, ``language`` (ISO or config code) and the RewardBench subset, read from ``subset`` or, as
Multilingual RewardBench writes it, ``source``; when both exist the one holding a known subset wins.

A structurally broken row (missing field, unknown language, duplicate id) is an error naming the
file, row and field: a benchmark with such rows cannot be scored faithfully. A pair with an empty
prompt, chosen or rejected text is dropped with reason ``empty`` and counted per language.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from xlrm.errors import ConfigError, InputError

MRB_REPOS = (
    "CohereLabsCommunity/multilingual-reward-bench",
    "C4AI-Community/multilingual-reward-bench",
    "aya-rm-multilingual/multilingual-reward-bench",
)
MRB_SPLIT = "test"
RB_REPOS = ("allenai/reward-bench",)
RB_SPLIT = "filtered"
SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".parquet")


@dataclass
class EvalData:
    """Pairs in the xlrm schema, with per-language counts of what was read and dropped."""

    table: pa.Table
    read: Counter = field(default_factory=Counter)  # language -> rows read (before drops)
    dropped: dict[str, Counter] = field(default_factory=dict)  # language -> reason -> rows
    sources: list[dict] = field(default_factory=list)  # per source: what it gave

    @property
    def languages(self) -> list[str]:
        from xlrm.eval.scoring import ordered

        return ordered(self.read)


# ---------------------------------------------------------------------------------------------
# Source specs


def _split_language(spec: str) -> tuple[str | None, str]:
    """``lang=path`` → (ISO code, path); a plain path → (None, path)."""
    if "=" in spec and not spec.startswith(("/", ".")):
        lang, path = spec.split("=", 1)
        from xlrm.languages import normalize_code

        iso = "en" if lang == "eng_Latn" else normalize_code(lang)
        if iso is None:
            raise ConfigError(f"data source {spec!r}: unknown language {lang!r} before '='")
        return iso, path
    return None, spec


def _local_files(path: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f
            for f in p.rglob("*")
            if f.is_file() and f.name.endswith(SUFFIXES) and not any(x.startswith(".") for x in f.parts)
        )
        if not files:
            raise InputError(
                "folder holds no .jsonl/.json/.parquet file", file=str(p), hint="export the benchmark first"
            )
        return files
    from xlrm.data.records import expand_paths

    return expand_paths(path)


def _is_hub(spec: str) -> bool:
    return spec in ("m-rewardbench", "reward-bench")


def _check_source(spec: str) -> None:
    if spec.startswith("builtin:") and spec != "builtin:eval":
        raise ConfigError(
            f"data source {spec!r}: the built-in evaluation split is builtin:eval (builtin:train is training data)"
        )
    if not _is_hub(spec) and not spec.startswith("builtin:"):
        _, path = _split_language(spec)
        if not Path(path).exists() and not any(ch in path for ch in "*?["):
            raise InputError(
                "no such data file or folder",
                file=path,
                hint="data: takes m-rewardbench, reward-bench, builtin:eval, or a local export (file, folder, glob)",
            )


def mrb_configs(wanted: list[str] | None) -> list[str]:
    """The Multilingual RewardBench configs to load for the wanted ISO codes (None: all 23)."""
    from xlrm.languages import BY_MRB, LANGUAGES, MRB_CONFIGS

    if wanted is None:
        return list(MRB_CONFIGS)
    return [LANGUAGES[c].mrb for c in wanted if c in LANGUAGES and LANGUAGES[c].mrb in BY_MRB]


def _builtin_rows(per_section: int, wanted: list[str] | None) -> list[dict]:
    from xlrm.data.builtin import LANGUAGES, generate

    langs = [lang for lang in LANGUAGES if wanted is None or lang in wanted]
    return generate(languages=langs, split="eval", per_section=per_section, seed=0) if langs else []


def describe_sources(
    data: list[str], wanted: list[str] | None, *, builtin_per_section: int, limit: int
) -> list[dict]:
    """What the data is, for a fingerprint: local files by content hash, hub sources by id, config
    and split, the built-in split by a hash of its rows (cheap to generate)."""
    from xlrm.manifest import describe_path

    out: list[dict] = []
    for spec in data:
        _check_source(spec)
        if spec == "m-rewardbench":
            out.append(
                {"hub": spec, "repos": list(MRB_REPOS), "configs": mrb_configs(wanted), "split": MRB_SPLIT}
            )
        elif spec == "reward-bench":
            out.append({"hub": spec, "repos": list(RB_REPOS), "split": RB_SPLIT})
        elif spec == "builtin:eval":
            rows = _builtin_rows(builtin_per_section, wanted)
            digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            out.append({"builtin": "eval", "per_section": builtin_per_section, "sha256": digest})
        else:
            lang, path = _split_language(spec)
            for f in _local_files(path):
                out.append({**describe_path(f, role="data"), "language": lang})
    return [{"languages": wanted or "all", "limit": limit}, *out]


# ---------------------------------------------------------------------------------------------
# Reading


def _hub_dataset(repos: tuple[str, ...], config: str | None, split: str):
    try:
        import datasets
    except ImportError:
        raise InputError(
            f"the hub data set {repos[0]} needs the `datasets` package",
            hint="pip install 'xlrm[hub]', or pass a local export of the data set in data:",
        ) from None
    errors = []
    for repo in repos:
        try:
            return repo, datasets.load_dataset(repo, config, split=split)
        except Exception as e:  # offline, renamed, gated: try the next name, then explain
            errors.append(f"{repo}: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")
    what = f"config {config!r}, " if config else ""
    example = f"{config}.parquet" if config else "reward-bench.parquet"
    args = f"{repos[0]!r}, {config!r}, " if config else f"{repos[0]!r}, "
    raise InputError(
        f"could not load {repos[0]} ({what}split {split!r}) from the Hugging Face Hub; tried "
        + "; ".join(errors),
        hint=(
            'on a machine with Hub access export it with python -c "import datasets; '
            f"datasets.load_dataset({args}split={split!r}).to_parquet('exports/{example}')\" "
            "(one file per language for m-rewardbench), copy the folder here and pass it in data: "
            "(e.g. --data exports); a file named after its config (kor_Hang.parquet) gets that language"
        ),
    )


def _language_from_path(f: Path) -> str | None:
    from xlrm.languages import BY_MRB, LANGUAGES

    for name in (f.name.split(".")[0], f.parent.name):
        if name in BY_MRB:
            return BY_MRB[name].code
        if name == "eng_Latn":
            return "en"
        if name in LANGUAGES:
            return name
    return None


def _messages(value, role: str, file: str, row: int, name: str) -> list[dict]:
    from xlrm.data.formats._common import RowError, assistant, messages

    try:
        if isinstance(value, str):
            return [{"role": role, "content": value}]
        if role == "user":
            if not isinstance(value, list) or not value:
                raise RowError(
                    "wrong_type", name, f"expected text or chat messages, got {type(value).__name__}"
                )
            return messages(value, name)
        return assistant(value, name)
    except RowError as e:
        raise InputError(
            e.detail or e.reason.replace("_", " "), file=file, row=row, field=e.field or name
        ) from None


def _subset(d: dict, file: str, row: int) -> str:
    from xlrm.eval.rewardbench import section_of

    values = [d.get(k) for k in ("subset", "source")]
    values = [v for v in values if isinstance(v, str) and v.strip()]
    for v in values:
        if section_of(v) is not None:
            return v
    if values:
        return values[0]  # scored as an unmapped subset, and reported as such
    raise InputError(
        "no subset: the row has neither `subset` nor `source`",
        file=file,
        row=row,
        field="subset",
        hint="Multilingual RewardBench names the RewardBench subset in `source`, RewardBench in `subset`",
    )


def _pair(d: dict, file: str, row: int, default_language: str | None) -> tuple[dict, bool]:
    """A benchmark row → (pair in the xlrm schema, whether a text is empty)."""
    from xlrm.languages import normalize_code

    for name in ("prompt", "chosen", "rejected"):
        if d.get(name) is None:
            raise InputError(
                "missing field",
                file=file,
                row=row,
                field=name,
                hint="benchmark rows need prompt, chosen, rejected",
            )
    raw_lang = d.get("language")
    if raw_lang is None or raw_lang == "":
        lang = default_language
        if lang is None:
            raise InputError(
                "the row has no language and the source names none",
                file=file,
                row=row,
                field="language",
                hint="add a language column, name the file after its config (kor_Hang.parquet), or write the source as lang=path (en=rb.parquet)",
            )
    else:
        lang = "en" if raw_lang == "eng_Latn" else normalize_code(str(raw_lang))
        if lang is None:
            raise InputError(f"unknown language {raw_lang!r}", file=file, row=row, field="language")
    prompt = _messages(d["prompt"], "user", file, row, "prompt")
    chosen = _messages(d["chosen"], "assistant", file, row, "chosen")
    rejected = _messages(d["rejected"], "assistant", file, row, "rejected")
    empty = any(not (m.get("content") or "").strip() for m in (prompt[-1], chosen[-1], rejected[-1]))
    pid = d.get("id")
    pair = {
        "id": f"{Path(file).name}:{row}" if pid is None or pid == "" else str(pid),
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
        "language": lang,
        "source": file,
        "category": None,
        "subset": _subset(d, file, row),
    }
    return pair, empty


def _records(
    spec: str, wanted: list[str] | None, per_section: int
) -> Iterator[tuple[Iterable, str | None, dict]]:
    """(records, default language, source info) per file or hub config of one source."""
    from xlrm.data.records import from_rows, read_file
    from xlrm.languages import BY_MRB

    if spec == "m-rewardbench":
        for config in mrb_configs(wanted):
            repo, ds = _hub_dataset(MRB_REPOS, config, MRB_SPLIT)
            yield from_rows(ds, f"{repo}/{config}"), BY_MRB[config].code, {"hub": repo, "config": config}
    elif spec == "reward-bench":
        if wanted is None or "en" in wanted:
            repo, ds = _hub_dataset(RB_REPOS, None, RB_SPLIT)
            yield from_rows(ds, repo), "en", {"hub": repo, "split": RB_SPLIT}
    elif spec == "builtin:eval":
        rows = _builtin_rows(per_section, wanted)
        yield from_rows(rows, "builtin:eval"), None, {"builtin": "eval"}
    else:
        lang, path = _split_language(spec)
        for f in _local_files(path):
            yield read_file(f), lang or _language_from_path(f), {"path": str(f)}


def load_eval_data(
    data: list[str], wanted: list[str] | None, *, builtin_per_section: int = 100, limit: int = 0
) -> EvalData:
    """Read every source, keep the wanted languages (None: all), the first ``limit`` pairs of each
    (0: all), and drop pairs with an empty text. Errors name the file, row and field."""
    from xlrm.data.records import Problem
    from xlrm.data.schema import pairs_to_table

    pairs: list[dict] = []
    read: Counter = Counter()
    dropped: dict[str, Counter] = {}
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    infos = []
    for spec in data:
        _check_source(spec)
        for records, default_lang, info in _records(spec, wanted, builtin_per_section):
            n = 0
            for rec in records:
                if isinstance(rec, Problem):
                    # a benchmark is scored whole or not at all: no row is dropped here
                    raise rec.as_error(offer_lenient=False)
                pair, empty = _pair(rec.data, rec.file, rec.row, default_lang)
                lang = pair["language"]
                if wanted is not None and lang not in wanted:
                    continue
                if limit and read[lang] >= limit:
                    continue
                key = (lang, pair["id"])
                if key in seen:
                    first = seen[key]
                    raise InputError(
                        f"pair id {pair['id']!r} appears twice in language {lang!r} (first in {first[0]}, row {first[1]})",
                        file=rec.file,
                        row=rec.row,
                        field="id",
                        hint="each pair is scored once per language; remove the duplicate or give it its own id",
                    )
                seen[key] = (rec.file, rec.row)
                read[lang] += 1
                n += 1
                if empty:
                    dropped.setdefault(lang, Counter())["empty"] += 1
                    continue
                pairs.append(pair)
            infos.append({**info, "rows": n})
    if wanted is not None:
        missing = [lang for lang in wanted if not read[lang]]
        if missing:
            raise ConfigError(
                f"eval-rm: no pairs in language(s) {', '.join(missing)} in the data sources {', '.join(data)}; "
                "m-rewardbench has the 23 Multilingual RewardBench languages, reward-bench English, "
                "builtin:eval en/es/it/ko/zh"
            )
    if not read:
        raise InputError(
            f"the data sources {', '.join(data)} hold no pairs", hint="check data: and languages:"
        )
    return EvalData(pairs_to_table(pairs), read, dropped, infos)
