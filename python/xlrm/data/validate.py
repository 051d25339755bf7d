"""Row checks for pairs in the schema. Each failure is a stable reason key plus the field,
so the stage can count drops per reason or stop on the first one in strict mode."""

from __future__ import annotations

from xlrm.data.schema import ROLES

# reason key -> what it means, written into dropped.jsonl beside each row
REASONS = {
    "missing_turns": "the message list is missing or empty",
    "missing_field": "a required field is missing",
    "wrong_role": "a message has a role that does not fit here (prompts end on a user turn; "
    "chosen and rejected hold assistant turns)",
    "wrong_type": "a value has the wrong type (e.g. a number or a list where text belongs)",
    "empty_turn": "a message is empty or only whitespace",
    "invalid_unicode": "text holds lone surrogates that cannot be encoded as UTF-8",
}


def _check_messages(msgs, field: str, allowed_roles: tuple[str, ...]) -> tuple[str, str] | None:
    if not isinstance(msgs, list) or not msgs:
        return "missing_turns", field
    for i, m in enumerate(msgs):
        where = f"{field}[{i}]"
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            return "missing_field", where
        if not isinstance(m["role"], str):
            return "wrong_type", f"{where}.role"
        if m["role"] not in allowed_roles:
            return "wrong_role", where
        content = m["content"]
        if not isinstance(content, str):
            return "wrong_type", f"{where}.content"
        if not content.strip():
            return "empty_turn", where
        try:
            content.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from JSON escapes such as "\ud800"
            return "invalid_unicode", where
    return None


def check_pair(pair: dict) -> tuple[str, str] | None:
    """None when the pair is valid, else ``(reason, field)``."""
    bad = _check_messages(pair.get("prompt"), "prompt", ROLES)
    if bad:
        return bad
    if pair["prompt"][-1]["role"] != "user":
        return "wrong_role", f"prompt[{len(pair['prompt']) - 1}]"
    for side in ("chosen", "rejected"):
        bad = _check_messages(pair.get(side), side, ("assistant",))
        if bad:
            return bad
    if not isinstance(pair.get("id"), str) or not pair["id"]:
        return "missing_field", "id"
    # the last guard before the Arrow conversion, where one wrong type would end the run
    if not isinstance(pair.get("source"), str):
        return "wrong_type", "source"
    for name in ("language", "category", "subset"):
        if pair.get(name) is not None and not isinstance(pair[name], str):
            return "wrong_type", name
    return None


def response_text(messages: list[dict]) -> str:
    return "\n".join(m["content"] for m in messages)
