"""Exceptions users see. Each message says what is wrong, where, and how to fix it."""

from __future__ import annotations

from xlrm._core import XlrmError


class InputError(XlrmError):
    """Bad input data: names the file, the row (1-based line for JSONL) and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ):
        self.file, self.row, self.field, self.hint = file, row, field, hint
        where = ", ".join(
            p
            for p in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field '{field}'" if field else "",
            )
            if p
        )
        text = f"{where}: {message}" if where else message
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class ConfigError(XlrmError):
    """A config file or flag that does not fit the stage's config."""


__all__ = ["XlrmError", "InputError", "ConfigError"]
