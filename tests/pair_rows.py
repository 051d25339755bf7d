"""Pair rows in the xlrm schema for tests that need a few by hand."""

from __future__ import annotations


def msg(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def one_turn_pair(pid: str, question: str, chosen: str, rejected: str, **fields) -> dict:
    """An English pair of one user turn and one assistant answer each side (``fields`` added)."""
    return {
        "id": pid,
        "prompt": [msg("user", question)],
        "chosen": [msg("assistant", chosen)],
        "rejected": [msg("assistant", rejected)],
        "language": "en",
        **fields,
    }
