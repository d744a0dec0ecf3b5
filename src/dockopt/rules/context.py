"""What a rule sees of one Dockerfile: the tree, the semantic model, and positions for findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockopt.findings import Location
from dockopt.model import BaseState, ImageModel, State
from dockopt.shell import Script
from dockopt.syntax import Dockerfile, Instruction, Span, Stage
from dockopt.syntax.expand import Expansion

if TYPE_CHECKING:
    from dockopt.repo.graph import ImageGraph


@dataclass
class FileContext:
    df: Dockerfile
    display_path: str
    bases: Mapping[str, BaseState] | None = None  # images built in the same repository, by reference
    build_args: Mapping[str, str] | None = None  # as the repository's build script/compose/bake passes them
    base_of: tuple[str, ...] = ()  # images of the repository built FROM this file's image
    # Answers several rules ask for (a RUN's package operations, a command's classification), by question.
    _memos: dict[str, dict[Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, question: str) -> dict[Any, Any]:
        """The answers to ``question`` found so far for this file (rule helpers fill it)."""
        found = self._memos.get(question)
        if found is None:
            found = self._memos[question] = {}
        return found

    @cached_property
    def model(self) -> ImageModel:
        return ImageModel(self.df, self.bases, self.build_args)

    @property
    def expansion(self) -> Expansion:
        """ARG/ENV in force and expanded values at every instruction (BuildKit's scoping)."""
        return self.model.expansion

    @cached_property
    def stages(self) -> list[Stage]:
        return self.df.stages

    @cached_property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def state(self, ins: Instruction) -> State:
        return self.model.state(ins)

    def script(self, ins: Instruction) -> Script | None:
        """The parsed shell of a shell-form RUN/CMD/ENTRYPOINT (None for exec form or non-POSIX SHELL)."""
        return self.model.script(ins)

    @staticmethod
    def keyword_start(ins: Instruction) -> int:
        """Offset of the instruction keyword (after any indentation)."""
        first = ins.lines[0].span if ins.lines else ins.span
        text = ins.logical
        return ins.source_offset(len(text) - len(text.lstrip())) if text else first.start

    def location(self, where: Instruction | Span | tuple[int, int]) -> Location:
        if isinstance(where, Instruction):
            first = where.lines[0].span if where.lines else where.span
            start = where.span.start
            end = max(first.end, start + 1)
        elif isinstance(where, Span):
            start, end = where.start, where.end
        else:
            start, end = where
        begin = self.df.position(start)
        finish = self.df.position(max(end - 1, start))
        return Location(begin.line, begin.column, finish.line, finish.column)


@dataclass
class RepositoryContext:
    """What a repository rule sees: the linted directory, its Dockerfiles' facts, the image graph.

    Paths given to it are relative to ``root``; findings name files as the user typed the
    directory (``display``). Files are read once and cached.
    """

    root: Path
    display_root: str  # the directory as shown in findings ("" for the current directory)
    dockerfiles: list[str]  # paths of the linted Dockerfiles, relative to root
    facts: dict[str, dict[str, object]] = field(default_factory=dict)  # rule id -> Dockerfile -> fact
    _texts: dict[str, str | None] = field(default_factory=dict, repr=False)

    @cached_property
    def graph(self) -> ImageGraph:
        from dockopt.repo.graph import build_graph

        return build_graph(self.root)

    def display(self, path: str | Path) -> str:
        relative = Path(path).as_posix()
        return f"{self.display_root.rstrip('/')}/{relative}" if self.display_root not in ("", ".") else relative

    def read_text(self, path: str | Path) -> str | None:
        """The text of a file of the repository, or None when it cannot be read as UTF-8."""
        key = Path(path).as_posix()
        if key not in self._texts:
            try:
                self._texts[key] = (self.root / key).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[key] = None
        return self._texts[key]

    def line_text(self, path: str | Path, line: int) -> str:
        text = self.read_text(path) or ""
        lines = text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def facts_of(self, rule_id: str) -> dict[str, object]:
        return self.facts.get(rule_id, {})
