"""DO106: a frequently changing ARG/ENV declared before expensive steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from dockopt.findings import Finding, Severity
from dockopt.model import StageModel
from dockopt.rules._cache import INSTALLING, descendants, spelling
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Word
from dockopt.shell.packages import Action, Download, ModelDownload, PackageOperation, classify
from dockopt.syntax import Instruction

_EXPENSIVE_ACTIONS = INSTALLING | {Action.WHEEL, Action.DOWNLOAD}
_BUILD_TOOLS = frozenset(
    {"make", "cmake", "ninja", "meson", "cargo", "mvn", "gradle", "gradlew", "bazel", "gcc", "g++", "nvcc", "rustup"}
)
_VOLATILE_NAMES = frozenset(
    {
        "VERSION", "APP_VERSION", "BUILD_VERSION", "IMAGE_VERSION", "RELEASE", "RELEASE_VERSION", "IMAGE_TAG",
        "TAG", "SHA", "COMMIT", "REVISION", "VCS_REF", "SOURCE_COMMIT", "SOURCE_VERSION", "BRANCH", "BUILD_DATE",
        "BUILDDATE", "BUILD_TIME", "BUILDTIME", "BUILD_TIMESTAMP", "TIMESTAMP", "DATE", "CREATED", "BUILD_NUMBER",
        "BUILD_ID", "BUILD_TAG", "BUILD_REF",
    }
)  # fmt: skip
_CI_PREFIXES = ("CI_", "GITHUB_", "GITLAB_", "CIRCLE_", "TRAVIS_", "BUILDKITE_", "DRONE_", "BITBUCKET_", "CODEBUILD_")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# Instructions that only set image metadata: a value there changes no later step's cache key.
_METADATA = frozenset({"LABEL", "MAINTAINER", "CMD", "ENTRYPOINT", "EXPOSE", "STOPSIGNAL", "HEALTHCHECK"})


@lru_cache(maxsize=4096)  # the same names recur in every file
def is_volatile(name: str) -> bool:
    """A name for a value that changes with every commit, build or release (GIT_SHA, BUILD_DATE, VERSION)."""
    upper = name.upper()
    if upper in _VOLATILE_NAMES:
        return True
    tokens = set(upper.split("_"))
    if tokens & {"COMMIT", "REVISION", "VCS"}:
        return True
    if "GIT" in tokens and tokens & {"SHA", "SHA1", "HASH", "REF", "BRANCH", "TAG", "DESCRIBE", "REV"}:
        return True
    if tokens & {"BUILD", "IMAGE", "RELEASE", "CREATED"} and tokens & {"DATE", "TIME", "TIMESTAMP"}:
        return True
    if tokens & {"BUILD", "PIPELINE", "JOB", "RUN"} and tokens & {"NUMBER", "NUM", "ID"}:
        return True
    return upper.startswith(_CI_PREFIXES) and bool(tokens & {"SHA", "SHA1", "REF", "TAG", "BRANCH"})


@dataclass(frozen=True, slots=True)
class _Declaration:
    instruction: Instruction
    name: str


class VolatileValueEarly(Rule):
    """A frequently changing ARG or ENV declared before the expensive steps of a stage.

    What it does:
        Flags an ARG or ENV whose value changes with every commit, build or release — by its name
        (GIT_SHA, GIT_COMMIT, COMMIT, VCS_REF, SOURCE_COMMIT, BUILD_DATE, BUILD_NUMBER, VERSION, CI
        variables such as CI_COMMIT_SHA or GITHUB_SHA) or because its value refers to such a variable
        (`ENV APP_REVISION=${GIT_SHA}`) — when an expensive RUN (a package install, a download, a
        compile) follows it in the stage, or in a stage built FROM it, before anything uses the value.
        One finding per stage and expensive step, at the first such declaration; the message names the
        step it invalidates. A RUN that uses the value itself (`RUN curl -O https://…/tool-${VERSION}.tgz`)
        needs it, so a declaration right before it is fine: only expensive steps before the first use
        count.

        How BuildKit treats these instructions (checked on a real engine, Docker 20.10 with BuildKit):

        - `ARG NAME` with a value (a default or `--build-arg`) adds NAME to the environment of every
          later RUN of the stage, used or not. A RUN's cache key includes its environment, so a new
          value re-runs the first RUN after the ARG, and with it every later step. COPY and ADD are not
          affected by the ARG itself (their cache key is the files), but they are rebuilt anyway once
          a RUN before them was. A stage built FROM this one inherits the environment.
        - `ENV NAME=value` does the same: the variable is part of every later RUN's environment.
        - `LABEL` only writes image metadata: under BuildKit a changing label invalidates no later
          step (the legacy builder did invalidate everything after it). A LABEL that uses a volatile
          ARG is not reported itself; the ARG it needs is.
        - `$(date)` in an ARG default or ENV value is not run by the Dockerfile: the value is the
          constant text `$(date)`, which never invalidates anything, so it is not reported.

    Why is this bad?
        With `ARG GIT_SHA` at the top of a stage and CI passing `--build-arg GIT_SHA=$(git rev-parse
        HEAD)`, every commit re-runs apt, pip and the rest of the stage, even when only the label
        should change: the cache never hits in CI.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        ARG GIT_SHA
        LABEL org.opencontainers.image.revision=$GIT_SHA
        RUN pip install -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        RUN pip install -r requirements.txt
        ARG GIT_SHA
        LABEL org.opencontainers.image.revision=$GIT_SHA
        ```
        Declare the value just before its first use, after the expensive steps.
    """

    id = "DO106"
    name = "volatile-value-early"
    severity = Severity.INFO
    groups = ("cache",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            # expensive step (its offset) -> the declarations that invalidate it, in order
            by_step: dict[int, tuple[str, list[_Declaration]]] = {}
            for index, state in enumerate(stage.states):
                for declaration in _volatile_declarations(state.instruction):
                    region = [s.instruction for s in stage.states[index + 1 :]]
                    region += [s.instruction for child in descendants(ctx, stage) for s in child.states]
                    step = _first_expensive_before_use(ctx, region, declaration.name)
                    if step is not None:
                        ins, command = step
                        by_step.setdefault(ins.span.start, (command, []))[1].append(declaration)
            for command, declarations in by_step.values():
                first = declarations[0]
                yield self.finding(ctx, first.instruction, _message(ctx, stage, declarations, command))


def _volatile_declarations(ins: Instruction) -> Iterator[_Declaration]:
    if ins.keyword == "ARG":
        for value in ins.values:
            name, _, default = value.partition("=")
            if is_volatile(name) or _refers_to_volatile(default):
                yield _Declaration(ins, name)
    elif ins.keyword == "ENV":
        values = ins.values
        for name, value in zip(values[0::2], values[1::2], strict=False):
            if is_volatile(name) or _refers_to_volatile(value):
                yield _Declaration(ins, name)


def _refers_to_volatile(value: str) -> bool:
    return any(is_volatile(match) for match in _REFERENCE.findall(value))


def _uses(ctx: FileContext, ins: Instruction, name: str) -> bool:
    if ins.keyword in _METADATA or ins.keyword in ("ARG", "ENV", "FROM"):
        return False
    text = ctx.df.source(ins.span)
    return any(match == name for match in _REFERENCE.findall(text))


def _first_expensive_before_use(
    ctx: FileContext, region: list[Instruction], name: str
) -> tuple[Instruction, str] | None:
    for ins in region:
        if _uses(ctx, ins, name):
            return None
        if ins.keyword == "RUN":
            command = _expensive_command(ctx, ins)
            if command is not None:
                return ins, command
    return None


def _expensive_command(ctx: FileContext, ins: Instruction) -> str | None:
    """The expensive command of a RUN (`apt-get install`, `pip install`, `curl`, `make`) and its line, or None."""
    script = ctx.script(ins)
    if script is None:
        return None
    state = ctx.state(ins)
    for command in script.commands:
        result = classify(command, script, env=state.env)
        if isinstance(result, PackageOperation) and result.action in _EXPENSIVE_ACTIONS:
            verbs = frozenset({"install", "add", "sync", "ci", "wheel", "download", "create"})
            return f"`{spelling(command, verbs)}` on line {ctx.df.position(command.start).line}"
        if isinstance(result, Download | ModelDownload):
            return f"`{command.name}` on line {ctx.df.position(command.start).line}"
        if command.name in _BUILD_TOOLS or (command.name.startswith("python") and _runs_setup(command.args)):
            written = " ".join(w.text for w in command.argv[:2])
            return f"`{written}` on line {ctx.df.position(command.start).line}"
    return None


def _runs_setup(args: tuple[Word, ...]) -> bool:
    texts = [word.text for word in args[:2]]
    return bool(texts) and (texts[0] == "setup.py" or texts == ["-m", "build"])


def _message(ctx: FileContext, stage: StageModel, declarations: list[_Declaration], command: str) -> str:
    first = declarations[0]
    name = first.name
    text = (
        f"{first.instruction.keyword} {name} changes with every commit or build, and BuildKit puts it in the "
        f"environment of every later RUN: {command} and every step after it are rebuilt whenever it changes; "
        f"declare {name} after the expensive steps, just before its first use"
    )
    others = [f"{d.name} (line {d.instruction.start_line})" for d in declarations[1:] if d.name != name]
    if others:
        text += f"; the same holds for {', '.join(others)}"
    names = {d.name for d in declarations}
    labels = [
        state.instruction.start_line
        for state in stage.states
        if state.instruction.keyword == "LABEL"
        and names & set(_REFERENCE.findall(ctx.df.source(state.instruction.span)))
    ]
    if labels:
        where = f"line {labels[0]}" if len(labels) == 1 else "lines " + ", ".join(str(n) for n in labels)
        text += f" (move the LABEL on {where} with it: a label alone invalidates nothing)"
    return text
