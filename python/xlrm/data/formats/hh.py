"""Anthropic HH-RLHF transcripts: ``chosen`` and ``rejected`` are whole dialogues
("\\n\\nHuman: ...\\n\\nAssistant: ...") sharing their leading turns, which become the prompt."""

from __future__ import annotations

import re

from xlrm.data.formats._common import RowError, make_pair, require, split_shared_prefix, text

NAME = "hh"
_TURN = re.compile(r"\n\n(Human|Assistant):[ ]?")


def matches(row: dict) -> bool:
    c = row.get("chosen")
    return isinstance(c, str) and "prompt" not in row and "\n\nHuman:" in c


def parse_transcript(text: str, field: str) -> list[dict]:
    parts = _TURN.split(text)
    if parts[0].strip():
        raise RowError("malformed_transcript", field, "text before the first 'Human:' turn")
    turns = []
    for speaker, content in zip(parts[1::2], parts[2::2], strict=True):
        turns.append({"role": "user" if speaker == "Human" else "assistant", "content": content.strip()})
    if not turns:
        raise RowError("malformed_transcript", field, "no 'Human:'/'Assistant:' turns")
    return turns


def convert_row(rec, ctx):
    require(rec.data, "chosen", "rejected")
    c = parse_transcript(text(rec.data["chosen"], "chosen"), "chosen")
    r = parse_transcript(text(rec.data["rejected"], "rejected"), "rejected")
    prompt, c_tail, r_tail = split_shared_prefix(c, r)
    return make_pair(ctx, rec, prompt, c_tail, r_tail)
