"""Inline suppressions written as comments in the Dockerfile.

``# dockopt: ignore=DO501,DO502`` in the comment lines directly above an instruction silences
those rules for that instruction; inside a continuation it silences them for the next line.
``# dockopt: ignore-file=DO401`` anywhere silences them for the whole file, and a bare
``# dockopt: ignore-file`` silences every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockopt.findings import Finding
from dockopt.syntax import Comment, Dockerfile, Instruction, LineKind

_PRAGMA = re.compile(r"^#?\s*dockopt\s*:\s*(ignore-file|ignore)\s*(?:=\s*([A-Za-z0-9_,\s]*))?\s*$", re.IGNORECASE)
ALL = "ALL"


@dataclass
class Suppressions:
    file_rules: set[str] = field(default_factory=set)
    by_line: dict[int, set[str]] = field(default_factory=dict)

    def suppresses(self, finding: Finding) -> bool:
        if ALL in self.file_rules or finding.rule in self.file_rules:
            return True
        rules = self.by_line.get(finding.location.line, set())
        return ALL in rules or finding.rule in rules


def _parse(comment_text: str) -> tuple[str, set[str]] | None:
    match = _PRAGMA.match(comment_text.strip())
    if not match:
        return None
    codes = {c.strip().upper() for c in (match.group(2) or "").split(",") if c.strip()}
    return match.group(1).lower(), codes or {ALL}


def collect(df: Dockerfile) -> Suppressions:
    result = Suppressions()
    for node in df.nodes:
        if isinstance(node, Comment):
            parsed = _parse(node.text)
            if parsed and parsed[0] == "ignore-file":
                result.file_rules |= parsed[1]
        elif isinstance(node, Instruction):
            _collect_instruction(node, df, result)
    return result


def _collect_instruction(ins: Instruction, df: Dockerfile, result: Suppressions) -> None:
    for text in ins.comments:
        parsed = _parse(text)
        if parsed and parsed[0] == "ignore":
            for number in range(ins.start_line, ins.end_line + 1):
                result.by_line.setdefault(number, set()).update(parsed[1])
    pending: set[str] = set()
    for line in ins.lines:
        if line.kind is LineKind.COMMENT:
            parsed = _parse(df.source(line.span).strip())
            if parsed and parsed[0] == "ignore":
                pending |= parsed[1]
        elif line.kind is LineKind.CONTENT and pending:
            result.by_line.setdefault(line.number, set()).update(pending)
            pending = set()
