"""What a rule is: metadata, a docstring in four parts, and a pure check over one file.

A rule module defines one subclass of ``Rule``. Its docstring is the rule's documentation
(``dockopt explain``) and must have the headings What it does / Why is this bad? / Example /
Use instead (and Fix safety when the rule has a fix). ``check`` receives a ``FileContext`` and
yields findings; it never reads files or prints.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from dockopt.findings import Finding, Fix, FixSafety, Location, Severity
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.syntax import Instruction, Span

DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead")
_RULE_ID = re.compile(r"^DO\d{3}$")


@dataclass(frozen=True, slots=True)
class RuleMeta:
    id: str
    name: str
    severity: Severity
    summary: str
    groups: tuple[str, ...]
    equivalents: tuple[str, ...]
    fix: FixSafety
    enabled_by_default: bool
    scope: str  # "file" (one Dockerfile at a time) or "repository"


class Rule:
    """Base class of every rule; subclasses set the class attributes and implement ``check``."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    groups: ClassVar[tuple[str, ...]] = ()
    equivalents: ClassVar[tuple[str, ...]] = ()
    fix: ClassVar[FixSafety] = FixSafety.NONE
    enabled_by_default: ClassVar[bool] = True
    scope: ClassVar[str] = "file"

    def __init__(self, severity: Severity | None = None) -> None:
        self.effective_severity = severity or self.severity

    @classmethod
    def meta(cls) -> RuleMeta:
        return RuleMeta(
            id=cls.id,
            name=cls.name,
            severity=cls.severity,
            summary=cls.summary(),
            groups=cls.groups,
            equivalents=cls.equivalents,
            fix=cls.fix,
            enabled_by_default=cls.enabled_by_default,
            scope=cls.scope,
        )

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        doc = cls.documentation()
        sections = doc_sections(doc)
        what = sections.get("What it does", "")
        return " ".join(what.split()) if what else doc.split("\n", 1)[0]

    @classmethod
    def validate(cls) -> list[str]:
        """Problems with this rule's declaration (checked by the test suite)."""
        problems = []
        if not _RULE_ID.match(cls.id):
            problems.append(f"{cls.__name__}: id {cls.id!r} is not of the form DO123")
        sections = doc_sections(cls.documentation())
        for heading in DOC_HEADINGS:
            if not sections.get(heading, "").strip():
                problems.append(f"{cls.id}: docstring lacks the section {heading!r}")
        if cls.fix is not FixSafety.NONE and not sections.get("Fix safety", "").strip():
            problems.append(f"{cls.id}: has a fix but its docstring lacks 'Fix safety'")
        return problems

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        raise NotImplementedError

    # -- helpers for subclasses ---------------------------------------------------------------
    def finding(
        self,
        ctx: FileContext,
        where: Instruction | Span | tuple[int, int],
        message: str,
        fix: Fix | None = None,
        equivalents: tuple[str, ...] | None = None,
    ) -> Finding:
        """A finding at an instruction (its first line), a span, or a (start, end) offset pair.

        ``equivalents`` narrows the rule's peer rules to those this finding matches (DO506 covers
        three hadolint rules, one per instruction kind).
        """
        return Finding(  # positional: rules make findings by the ten thousand
            self.id,
            self.name,
            self.effective_severity,
            ctx.display_path,
            ctx.location(where),
            message,
            fix.safety if fix is not None else FixSafety.NONE,  # what this finding offers
            self.equivalents if equivalents is None else equivalents,
            fix,
        )


class RepositoryRule(Rule):
    """A rule that needs the whole repository (DO6xx).

    ``collect`` runs on every Dockerfile, in the worker that lints it, and returns a picklable
    fact (or None); ``check_repository`` runs once per linted directory, at the end, with the facts
    of its Dockerfiles and the repository around them. A file-level ``check`` yields nothing.
    """

    scope: ClassVar[str] = "repository"

    def check(self, ctx: FileContext) -> Iterator[Finding]:  # noqa: ARG002
        return iter(())

    def collect(self, ctx: FileContext) -> object | None:  # noqa: ARG002
        return None

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        raise NotImplementedError

    def finding_in(
        self,
        repo: RepositoryContext,
        path: str | Path,
        line: int,
        message: str,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
    ) -> Finding:
        """A finding in any file of the repository (``path`` relative to its root)."""
        last_line = end_line or line
        if end_column is None:
            text = repo.line_text(path, last_line)
            end_column = max(len(text.rstrip("\r\n")), column)
        return Finding(
            rule=self.id,
            name=self.name,
            severity=self.effective_severity,
            file=repo.display(path),
            location=Location(line, column, last_line, end_column),
            message=message,
            equivalents=self.equivalents,
        )


def doc_sections(doc: str) -> dict[str, str]:
    """Split a docstring into ``{heading: body}``; headings are lines ending with ':' or '?'.

    A heading line is one of the known headings, optionally followed by ':'; markdown-style
    ``## Heading`` works too.
    """
    known = (*DOC_HEADINGS, "Fix safety", "Options", "Deliberate differences")
    sections: dict[str, str] = {}
    current = "_intro"
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip().lstrip("#").strip().rstrip(":")
        if stripped in known:
            sections[current] = textwrap.dedent("\n".join(lines)).strip()
            current = stripped
            lines = []
            continue
        lines.append(line)
    sections[current] = textwrap.dedent("\n".join(lines)).strip()
    return sections


__all__ = ["DOC_HEADINGS", "Location", "RepositoryRule", "Rule", "RuleMeta", "doc_sections"]
