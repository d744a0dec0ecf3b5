"""DO202: apt lists not removed in the same RUN as the install."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules import _rewrite
from dockopt.rules._cache import Run
from dockopt.rules._size import chain, ephemeral_mount, image_runs, later, removed_after, runs
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import parse_shell
from dockopt.shell.packages import Action, PackageOperation
from dockopt.syntax import Form, Instruction

LISTS = "/var/lib/apt/lists"
_LIST_INSTALLS = frozenset({Action.INSTALL, Action.UPGRADE})


class AptListsLeft(Rule):
    """`apt-get install` whose package lists stay in the image.

    What it does:
        Flags an `apt-get install` (or `apt install`, `apt-get upgrade`) in the final stage, or a
        stage it is built FROM, that runs on fresh package lists (`apt-get update` earlier in the
        same RUN, or in an earlier RUN that only updates) when the same RUN does not delete
        `/var/lib/apt/lists` afterwards (`rm -rf /var/lib/apt/lists/*`, or `apt-get dist-clean`)
        and the lists are not on a cache or tmpfs mount (`--mount=type=cache,target=/var/lib/apt`).
        `apt-get clean` does not count: it empties `/var/cache/apt`, not the lists. Stages that
        are only copied from are not checked, nor is an install whose lists an earlier RUN
        already removed (its layer adds none) or left behind with its own install (reported there).

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
        Safe: the fix appends `rm -rf /var/lib/apt/lists/*` to the end of the RUN, joined by `&&`
        on a continuation line in the RUN's own style (a leading `&&`, a trailing `&& \\`, or `;`
        after `set -e`), so the RUN's exit status is unchanged; in a `RUN <<EOF` under `set -e` it
        is a last line of the script. It removes only the package indexes, which no program in the
        image reads. There is no fix when a later RUN of the stage (or of a stage built FROM it)
        runs `apt-get install` without its own `apt-get update` (it needs these lists), nor when
        the edited RUN would not parse as the same commands plus the removal (a trailing shell
        comment or `;`).

    Deliberate differences:
        Stages: hadolint's DL3009 checks the last stage and every stage whose name a later FROM
        uses, even when that chain never reaches the final image (`FROM builder AS test` in a
        file whose last stage starts from another image); dockopt checks the final stage and
        the stages it is built FROM, since the lists of any other stage are never shipped.
        DL3009 also checks `ONBUILD` instructions; dockopt does not (they run in another
        image's build).

        Cache mounts: DL3009 accepts a mount on `/var/lib/apt/lists`, or on both `/var/lib/apt`
        and `/var/cache/apt`; dockopt accepts any cache or tmpfs mount that holds the lists
        (`/var/lib/apt` alone is enough: the lists never reach the layer).

        Spellings: DL3009 wants the exact words `rm -rf /var/lib/apt/lists/*` anywhere in the
        RUN, so it accepts one placed before the install and misses `rm -r
        /var/lib/apt/lists` and `apt-get dist-clean`; dockopt wants the lists gone after the
        install, however that is written. DL3009 looks only at RUNs that run `apt-get update`
        (or `apt update`) and does not see through `sudo`. When the update is in a RUN of its
        own, DL3009 points at that RUN, while dockopt points at the install (whose layer the fix
        changes) and names the update's line. dockopt checks no RUN under a non-POSIX SHELL.
    """

    id = "DO202"
    name = "apt-lists-left"
    severity = Severity.WARNING
    groups = ("size",)
    equivalents = ("hadolint:DL3009",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in image_runs(ctx):
            found = _leaves_lists(ctx, run)
            if found is None:
                continue
            install, update = found
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
                fix=_fix(ctx, run),
            )


def _leaves_lists(ctx: FileContext, run: Run) -> tuple[PackageOperation, int | None] | None:
    """The first apt install of the RUN after which fresh lists stay, and the line of a separate update RUN.

    The lists are fresh when `apt-get update` ran earlier in this RUN, or in an earlier RUN that
    did nothing else with them (an update-only RUN: the fix merges it here). Without either, this
    layer holds no lists: an earlier RUN removed them, or left them with its own install (reported there).
    """
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
        if _update_before(run, operation.command.start) is not None:
            return operation, None
        update = _update_only_run(ctx, run)
        if update is not None:
            return operation, update
    return None


def _update_before(run: Run, offset: int | None = None) -> PackageOperation | None:
    """The last `apt-get update` of the RUN (before ``offset``, when given)."""
    updates = [op for op in run.operations if _is_update(op) and (offset is None or op.command.start < offset)]
    return updates[-1] if updates else None


def _is_update(operation: PackageOperation) -> bool:
    return operation.manager == "apt" and operation.action is Action.UPDATE


def _update_only_run(ctx: FileContext, run: Run) -> int | None:
    """The line of an earlier RUN of the image whose `apt-get update` left the lists and installed nothing."""
    found = None
    for earlier in runs(ctx, chain(run.state.stage)):
        if earlier.state.instruction.span.start >= run.state.instruction.span.start:
            break
        update = _update_before(earlier)
        if update is None:
            if removed_after(earlier.script, LISTS, 0):
                found = None
            continue
        kept = ephemeral_mount(earlier.state, LISTS) is None and not (
            removed_after(earlier.script, LISTS, update.command.end) or _dist_clean_after(earlier, update.command.end)
        )
        installs = any(
            op.manager == "apt" and op.action in _LIST_INSTALLS for op in later(earlier.operations, update.command)
        )
        found = earlier.line if kept and not installs else None
    return found


def _dist_clean_after(run: Run, after: int) -> bool:
    """`apt-get dist-clean` (apt 2.7+) deletes the lists too."""
    return any(
        command.start >= after and command.name in ("apt-get", "apt") and command.subcommand in _DIST_CLEAN
        for command in run.script.commands
    )


_DIST_CLEAN = frozenset({"dist-clean", "distclean"})


def _spelling(operation: PackageOperation) -> str:
    """``apt-get install`` as written (the subcommand, not an option's value)."""
    command = operation.command
    verb = next((w.text for w in command.args if w.text in _VERBS), "install")
    return f"{command.name} {verb}"


_VERBS = frozenset({"install", "reinstall", "build-dep", "upgrade", "dist-upgrade", "full-upgrade"})


# -- fix -------------------------------------------------------------------------------------------------------

_REMOVAL = "rm -rf /var/lib/apt/lists/*"


@cache
def _removal_shapes() -> list[_rewrite.Shape]:
    return _rewrite.shapes(parse_shell(_REMOVAL))
_APT_PROGRAMS = frozenset({"apt-get", "apt", "apt-cache", "aptitude"})
# apt subcommands that read no package list.
_LISTLESS = frozenset(
    {"update", "clean", "autoclean", "dist-clean", "distclean", "remove", "purge", "autoremove", "autopurge"}
)
_HEREDOC_ONLY = re.compile(r"<<-?(['\"]?)\w+\1")
_APT_WORD = re.compile(r"\bapt(?:-get|-cache|itude)?\b")


def _fix(ctx: FileContext, run: Run) -> Fix | None:
    """Append the removal of the lists to the RUN, in its own continuation style."""
    ins = run.state.instruction
    if _lists_read_later(ctx, run):
        return None  # a later RUN installs without its own `apt-get update`: it needs these lists
    heredoc = bool(ins.heredocs) and ins.arguments.lstrip().startswith("<<")
    edit = _heredoc_edit(ctx, run) if heredoc else _shell_edit(ctx, run)
    if edit is None:
        return None
    expected = _rewrite.shapes(run.script) + _removal_shapes()
    if not _rewrite.script_becomes(ctx.df, ins, [edit], expected):
        return None
    return Fix(FixSafety.SAFE, f"end the RUN with `{_REMOVAL}`", (edit,))


def _shell_edit(ctx: FileContext, run: Run) -> Edit | None:
    ins = run.state.instruction
    span = ins.arguments_span
    lines = _rewrite.content_lines(ins)
    if span is None or ins.form is not Form.SHELL or not lines:
        return None
    df = ctx.df
    escape = df.escape
    newline = _rewrite.line_ending(ins, df)
    if len(lines) == 1:
        return Edit(span.end, span.end, f" {escape}{newline}    && {_REMOVAL}")
    last = lines[-1]
    indent = _rewrite.indentation(df, last)
    previous = df.text[lines[-2].span.start : lines[-2].span.end].rstrip()
    previous = previous.removesuffix(escape).rstrip()
    if df.text[last.span.start : last.span.end].lstrip().startswith("&&"):
        text = f" {escape}{newline}{indent}&& {_REMOVAL}"
    elif previous.endswith("&&"):
        text = f" && {escape}{newline}{indent}{_REMOVAL}"
    elif previous.endswith(";") and "e" in run.script.set_options:
        text = f"; {escape}{newline}{indent}{_REMOVAL}"  # `set -e; a; b` style: an error still stops the RUN
    else:
        text = f" {escape}{newline}{indent}&& {_REMOVAL}"
    return Edit(span.end, span.end, text)


def _heredoc_edit(ctx: FileContext, run: Run) -> Edit | None:
    """``RUN <<EOF``: a last line under ``set -e``, else `&& rm …` on the last command's line."""
    ins = run.state.instruction
    if len(ins.heredocs) != 1 or not _HEREDOC_ONLY.fullmatch(ins.arguments.strip()):
        return None
    doc = ins.heredocs[0]
    if doc.terminator is None or not doc.content.endswith("\n"):
        return None
    text = ctx.df.text
    body = text[doc.body.start : doc.body.end]
    lines = body.splitlines(keepends=True)
    offset = doc.body.start
    last_start = last_end = None
    for line in lines:
        if line.strip():
            last_start, last_end = offset, offset + len(line.rstrip())
        offset += len(line)
    if last_start is None or last_end is None:
        return None
    last_line = text[last_start:last_end]
    indent = last_line[: len(last_line) - len(last_line.lstrip())]
    commands = run.script.commands
    simple_last = bool(commands) and _rewrite.plain(commands[-1]) and not any(op in last_line for op in ("&&", "||"))
    if "e" in run.script.set_options and simple_last:
        newline = "\r\n" if body.endswith("\r\n") else "\n"
        return Edit(doc.body.end, doc.body.end, f"{indent}{_REMOVAL}{newline}")
    return Edit(last_end, last_end, f" && {_REMOVAL}")


def _lists_read_later(ctx: FileContext, run: Run) -> bool:
    """A later instruction of this stage, or of a stage built FROM it, reads the lists before updating them."""
    stage = run.state.stage
    start = run.state.instruction.span.start
    for model in ctx.model.stages:
        if not any(s is stage for s in chain(model)):
            continue
        for state in model.states:
            ins = state.instruction
            if ins.span.start <= start or ins.keyword not in ("RUN", "ONBUILD"):
                continue
            if _reads_lists(ctx, ins):
                return True
    return False


def _reads_lists(ctx: FileContext, ins: Instruction) -> bool:
    script = ctx.script(ins) if ins.keyword == "RUN" else None
    if script is None:
        return _APT_WORD.search(ins.logical) is not None  # exec form, ONBUILD, another shell: assume it does
    for command in script.commands:
        if command.name not in _APT_PROGRAMS:
            continue
        if command.subcommand == "update":
            return False
        if command.subcommand not in _LISTLESS:
            return True
    return False
