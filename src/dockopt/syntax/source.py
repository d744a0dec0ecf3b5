"""Source text bookkeeping: offsets to 1-based line/column, and Go's notion of white space."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

# Go's unicode.IsSpace; Python's str.isspace() also accepts the ASCII separators U+001C..U+001F.
_NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


def is_go_space(ch: str) -> bool:
    return ch.isspace() and ch not in _NOT_GO_SPACE


def go_lstrip(text: str) -> str:
    # str.lstrip() removes exactly the characters isspace() accepts; only U+001C..U+001F differ.
    stripped = text.lstrip()
    if stripped is text or not _NOT_GO_SPACE.intersection(text[: len(text) - len(stripped)]):
        return stripped
    i = 0
    while i < len(text) and is_go_space(text[i]):
        i += 1
    return text[i:]


def go_rstrip(text: str) -> str:
    stripped = text.rstrip()
    if stripped is text or not _NOT_GO_SPACE.intersection(text[len(stripped) :]):
        return stripped
    j = len(text)
    while j > 0 and is_go_space(text[j - 1]):
        j -= 1
    return text[:j]


def go_strip(text: str) -> str:
    return go_rstrip(go_lstrip(text))


def go_fields(text: str) -> list[str]:
    """Go's strings.Fields: the words between runs of white space."""
    if not _NOT_GO_SPACE.intersection(text):
        return text.split()
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if is_go_space(ch):
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Position:
    """A 1-based line and column (columns count characters)."""

    line: int
    column: int


class LineIndex:
    """Maps character offsets of one text to 1-based positions."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            self._starts.append(i + 1)
            i = find("\n", i + 1)

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self._starts, offset) - 1
        return Position(line + 1, offset - self._starts[line] + 1)

    def line_start(self, line: int) -> int:
        return self._starts[line - 1]

    @property
    def line_count(self) -> int:
        return len(self._starts)
