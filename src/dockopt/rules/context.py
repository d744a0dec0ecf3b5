"""What a rule sees of one Dockerfile: the tree, its stages, and the shell of each RUN, parsed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from dockopt.findings import Location
from dockopt.shell import Script, parse_shell
from dockopt.syntax import Dockerfile, Form, Instruction, Span, Stage
from dockopt.syntax.expand import Expansion, resolve
from dockopt.syntax.source import go_rstrip

POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
DEFAULT_SHELL = ("/bin/sh", "-c")


@dataclass
class FileContext:
    df: Dockerfile
    display_path: str
    _scripts: dict[int, Script | None] = field(default_factory=dict, repr=False)

    @cached_property
    def expansion(self) -> Expansion:
        """ARG/ENV in force and expanded values at every instruction (BuildKit's scoping)."""
        return resolve(self.df)

    @cached_property
    def stages(self) -> list[Stage]:
        return self.df.stages

    @cached_property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    @cached_property
    def stage_of(self) -> dict[int, Stage]:
        """Instruction start offset -> its stage."""
        result: dict[int, Stage] = {}
        for stage in self.stages:
            result[stage.from_instruction.span.start] = stage
            for ins in stage.instructions:
                result[ins.span.start] = stage
        return result

    @cached_property
    def shell_in_force(self) -> dict[int, tuple[str, ...]]:
        """Instruction start offset -> the SHELL in force at it (inherited from a parent stage)."""
        result: dict[int, tuple[str, ...]] = {}
        by_name: dict[str, tuple[str, ...]] = {}
        for stage in self.stages:
            shell = by_name.get(stage.base.lower(), DEFAULT_SHELL)
            for ins in stage.instructions:
                if ins.keyword == "SHELL" and ins.exec_args:
                    shell = ins.exec_args
                result[ins.span.start] = shell
            if stage.name:
                by_name[stage.name] = shell
        return result

    def is_posix_shell(self, ins: Instruction) -> bool:
        shell = self.shell_in_force.get(ins.span.start, DEFAULT_SHELL)
        program = shell[0].rsplit("/", 1)[-1].lower() if shell else "sh"
        return program in POSIX_SHELLS

    def script(self, ins: Instruction) -> Script | None:
        """The parsed shell of a shell-form RUN/CMD/ENTRYPOINT (None for exec form or non-POSIX SHELL).

        For ``RUN <<EOF`` the heredoc body is the script.
        """
        key = ins.span.start
        if key in self._scripts:
            return self._scripts[key]
        script = self._parse_script(ins)
        self._scripts[key] = script
        return script

    def _parse_script(self, ins: Instruction) -> Script | None:
        target = ins.sub if ins.sub is not None else ins
        if target.form is not Form.SHELL or not self.is_posix_shell(ins):
            return None
        if target.heredocs and target.keyword == "RUN" and target.arguments.lstrip().startswith("<<"):
            doc = target.heredocs[0]
            base = doc.body.start
            return parse_shell(doc.content, lambda offset: base + offset)
        arguments = target.arguments
        if not arguments:
            return None
        # The arguments are the tail of the joined line, before any trailing white space.
        start_logical = len(go_rstrip(target.logical)) - len(arguments)
        return parse_shell(arguments, lambda offset: target.source_offset(start_logical + offset))

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
