"""Source files and spans: byte-free positions that map back to line and column."""
from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A region of a source file: character offsets plus 1-based line/column of both ends."""

    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


def mostly_utf8(replaced: str) -> bool:
    """Whether bytes that are not valid UTF-8, decoded with errors="replace", are UTF-8 with a
    few broken bytes (under a quarter of the non-ASCII characters are U+FFFD) rather than
    another encoding."""
    broken = replaced.count("\ufffd")
    return broken * 4 < sum(ch > "\x7f" for ch in replaced) - broken


@dataclass
class SourceFile:
    """The text of one rule file with a line index for span look-ups."""

    path: str
    text: str
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                starts.append(i + 1)
        self._line_starts = starts

    @classmethod
    def read(cls, path: str | Path) -> "SourceFile":
        data = Path(path).read_bytes()
        try:
            if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Notepad's "Unicode": UTF-16 with its BOM
                return cls._lines(str(path), data.decode("utf-16"))
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # A UTF-8 file with a few broken bytes (a bad copy, a cut multi-byte character) keeps
            # its text, the bytes shown as � where they are (PR101 there), as the data reader
            # decides: under a quarter of the non-ASCII characters broken. Otherwise it is
            # GB18030: Windows editors in China still save that now and then.
            text = data.decode("utf-8-sig", errors="replace")
            if not mostly_utf8(text):
                text = data.decode("gb18030", errors="replace")
        return cls._lines(str(path), text)

    @classmethod
    def _lines(cls, path: str, text: str) -> "SourceFile":
        if "\r" in text and "\r\n" not in text:  # classic Mac line ends (CR alone): lines, not PR101
            text = text.replace("\r", "\n")
        return cls(path, text)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self.path, start, end, line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def snippet(self, span: Span) -> str:
        return self.text[span.start : span.end]


def display_width(text: str) -> int:
    """Terminal columns taken by text: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
