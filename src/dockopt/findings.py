"""What a check produces: findings, with their location, severity and fix availability."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(Enum):
    """Ordered from most to least severe."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.STYLE: 3}


class FixSafety(Enum):
    """How a rule's fix may be applied: ``safe`` by default, ``unsafe`` on request, or not at all."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Location:
    """1-based, inclusive start and end (end_column points at the last character)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``[start, end)`` of the file's text with ``text`` (an insertion when start == end)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A proposed change: edits on the file's text, applied together or not at all."""

    safety: FixSafety
    description: str
    edits: tuple[Edit, ...]


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    file: str
    location: Location
    message: str
    fix_safety: FixSafety = FixSafety.NONE
    equivalents: tuple[str, ...] = ()
    fix: Fix | None = field(default=None, compare=False)

    @property
    def line(self) -> int:
        return self.location.line

    def without_edits(self) -> Finding:
        """The same finding, its fix's availability kept, its edits dropped (for reports that show none)."""
        if self.fix is None:
            return self
        return Finding(
            self.rule, self.name, self.severity, self.file, self.location, self.message, self.fix_safety,
            self.equivalents,
        )  # fmt: skip

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Workers send every finding to the main process: plain values pickle and load several times
        # faster than a slotted dataclass's state and two enums (each loaded through Enum.__call__).
        loc = self.location
        return _finding, (
            self.rule, self.name, self.severity.value, self.file, loc.line, loc.column, loc.end_line,
            loc.end_column, self.message, self.fix_safety.value, self.equivalents, self.fix,
        )  # fmt: skip

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.location.line, self.location.column, self.rule)


@dataclass(frozen=True, slots=True)
class InputError:
    """A file that could not be read or parsed (reported as DO900 too)."""

    file: str
    line: int
    message: str
    column: int = 1


_SEVERITIES = {severity.value: severity for severity in Severity}
_FIX_SAFETIES = {safety.value: safety for safety in FixSafety}


def _finding(
    rule: str,
    name: str,
    severity: str,
    file: str,
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    message: str,
    fix_safety: str,
    equivalents: tuple[str, ...],
    fix: Fix | None,
) -> Finding:
    """A pickled Finding loaded again (Finding.__reduce__)."""
    return Finding(
        rule, name, _SEVERITIES[severity], file, Location(line, column, end_line, end_column), message,
        _FIX_SAFETIES[fix_safety], equivalents, fix,
    )  # fmt: skip
