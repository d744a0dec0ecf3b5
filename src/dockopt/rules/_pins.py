"""Helpers of the reproducibility rules (DO3xx): image references, and where a FROM names its image."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dockopt.model import StageModel
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction, Span, Stage


@dataclass(frozen=True, slots=True)
class ImageReference:
    """``[registry[:port]/]path[:tag][@digest]`` split into its parts (tag and digest None when absent)."""

    name: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, reference: str) -> ImageReference:
        name_tag, at, digest = reference.partition("@")
        colon = name_tag.rfind(":")
        # a colon before the last slash belongs to the registry's port (localhost:5000/app)
        if colon > name_tag.rfind("/"):
            return cls(name_tag[:colon], name_tag[colon + 1 :], digest if at else None)
        return cls(name_tag, None, digest if at else None)


@dataclass(frozen=True, slots=True)
class BaseImage:
    """The external image a stage is built FROM: as written, expanded, and where it is written."""

    stage: StageModel
    written: str  # the reference as in the Dockerfile (before expansion)
    reference: str  # expanded with the ARG defaults
    where: Instruction | Span

    @property
    def registry_from_build_arg(self) -> bool:
        """The registry or namespace comes from a build arg (``${REGISTRY}/app-base:${TAG}``), not just the tag.

        Such an image is pushed by the project's own pipeline, usually built in the same repository.
        """
        return "$" in ImageReference.parse(self.written).name.rpartition("/")[0]


def external_bases(ctx: FileContext) -> Iterator[BaseImage]:
    """The FROM of every stage that is built on an image rather than on an earlier stage.

    Left out: ``scratch``, and references that do not expand to a complete value (a build arg
    without a default: DO306 reports that).
    """
    for model in ctx.model.stages:
        if model.parent is not None:
            continue
        ins = model.stage.from_instruction
        expanded = ctx.expansion.at(ins)
        if expanded.errors or not model.base_image or bare_uses(model.stage.base, expanded.unset, ctx.df.escape):
            continue
        if model.base_image.lower() == "scratch":
            continue
        yield BaseImage(model, model.stage.base, model.base_image, image_span(ctx, ins) or ins)


def image_span(ctx: FileContext, ins: Instruction) -> Span | None:
    """Where the image reference of a FROM is written, when it is on the FROM's first line."""
    if ins.arguments_span is None or not ins.values:
        return None
    start = ins.arguments_span.start
    written = ins.values[0]
    if ctx.df.text[start : start + len(written)] != written:
        return None
    return Span(start, start + len(written))


def is_stage_reference(value: str, stages: list[Stage]) -> bool:
    """``--from=`` naming a stage (by name or index) rather than an image."""
    if value.isdigit():
        return True
    return any(stage.name == value.lower() for stage in stages)


@dataclass(frozen=True, slots=True)
class VariableUse:
    """One ``$NAME`` or ``${NAME…}`` in a text.

    ``bare`` unless a modifier says what an unset value gives (``${NAME:-default}``, ``${NAME+x}``,
    ``${NAME:?message}``): the author has then thought about the variable being unset.
    """

    name: str
    start: int
    end: int
    bare: bool


def variable_uses(text: str, names: Iterable[str], escape: str = "\\") -> list[VariableUse]:
    """Where ``names`` are referenced in ``text`` (an escaped ``$`` is not a reference)."""
    uses: list[VariableUse] = []
    for name in names:
        pattern = re.compile(rf"\$(?:\{{{re.escape(name)}(?P<after>[^A-Za-z0-9_])|{re.escape(name)}(?![A-Za-z0-9_]))")
        for match in pattern.finditer(text):
            if match.start() > 0 and text[match.start() - 1] == escape:
                continue
            after = match.group("after")
            uses.append(VariableUse(name, match.start(), match.end(), after is None or after not in ":-+?"))
    return sorted(uses, key=lambda use: use.start)


def bare_uses(text: str, names: Iterable[str], escape: str = "\\") -> list[VariableUse]:
    """The uses of ``names`` in ``text`` that expand to nothing when the variable is unset."""
    return [use for use in variable_uses(text, names, escape) if use.bare]
