"""What a rule sees of one Dockerfile: the tree, the semantic model, and positions for findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from dockopt.findings import Location
from dockopt.model import BaseState, ImageModel, State
from dockopt.shell import Script
from dockopt.syntax import Dockerfile, Instruction, Span, Stage
from dockopt.syntax.expand import Expansion


@dataclass
class FileContext:
    df: Dockerfile
    display_path: str
    bases: Mapping[str, BaseState] | None = None  # images built in the same repository, by reference
    build_args: Mapping[str, str] | None = None  # as the repository's build script/compose/bake passes them

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
