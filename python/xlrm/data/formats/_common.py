"""Pieces every format adapter shares: message normalisation and the conversion result."""

from __future__ import annotations

from dataclasses import dataclass, field

from xlrm.data.records import Problem, Record

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


@dataclass
class Converted:
    file: str
    row: int
    pair: dict


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
    mapped = ROLE_ALIASES.get(str(role).lower())
    if mapped is None:
        raise RowError("wrong_role", field_name, f"unknown role {role!r}")
    if not isinstance(content, str):
        raise RowError("non_string_content", field_name, f"content is {type(content).__name__}")
    return {"role": mapped, "content": content}


def messages(value, field_name: str) -> list[dict]:
    if not isinstance(value, list):
        raise RowError("wrong_type", field_name, f"expected a list of messages, got {type(value).__name__}")
    return [message(m, f"{field_name}[{i}]") for i, m in enumerate(value)]


def user(text, field_name: str) -> list[dict]:
    if not isinstance(text, str):
        raise RowError("non_string_content", field_name, f"expected a string, got {type(text).__name__}")
    return [{"role": "user", "content": text}]


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
    raise RowError("non_string_content", field_name, f"expected text or messages, got {type(value).__name__}")


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
    data = rec.data
    pid = pair_id if pair_id is not None else data.get("id")
    if pid is None:
        pid = f"{ctx.source}/{rec.row}"
    lang = language if language is not None else data.get("language", ctx.language)
    return Converted(
        rec.file,
        rec.row,
        {
            "id": str(pid),
            "prompt": prompt,
            "chosen": chosen,
            "rejected": rejected,
            "language": lang if isinstance(lang, str) and lang else None,
            "source": ctx.source,
            "category": category if category is not None else data.get("category", ctx.category),
            "subset": subset if subset is not None else data.get("subset"),
        },
    )


def problem(rec: Record, err: RowError) -> Problem:
    return Problem(rec.file, rec.row, err.reason, err.field, err.detail)
