"""DO507: COPY --from of an unknown stage or of its own stage; duplicate stage names."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction, Span, Stage


class CopyFromStage(Rule):
    """`COPY --from` (or `RUN --mount=from=`) naming a stage that is not defined before it.

    What it does:
        Flags `COPY --from=NAME` and `RUN --mount=...,from=NAME` where NAME is the current
        stage, a stage defined later, a stage index out of range, or a bare name that is no
        stage at all; and a `FROM ... AS NAME` that reuses an earlier stage name. A reference
        that looks like an image (`nginx:1.27`, `ghcr.io/org/tool`) is an image, not a stage,
        and is not flagged.

    Why is this bad?
        BuildKit resolves `--from` only against stages defined earlier. Any other name is
        taken as an image to pull: a typo in a stage name becomes a pull of `docker.io/library/
        <typo>` that fails, or worse, succeeds with someone else's image. A stage cannot copy
        from itself, and two stages with one name make `--from` ambiguous.

    Example:
        ```dockerfile
        FROM python:3.11-slim AS build
        RUN pip wheel -w /wheels -r requirements.txt
        FROM python:3.11-slim
        COPY --from=builder /wheels /wheels
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim AS build
        RUN pip wheel -w /wheels -r requirements.txt
        FROM python:3.11-slim
        COPY --from=build /wheels /wheels
        ```

    Deliberate differences:
        hadolint's DL3022 checks `COPY --from` only; dockopt also checks `RUN --mount=...,from=`,
        which BuildKit resolves the same way (those findings have no hadolint equivalent).
        DL3023 recognises a stage copying from itself by its name only; dockopt also by its
        index (`COPY --from=2` in the third stage).
    """

    id = "DO507"
    name = "copy-from-unknown-stage"
    severity = Severity.ERROR
    groups = ("correctness",)
    equivalents = ("hadolint:DL3022", "hadolint:DL3023", "hadolint:DL3024")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        names: dict[str, Stage] = {}
        all_names = {stage.name: stage for stage in ctx.stages if stage.name}
        for stage in ctx.stages:
            if stage.name:
                earlier = names.get(stage.name)
                if earlier is not None:
                    yield self.finding(
                        ctx,
                        stage.from_instruction,
                        f"stage name {stage.name!r} is already used by the stage on line "
                        f"{earlier.from_instruction.start_line}",
                        equivalents=("hadolint:DL3024",),
                    )
                else:
                    names[stage.name] = stage
            for ins in stage.instructions:
                for reference, span, is_copy in _references(ins):
                    problem = _problem(reference, stage, names, all_names)
                    if problem:
                        message, peer = problem
                        # hadolint checks COPY --from only; a RUN --mount from= has no peer rule
                        yield self.finding(ctx, span, message, equivalents=(peer,) if is_copy else ())


def _references(ins: Instruction) -> Iterator[tuple[str, Span, bool]]:
    """(stage reference, where, whether it is a COPY/ADD --from) for every reference in ``ins``."""
    target = ins.sub if ins.sub is not None else ins
    if target.keyword in ("COPY", "ADD"):
        for flag in target.flags_named("from"):
            if flag.value:
                yield flag.value, flag.span, True
    if target.keyword == "RUN":
        for flag in target.flags_named("mount"):
            source = flag.key_values().get("from")
            if source:
                yield source, flag.span, False


_UNKNOWN = "hadolint:DL3022"
_ITSELF = "hadolint:DL3023"


def _problem(
    reference: str, stage: Stage, earlier: dict[str, Stage], every: dict[str, Stage]
) -> tuple[str, str] | None:
    """(message, the peer rule it matches) when ``reference`` is not an earlier stage or an image."""
    if "$" in reference:
        return None  # decided by a build argument
    name = reference.lower()
    if name.isdigit():
        index = int(name)
        if index == stage.index:
            return f"--from={reference} is this stage itself: a stage cannot copy from itself", _ITSELF
        if index > stage.index:
            return f"--from={reference} refers to a later stage: only earlier stages can be copied from", _UNKNOWN
        return None
    if stage.name == name:
        return f"--from={reference} is this stage itself: a stage cannot copy from itself", _ITSELF
    if name in earlier:
        return None
    if name in every:
        line = every[name].from_instruction.start_line
        message = (
            f"--from={reference} refers to the stage defined later on line {line}: BuildKit only "
            "resolves earlier stages and would try to pull an image of that name"
        )
        return message, _UNKNOWN
    if any(ch in reference for ch in ":/@."):
        return None  # an image reference
    message = f"--from={reference} names no earlier stage: BuildKit would try to pull an image called {reference!r}"
    if earlier:
        message += f" (stages: {', '.join(sorted(earlier))})"
    return message, _UNKNOWN
