"""Error types shared by the data input/output layer.

Every error carries a stable short ``code`` (for programs and tests) and two
human sentences, ``message_zh`` and ``message_en``, because the people who
fix the data usually read Chinese while logs and bug reports are in English.
``str(error)`` is the English sentence so tracebacks stay readable anywhere.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from fractions import Fraction

__all__ = ["DataError", "ReaderError", "WriterError", "MappingError", "ColumnWarning", "short_repr"]


def short_repr(raw: object, limit: int = 60) -> str:
    """Quote ``raw`` for an error message, cutting very long values.

    A 10 kB cell pasted into an error message makes the message useless, so
    anything longer than ``limit`` characters is shortened with an ellipsis.
    """
    text = repr(raw)
    if isinstance(raw, (Fraction, Decimal)):  # a test's given or an API cell: 5, not Fraction(5, 1)
        text = str(raw)
    elif isinstance(raw, (_dt.date, _dt.time)):  # 2024-01-01, not datetime.date(2024, 1, 1)
        text = raw.isoformat()
    elif isinstance(raw, bool):  # a JSON/Arrow/Excel boolean: true, not Python's True
        text = "true" if raw else "false"
    elif isinstance(raw, _dt.timedelta):  # an Arrow duration: 0:00:01, not datetime.timedelta(seconds=1)
        text = str(raw)
    elif isinstance(raw, (list, dict)):  # a JSON array or object as JSON writes it, not {'a': 1}
        import json

        text = json.dumps(raw, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class DataError(ValueError):
    """Base class: a problem with the user's data or files, not a bug.

    Attributes:
        code: stable slug, e.g. ``"not_a_number"``.
        message_zh: Chinese sentence for the person who owns the data.
        message_en: English sentence (also ``str(self)``).
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class ReaderError(DataError):
    """A data file cannot be opened or understood as a whole."""

    def __init__(self, code: str, message_zh: str, message_en: str, path: object = None) -> None:
        super().__init__(code, message_zh, message_en)
        self.path = path


class WriterError(DataError):
    """Rows cannot be written in the requested format."""


class MappingError(DataError):
    """A column-mapping file is missing or malformed."""


class ColumnWarning(UserWarning):
    """Something about the data's columns the user should know, though the run goes on (a
    column left unused that matches an input as well as the one used). str() is the Chinese
    sentence; `message_en` the English one."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en
