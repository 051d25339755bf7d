"""Pieces every format adapter shares: message normalisation and the conversion result."""

from __future__ import annotations

from dataclasses import dataclass, field

from xlrm.data.records import Problem, Record
from xlrm.languages import normalize_code

ROLE_ALIASES = {
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "system": "system",
}


class RowError(Exception):
    """Raised inside an adapter for a row that cannot be converted; becomes a ``Problem``."""

    def __init__(self, reason: str, field: str | None = None, detail: str = ""):
        super().__init__(detail)
        self.reason, self.field, self.detail = reason, field, detail


@dataclass
class Context:
    """What the source config knows about its rows."""

    source: str
    language: str | None = None
    category: str | None = None
    min_margin: float = 0.0
    columns: dict = field(default_factory=dict)
    #: file -> its part of generated ids, for sources of several files: row numbers restart in
    #: each file, so ``source/row`` alone would give the same id to rows of different files.
    file_tags: dict = field(default_factory=dict)


@dataclass
class Converted:
    file: str
    row: int
    pair: dict
    #: the id was made up from where the row came from (not given by the row): on a clash it
    #: gets a suffix instead of the row being dropped as a duplicate.
    generated_id: bool = False


def short(value, limit: int = 60) -> str:
    """A value for a problem's detail: its repr, cut so a huge wrong value stays readable."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def wrong_type(field_name: str, expected: str, value) -> RowError:
    return RowError(
        "wrong_type", field_name, f"expected {expected}, got {type(value).__name__} {short(value)}"
    )


def message(obj, field_name: str) -> dict:
    """One chat message from {role, content} or ShareGPT {from, value}."""
    if isinstance(obj, str):
        raise RowError("wrong_type", field_name, "expected a message object, got a string")
    if not isinstance(obj, dict):
        raise RowError("wrong_type", field_name, f"expected a message object, got {type(obj).__name__}")
    role = obj.get("role", obj.get("from"))
    content = obj.get("content", obj.get("value"))
    if role is None:
        raise RowError("missing_field", field_name, "message has no 'role' (or 'from')")
    if "content" not in obj and "value" not in obj:
        raise RowError("missing_field", field_name, "message has no 'content' (or 'value')")
    if not isinstance(role, str):
        raise wrong_type(f"{field_name}.role", "a role name", role)
    mapped = ROLE_ALIASES.get(role.lower())
    if mapped is None:
        raise RowError("wrong_role", field_name, f"unknown role {short(role)}")
    if not isinstance(content, str):
        raise wrong_type(f"{field_name}.content", "text", content)
    return {"role": mapped, "content": content}


def messages(value, field_name: str) -> list[dict]:
    if not isinstance(value, list):
        raise wrong_type(field_name, "a list of messages", value)
    return [message(m, f"{field_name}[{i}]") for i, m in enumerate(value)]


def text(value, field_name: str) -> str:
    if not isinstance(value, str):
        raise wrong_type(field_name, "text", value)
    return value


def user(value, field_name: str) -> list[dict]:
    return [{"role": "user", "content": text(value, field_name)}]


def assistant(value, field_name: str) -> list[dict]:
    """A response given as a string, one message, or a list of messages."""
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    if isinstance(value, dict):
        return [message(value, field_name)]
    if isinstance(value, list):
        return messages(value, field_name)
    if value is None:
        raise RowError("missing_field", field_name, "no response")
    raise wrong_type(field_name, "text or messages", value)


def require(data: dict, *names: str) -> None:
    for n in names:
        if n not in data or data[n] is None:
            raise RowError("missing_field", n, "required by this format")


def split_shared_prefix(
    chosen: list[dict], rejected: list[dict]
) -> tuple[list[dict], list[dict], list[dict]]:
    """Implicit-prompt conversations: the shared leading turns are the prompt."""
    k = 0
    while k < min(len(chosen), len(rejected)) - 1 and chosen[k] == rejected[k]:
        k += 1
    # the prompt must end on a user turn: step back over shared assistant turns
    while k > 0 and chosen[k - 1]["role"] != "user":
        k -= 1
    return chosen[:k], chosen[k:], rejected[k:]


def generated_id(ctx: Context, rec: Record) -> str:
    """``source/row``, or ``source/file/row`` in a source of several files."""
    tag = ctx.file_tags.get(rec.file)
    return f"{ctx.source}/{tag}/{rec.row}" if tag else f"{ctx.source}/{rec.row}"


def _pair_id(value, field_name: str = "id") -> str:
    # ints are common ids (RewardBench); anything else that is not text is a wrong type
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise wrong_type(field_name, "text or an integer", value)
    return str(value)


def _language(value) -> str | None:
    """A row's language as an ISO code; None (not given) leaves it to detection. A code that
    ``normalize_code`` cannot read is a counted drop, never a silent one."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise wrong_type("language", "a language code", value)
    iso = normalize_code(value)
    if iso is None:
        raise RowError(
            "unknown_language", "language", f"unknown code {short(value)}; use ISO 639-1 like 'en', 'ko'"
        )
    return iso


def optional_text(value, field_name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise wrong_type(field_name, "text or null", value)
    return value


def _first(*values):
    """The first value that is given: the adapter's, then the row's, then the source's."""
    return next((v for v in values if v is not None), None)


def make_pair(
    ctx: Context,
    rec: Record,
    prompt,
    chosen,
    rejected,
    *,
    language=None,
    category=None,
    subset=None,
    pair_id=None,
) -> Converted:
    """The pair in the schema; every field is type-checked here, so a wrong-typed value is a
    ``wrong_type`` problem with its field and never reaches the Arrow conversion."""
    data = rec.data
    given = pair_id if pair_id is not None else data.get("id")
    pid = generated_id(ctx, rec) if given is None else _pair_id(given)
    lang = _language(_first(language, data.get("language"), ctx.language))
    return Converted(
        rec.file,
        rec.row,
        {
            "id": pid,
            "prompt": prompt,
            "chosen": chosen,
            "rejected": rejected,
            "language": lang,
            "source": ctx.source,
            "category": optional_text(_first(category, data.get("category"), ctx.category), "category"),
            "subset": optional_text(_first(subset, data.get("subset")), "subset"),
        },
        generated_id=given is None,
    )


def problem(rec: Record, err: RowError) -> Problem:
    return Problem(rec.file, rec.row, err.reason, err.field, err.detail)
