"""DO105: apt-get update in a different RUN from the install that needs it."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._cache import INSTALLING, Run, descendants, spelling, stage_runs
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation

_USES_LISTS = INSTALLING | {Action.DOWNLOAD}


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
        Safe: the fix moves the `apt-get update` into the RUN of the install, in front of it, when the
        two RUNs have the same flags and nothing between them depends on the lists.

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
                install = _first_install_relying_on_lists(later)
                if install is None:
                    continue
                command = update.command
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{spelling(command)}` runs in a RUN of its own, but the `{spelling(install.command)}` on "
                    f"line {_line(ctx, install)} uses its lists: that RUN is cached apart, so a later change to "
                    "the install reuses stale lists (404s for superseded packages); run `apt-get update && "
                    "apt-get install …` in one RUN",
                )


def _apt(run: Run) -> list[PackageOperation]:
    return [op for op in run.operations if op.manager == "apt"]


def _lone_update(run: Run) -> PackageOperation | None:
    operations = _apt(run)
    if any(op.action in _USES_LISTS for op in operations):
        return None
    return next((op for op in operations if op.action is Action.UPDATE), None)


def _first_install_relying_on_lists(runs: list[Run]) -> PackageOperation | None:
    for run in runs:
        operations = _apt(run)
        install = next((op for op in operations if op.action in _USES_LISTS), None)
        if install is None:
            continue
        refreshed = any(op.action is Action.UPDATE and op.command.start < install.command.start for op in operations)
        return None if refreshed else install
    return None


def _line(ctx: FileContext, operation: PackageOperation) -> int:
    return ctx.df.position(operation.command.start).line
