"""The translation engine: plan segments, translate what the cache lacks, restore, check, retry.

Data flow for one target language::

    pairs ─► plan (protect, split: segments per message) ─► unique segments
          ─► cache lookup ─► backend, length-sorted batches (each batch committed to the cache)
          ─► restore placeholders (lost ones: translate the text between the spans instead)
          ─► checks ─► failed pairs: sampled retry of the failed messages, or drop (counted)

Nothing here knows which backend or detector it talks to; the stage wires them in.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from xlrm.data.schema import ROLES
from xlrm.translate import protect, split
from xlrm.translate.backends.base import Backend, BackendError
from xlrm.translate.cache import TranslationCache
from xlrm.translate.checks import REASONS, Detector, MessageText, check_pair, texts_to_detect

log = logging.getLogger("xlrm.translate")
FIELDS = ("prompt", "chosen", "rejected")


@dataclass
class Seg:
    text: str  # with local placeholders [[0]], [[1]], ...
    spans: list[str]


@dataclass
class MsgPlan:
    role: str
    content: str
    parts: list  # str (kept verbatim) | Seg (translated)

    @property
    def segs(self) -> list[Seg]:
        return [p for p in self.parts if isinstance(p, Seg)]


@dataclass
class PairPlan:
    pair: dict
    msgs: dict[str, list[MsgPlan]]


# --- input validation ------------------------------------------------------


def malformed_reason(pair) -> str | None:
    """Why a row cannot be translated (None when it can)."""
    if not isinstance(pair, dict):
        return "row is not a mapping"
    if not isinstance(pair.get("id"), str) or not pair["id"]:
        return "missing or empty id"
    for name in FIELDS:
        msgs = pair.get(name)
        if not isinstance(msgs, list):
            return f"{name} is not a list of messages"
        if name != "prompt" and not msgs:
            return f"{name} has no messages"
        for i, m in enumerate(msgs):
            if not isinstance(m, dict):
                return f"{name}[{i}] is not a {{role, content}} mapping"
            if m.get("role") not in ROLES:
                return f"{name}[{i}] has role {m.get('role')!r} (expected one of {', '.join(ROLES)})"
            if not isinstance(m.get("content"), str):
                return f"{name}[{i}] content is not a string"
    if not isinstance(pair.get("language"), str):
        return "missing language"
    return None


# --- planning --------------------------------------------------------------


class Planner:
    """Protect and split every message once per tokenizer (languages sharing a model share the plan)."""

    def __init__(self, split_lines: bool):
        self.split_lines = split_lines
        self.protected: Counter = Counter()
        self._counted = False
        self._plans: dict[tuple, tuple[list[PairPlan], dict]] = {}

    def plan(self, pairs: list[dict], backend: Backend) -> tuple[list[PairPlan], dict]:
        key = (backend.name, backend.model_id, backend.segment_limit)
        if key not in self._plans:
            counts = None if self._counted else self.protected
            stats: dict = {"long_splits": 0}
            plans = [
                PairPlan(p, {f: [self._message(m, backend, counts, stats) for m in p[f]] for f in FIELDS})
                for p in pairs
            ]
            self._counted = True
            self._plans = {key: (plans, stats)}  # keep one plan set alive at a time
        return self._plans[key]

    def _message(self, msg: dict, backend: Backend, counts: Counter | None, stats: dict) -> MsgPlan:
        parts: list = []
        for is_block, piece in protect.split_blocks(msg["content"], counts):
            if is_block:
                parts.append(piece)
                continue
            masked = protect.mask_inline(piece, counts)
            for translate, sub in split.split_text(
                masked.text,
                backend.segment_limit,
                backend.count_tokens,
                by_line=self.split_lines,
                stats=stats,
            ):
                if translate:
                    parts.append(Seg(*protect.localize(sub, masked.spans)))
                else:
                    parts.append(protect.unmask(sub, masked.spans))
        return MsgPlan(msg["role"], msg["content"], parts)


# --- one target language ---------------------------------------------------


@dataclass
class LanguageStats:
    segments: int = 0
    unique_segments: int = 0
    lookups: int = 0
    cache_hits: int = 0
    translated: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    placeholder_fallbacks: int = 0
    checks_failed: Counter = field(default_factory=Counter)
    retried_pairs: int = 0
    recovered_by_retry: int = 0
    dropped: Counter = field(default_factory=Counter)


class LanguageRun:
    def __init__(
        self,
        backend: Backend,
        cache: TranslationCache,
        src: str,
        tgt: str,
        batch_size: int,
        progress: bool,
        on_batch: Callable[[int], None] | None = None,
    ):
        self.backend, self.cache, self.src, self.tgt = backend, cache, src, tgt
        self.batch_size, self.progress, self.on_batch = batch_size, progress, on_batch
        self.stats = LanguageStats()
        self.tables: dict[int, dict[str, str]] = {}
        self._fallback_done: set[tuple[int, str]] = set()

    def resolve(self, texts: set[str], attempt: int) -> None:
        """Make ``self.tables[attempt]`` hold a translation of every text: cache first, then the model."""
        table = self.tables.setdefault(attempt, {})
        texts = {t for t in texts if t not in table}
        if not texts:
            return
        ident = self.backend.identity(attempt)
        hits = self.cache.get_many(ident, self.src, self.tgt, texts)
        table.update(hits)
        self.stats.lookups += len(texts)
        self.stats.cache_hits += len(hits)
        missing = sorted(texts - hits.keys(), key=lambda t: (-len(t), t))  # longest first: OOM shows early
        if not missing:
            return
        desc = f"translate {self.src}→{self.tgt}" + (f" (retry {attempt})" if attempt else "")
        with tqdm(
            total=len(missing), desc=desc, unit="seg", disable=not self.progress, dynamic_ncols=True
        ) as bar:
            for i in range(0, len(missing), self.batch_size):
                batch = missing[i : i + self.batch_size]
                started = time.perf_counter()
                result = self.backend.translate(batch, self.src, self.tgt, attempt)
                if len(result.outputs) != len(batch):
                    raise BackendError(
                        f"{self.backend.name} returned {len(result.outputs)} translations "
                        f"for {len(batch)} segments"
                    )
                self.stats.seconds += time.perf_counter() - started
                self.cache.put_many(ident, self.src, self.tgt, zip(batch, result.outputs, strict=True))
                table.update(zip(batch, result.outputs, strict=True))
                self.stats.translated += len(batch)
                self.stats.output_tokens += result.tokens
                bar.update(len(batch))
                if self.stats.seconds > 0:
                    bar.set_postfix_str(f"{self.stats.output_tokens / self.stats.seconds:.0f} tok/s")
                if self.on_batch is not None:
                    self.on_batch(len(batch))

    def prepare(self, msgs: list[MsgPlan], attempt: int) -> None:
        """Translate every segment of ``msgs`` (and, where placeholders were lost, the text around them)."""
        segs = {s.text: s for m in msgs for s in m.segs}
        self.resolve(set(segs), attempt)
        table = self.tables[attempt]
        pieces: set[str] = set()
        for text, seg in segs.items():
            if seg.spans and protect.restore(table[text], seg.spans) is None:
                if (attempt, text) not in self._fallback_done:
                    self._fallback_done.add((attempt, text))
                    self.stats.placeholder_fallbacks += 1
                pieces.update(_fallback_texts(seg))
        self.resolve(pieces, attempt)

    def render(self, msg: MsgPlan, attempt: int) -> tuple[str, str, str]:
        """→ (translated content, translatable source text, translatable output text)."""
        table = self.tables[attempt]
        out, plain_src, plain_out = [], [], []
        for part in msg.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            plain_src.append(protect.strip_placeholders(part.text))
            translated = table[part.text]
            restored = protect.restore(translated, part.spans) if part.spans else translated
            if restored is not None:
                out.append(restored)
                plain_out.append(protect.strip_placeholders(translated))
                continue
            for is_span, value in protect.fallback_parts(part.text):
                if is_span:
                    out.append(part.spans[value])
                    continue
                core = value.strip()
                if split.has_letters(core):
                    lead = value[: len(value) - len(value.lstrip())]
                    trail = value[len(value.rstrip()) :]
                    out.append(lead + table[core] + trail)
                    plain_out.append(table[core])
                else:
                    out.append(value)
        return "".join(out), " ".join(plain_src), " ".join(plain_out)


def _fallback_texts(seg: Seg) -> set[str]:
    return {
        v.strip()
        for is_span, v in protect.fallback_parts(seg.text)
        if not is_span and split.has_letters(v.strip())
    }


def _render_pair(run: LanguageRun, plan: PairPlan, attempts: dict[tuple[str, int], int]):
    out: dict[str, list[dict]] = {}
    texts: list[MessageText] = []
    for f in FIELDS:
        out[f] = []
        for i, msg in enumerate(plan.msgs[f]):
            content, plain_src, plain_out = run.render(msg, attempts.get((f, i), 0))
            out[f].append({"role": msg.role, "content": content})
            if msg.segs:
                texts.append(MessageText(f, i, plain_src, plain_out))
    return out, texts


def translate_language(
    plans: list[PairPlan],
    backend: Backend,
    cache: TranslationCache,
    cfg,
    tgt: str,
    detector: Detector | None,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[list[dict], LanguageStats]:
    """Translate ``plans`` into ``tgt``; returns the pairs that passed the checks, in input order."""
    run = LanguageRun(backend, cache, cfg.source_language, tgt, cfg.batch_size, cfg.progress, on_batch)
    stats = run.stats
    all_msgs = [m for p in plans for f in FIELDS for m in p.msgs[f]]
    stats.segments = sum(len(m.segs) for m in all_msgs)
    stats.unique_segments = len({s.text for m in all_msgs for s in m.segs})
    run.prepare(all_msgs, 0)

    attempts: list[dict[tuple[str, int], int]] = [{} for _ in plans]
    rendered = [_render_pair(run, p, {}) for p in plans]
    fails = _check(rendered, range(len(plans)), cfg, tgt, detector)
    for reasons in fails.values():
        for r in dict.fromkeys(r for r, _, _ in reasons):
            stats.checks_failed[r] += 1

    if cfg.on_fail == "retry":
        retried: set[int] = set()
        for attempt in range(1, cfg.retries + 1):
            todo = {i: f for i, f in fails.items() if _retryable(plans[i], f)}
            if not todo:
                break
            redo: list[MsgPlan] = []
            for i, reasons in todo.items():
                retried.add(i)
                for key in _messages_to_redo(plans[i], reasons):
                    attempts[i][key] = attempt
                    redo.append(plans[i].msgs[key[0]][key[1]])
            run.prepare(redo, attempt)
            for i in todo:
                rendered[i] = _render_pair(run, plans[i], attempts[i])
            again = _check(rendered, list(todo), cfg, tgt, detector)
            for i in todo:
                if i in again:
                    fails[i] = again[i]
                else:
                    del fails[i]
        stats.retried_pairs = len(retried)
        stats.recovered_by_retry = len(retried - fails.keys())

    out = []
    for i, (plan, (msgs, _)) in enumerate(zip(plans, rendered, strict=True)):
        if i in fails:
            stats.dropped[fails[i][0][0]] += 1
            continue
        pair = plan.pair
        out.append(
            {
                "id": f"{pair['id']}-{tgt}",
                "prompt": msgs["prompt"],
                "chosen": msgs["chosen"],
                "rejected": msgs["rejected"],
                "language": tgt,
                "source": pair.get("source"),
                "category": pair.get("category"),
                "subset": pair.get("subset"),
            }
        )
    return out, stats


def _retryable(plan: PairPlan, reasons) -> bool:
    """A pair whose chosen and rejected are equal in the source cannot be fixed by translating again."""
    if all(r == "chosen_equals_rejected" for r, _, _ in reasons):
        return _contents(plan.msgs["chosen"]) != _contents(plan.msgs["rejected"])
    return True


def _contents(msgs: list[MsgPlan]) -> list[str]:
    return [m.content for m in msgs]


def _messages_to_redo(plan: PairPlan, reasons) -> set[tuple[str, int]]:
    keys = {(f, i) for _, f, i in reasons if i >= 0}
    if any(r == "chosen_equals_rejected" for r, _, _ in reasons):
        keys |= {("rejected", i) for i, m in enumerate(plan.msgs["rejected"]) if m.segs}
    return keys


def _check(rendered, indices, cfg, tgt: str, detector: Detector | None) -> dict[int, list]:
    opts = cfg.checks
    detected: dict[str, str | None] = {}
    if opts.language and detector is not None:
        todo = sorted({t for i in indices for t in texts_to_detect(rendered[i][1], opts)})
        if todo:
            detected = dict(zip(todo, detector.detect(todo), strict=True))
    elif opts.language:
        raise ValueError("checks.language is on but no language detector was given")
    fails: dict[int, list] = {}
    for i in indices:
        msgs, texts = rendered[i]
        chosen = [m["content"] for m in msgs["chosen"]]
        rejected = [m["content"] for m in msgs["rejected"]]
        found = check_pair(texts, chosen, rejected, tgt, opts, detected)
        if found:
            fails[i] = found
    return fails


def stats_dict(stats: LanguageStats, pairs_in: int, pairs_out: int, long_splits: int) -> dict:
    secs = stats.seconds
    return {
        "pairs_in": pairs_in,
        "pairs_out": pairs_out,
        "segments": stats.segments,
        "unique_segments": stats.unique_segments,
        "lookups": stats.lookups,
        "cache_hits": stats.cache_hits,
        "translated": stats.translated,
        "output_tokens": stats.output_tokens,
        "translate_seconds": round(secs, 3),
        "segments_per_s": round(stats.translated / secs, 2) if secs else None,
        "tokens_per_s": round(stats.output_tokens / secs, 1) if secs else None,
        "long_splits": long_splits,
        "placeholder_fallbacks": stats.placeholder_fallbacks,
        "checks_failed": {r: stats.checks_failed.get(r, 0) for r in REASONS},
        "retried_pairs": stats.retried_pairs,
        "recovered_by_retry": stats.recovered_by_retry,
        "dropped": {r: stats.dropped.get(r, 0) for r in REASONS},
    }
