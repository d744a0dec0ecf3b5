"""DO105: apt-get update in a different RUN from the install that needs it."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules._cache import APT_LISTS, INSTALLING, Run, descendants, overlaps, spelling, stage_runs
from dockopt.rules._runfix import body, flags_key, insert_in_header, lost_comment
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation
from dockopt.syntax import Blank, Instruction

_USES_LISTS = INSTALLING | {Action.DOWNLOAD}
# Between the update and the install, these do not depend on the lists or change what apt fetches.
_INERT_BETWEEN = frozenset(
    {"WORKDIR", "LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER", "ONBUILD"}
)
_APT_WORDS = ("apt", "dpkg", "/etc/", "gpg", "sources.list", "keyring", "proxy")


class AptUpdateAlone(Rule):
    """`apt-get update` in a RUN of its own, with the install in a later RUN.

    What it does:
        Flags an `apt-get update` (or `apt update`) in a RUN that installs nothing with apt, when a
        later RUN of the same stage (or of a stage built FROM it) installs or upgrades apt packages
        without running `apt-get update` itself first. The finding points at the `apt-get update` and
        names the install's line.

    Why is this bad?
        The update's layer is cached on its own. When the install line changes months later, BuildKit
        reuses the old package lists and apt asks the mirror for versions that no longer exist: the
        build fails with 404 errors, or installs outdated packages. The lists also stay in the image
        in the update's layer, where no later `rm -rf /var/lib/apt/lists/*` can remove them.

    Example:
        ```dockerfile
        RUN apt-get update
        RUN apt-get install -y --no-install-recommends curl
        ```

    Use instead:
        ```dockerfile
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends curl \\
            && rm -rf /var/lib/apt/lists/*
        ```

    Fix safety:
        Safe: the fix deletes the RUN that only runs `apt-get update` and puts the same command, with
        `&&`, in front of the body of the RUN that installs (the first one after it in the same stage).
        The update then runs right before what followed it anyway, and still stops the build when it
        fails, since the install's body must be a plain `&&` chain. The package lists end up in the
        install's layer instead of their own: apt lists are caches, and nothing else in the image
        changes. No fix when something between the two could see the difference: a USER, SHELL or
        VOLUME instruction, a COPY/ADD into /etc, a RUN, ENV or ARG that mentions apt, dpkg, /etc,
        keys, sources or proxies; when the two RUNs have different flags (unless the update has none
        and the install only adds cache mounts that do not hold the lists); when the update RUN does
        anything else, spans several lines or is a heredoc; or when the install is in another stage.

    Deliberate differences:
        trivy's DS017 and checkov's CKV_DOCKER_5 flag every update without an install in the same RUN;
        dockopt only reports it when a later RUN really relies on those lists.
    """

    id = "DO105"
    name = "apt-update-alone"
    severity = Severity.WARNING
    groups = ("cache",)
    equivalents = ("trivy:DS017", "checkov:CKV_DOCKER_5")
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            runs = list(stage_runs(ctx, stage))
            for index, run in enumerate(runs):
                update = _lone_update(run)
                if update is None:
                    continue
                later = runs[index + 1 :] + [r for s in descendants(ctx, stage) for r in stage_runs(ctx, s)]
                found = _first_install_relying_on_lists(later)
                if found is None:
                    continue
                target, install = found
                command = update.command
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{spelling(command)}` runs in a RUN of its own, but the `{spelling(install.command)}` on "
                    f"line {_line(ctx, install)} uses its lists: that RUN is cached apart, so a later change to "
                    "the install reuses stale lists (404s for superseded packages); run `apt-get update && "
                    "apt-get install …` in one RUN",
                    fix=_fix(ctx, stage, run, target),
                )


def _apt(run: Run) -> list[PackageOperation]:
    return [op for op in run.operations if op.manager == "apt"]


def _lone_update(run: Run) -> PackageOperation | None:
    operations = _apt(run)
    if any(op.action in _USES_LISTS for op in operations):
        return None
    return next((op for op in operations if op.action is Action.UPDATE), None)


def _first_install_relying_on_lists(runs: list[Run]) -> tuple[Run, PackageOperation] | None:
    for run in runs:
        operations = _apt(run)
        install = next((op for op in operations if op.action in _USES_LISTS), None)
        if install is None:
            continue
        refreshed = any(op.action is Action.UPDATE and op.command.start < install.command.start for op in operations)
        return None if refreshed else (run, install)
    return None


def _fix(ctx: FileContext, stage: StageModel, update: Run, install: Run) -> Fix | None:
    """Delete the lone update RUN and start the install RUN with ``apt-get update &&``."""
    lone, target = update.instruction, install.instruction
    if install.state.stage is not stage or len(update.script.commands) != 1:
        return None
    head, tail = body(lone), body(target)
    if head is None or tail is None or not head.chain or len(head.statements) != 1 or not tail.chain:
        return None  # `update && a; b` would run b after a failed update, which stopped the build before
    text = ctx.df.text[head.statements[0].start : head.statements[0].end]
    if "\n" in text or lost_comment(lone, lone.span.start, lone.span.end):
        return None
    if not _same_conditions(update, install) or not _independent(ctx, stage, lone, target):
        return None
    start, end = lone.span.start, lone.span.end
    nodes = ctx.df.nodes
    position = next(i for i, node in enumerate(nodes) if node is lone)
    if (
        0 < position < len(nodes) - 1
        and isinstance(nodes[position - 1], Blank)
        and isinstance(nodes[position + 1], Blank)
    ):
        end = nodes[position + 1].span.end  # do not leave two blank lines behind
    insertion = insert_in_header(ctx.df, target, ctx.keyword_start(target), f"{text} && ")
    if insertion is None or target.arguments_span is None or tail.start != target.arguments_span.start:
        return None
    edits = (Edit(start, end, ""), insertion)
    return Fix(FixSafety.SAFE, f"run `{text}` in the RUN on line {target.start_line}", edits)


def _same_conditions(update: Run, install: Run) -> bool:
    """The update would run under the same flags: the same, or none where the install only adds cache mounts
    that leave the lists alone."""
    if flags_key(update.instruction) == flags_key(install.instruction):
        return True
    if update.instruction.flags:
        return False
    mounts = install.state.mounts
    return len(mounts) == len(install.instruction.flags) and all(
        m.type == "cache" and not overlaps(m.target, APT_LISTS + "/lists") for m in mounts
    )


def _independent(ctx: FileContext, stage: StageModel, lone: Instruction, target: Instruction) -> bool:
    """Nothing between the two RUNs reads the lists or changes what `apt-get update` would fetch."""
    for state in stage.states:
        ins = state.instruction
        if ins.span.start <= lone.span.start:
            continue
        if ins.span.start >= target.span.start:
            return True
        if ins.keyword in _INERT_BETWEEN:
            continue
        if ins.keyword in ("COPY", "ADD"):
            destination = (ctx.expansion.at(ins).values or ins.values)[-1:]
            if destination and not destination[0].startswith("/etc") and destination[0] != "/":
                continue
            return False
        text = ctx.df.source(ins.span).lower()
        if ins.keyword in ("RUN", "ENV", "ARG") and not any(word in text for word in _APT_WORDS):
            continue
        return False  # USER, SHELL, VOLUME, FROM, or a step that touches apt
    return True


def _line(ctx: FileContext, operation: PackageOperation) -> int:
    return ctx.df.position(operation.command.start).line
