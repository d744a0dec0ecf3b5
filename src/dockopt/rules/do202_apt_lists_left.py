"""DO202: apt lists not removed in the same RUN as the install."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._size import Run, chain, ephemeral_mount, image_runs, removed_after, runs
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation

LISTS = "/var/lib/apt/lists"
_LIST_INSTALLS = frozenset({Action.INSTALL, Action.UPGRADE})


class AptListsLeft(Rule):
    """`apt-get install` whose package lists stay in the image.

    What it does:
        Flags an `apt-get install` (or `apt install`, `apt-get upgrade`) in the final stage, or a
        stage it is built FROM, when the same RUN does not delete `/var/lib/apt/lists` afterwards
        (`rm -rf /var/lib/apt/lists/*`, or `apt-get dist-clean`) and the lists are not on a cache or
        tmpfs mount (`--mount=type=cache,target=/var/lib/apt`). `apt-get clean` does not count: it
        empties `/var/cache/apt`, not the lists. Stages that are only copied from are not checked.

    Why is this bad?
        `apt-get update` downloads the package indexes of every configured repository, typically
        20-60 MB for Debian or Ubuntu. Unless the RUN that installs also deletes them, they are
        committed with its layer and shipped in every image, where nothing uses them: a later
        `apt-get install` has to run `apt-get update` again anyway. Deleting them in a later RUN
        saves nothing, since the earlier layer keeps them.

    Example:
        ```dockerfile
        RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg
        ```

    Use instead:
        ```dockerfile
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends ffmpeg \\
            && rm -rf /var/lib/apt/lists/*
        ```
        or keep the lists in BuildKit's cache, out of the image:
        ```dockerfile
        RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
            --mount=type=cache,target=/var/lib/apt,sharing=locked \\
            apt-get update && apt-get install -y --no-install-recommends ffmpeg
        ```

    Fix safety:
        Safe: appending `&& rm -rf /var/lib/apt/lists/*` to the RUN removes only the package
        indexes, which no program in the image reads.

    Deliberate differences:
        hadolint's DL3009 also fires when `/var/lib/apt` is a cache mount, where the lists never
        reach the layer, and when the RUN only removes packages; it accepts an `rm` placed before
        the install and misses other spellings (`rm -r /var/lib/apt/lists`). When the update is in
        a RUN of its own, DL3009 points at that RUN; dockopt points at the install, whose layer
        the fix changes, and names the update's line. dockopt checks only the stages that end up
        in the image, and no RUN under a non-POSIX SHELL.
    """

    id = "DO202"
    name = "apt-lists-left"
    severity = Severity.WARNING
    groups = ("size",)
    equivalents = ("hadolint:DL3009",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in image_runs(ctx):
            install = _leaves_lists(run)
            if install is None:
                continue
            update = _update_line(ctx, run, install)
            cause = (
                f" (the lists come from `apt-get update` on line {update}, a separate RUN: merge them into this one)"
                if update is not None
                else ""
            )
            yield self.finding(
                ctx,
                (install.command.start, install.command.end),
                f"`{_spelling(install)}` leaves the apt package lists ({LISTS}, tens of MB) in this layer{cause}; "
                "end the same RUN with `&& rm -rf /var/lib/apt/lists/*`, or mount /var/lib/apt as a cache",
            )


def _leaves_lists(run: Run) -> PackageOperation | None:
    """The first apt install of the RUN after which the lists are neither deleted nor mounted away."""
    if ephemeral_mount(run.state, LISTS) is not None:
        return None
    for operation in run.operations:
        if operation.manager != "apt" or operation.action not in _LIST_INSTALLS:
            continue
        if operation.action is Action.INSTALL and not operation.packages and operation.local_paths:
            continue  # only local .deb files: no repository is read
        after = operation.command.end
        if removed_after(run.script, LISTS, after) or _dist_clean_after(run, after):
            continue
        return operation
    return None


def _dist_clean_after(run: Run, after: int) -> bool:
    """`apt-get dist-clean` (apt 2.7+) deletes the lists too."""
    return any(
        command.start >= after and command.name in ("apt-get", "apt") and command.subcommand in _DIST_CLEAN
        for command in run.script.commands
    )


_DIST_CLEAN = frozenset({"dist-clean", "distclean"})


def _update_line(ctx: FileContext, run: Run, install: PackageOperation) -> int | None:
    """The line of the `apt-get update` that fetched the lists, when it ran in an earlier RUN."""
    if any(
        op.manager == "apt" and op.action is Action.UPDATE and op.command.start < install.command.start
        for op in run.operations
    ):
        return None
    found = None
    for earlier in runs(ctx, chain(run.state.stage)):
        if earlier.state.instruction.span.start >= run.state.instruction.span.start:
            break
        if any(op.manager == "apt" and op.action is Action.UPDATE for op in earlier.operations):
            found = earlier.line
    return found


def _spelling(operation: PackageOperation) -> str:
    """``apt-get install`` as written (the subcommand, not an option's value)."""
    command = operation.command
    verb = next((w.text for w in command.args if w.text in _VERBS), "install")
    return f"{command.name} {verb}"


_VERBS = frozenset({"install", "reinstall", "build-dep", "upgrade", "dist-upgrade", "full-upgrade"})
