"""DO211: COPY followed by RUN chown -R / chmod -R of the same files."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import State
from dockopt.rules import _layers, _rewrite
from dockopt.rules._cache import operations as operations_of
from dockopt.rules._size import chain, split_image
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Action
from dockopt.syntax import Instruction

_OCTAL = re.compile(r"[0-7]{3,4}")


class ChownAfterCopy(Rule):
    """`RUN chown -R` or `chmod -R` of files an earlier `COPY` added: the files are stored twice.

    What it does:
        In the final stage and the stages it is built FROM, flags a recursive `chown` or
        `chmod` whose path is the destination of an earlier `COPY`/`ADD`, or a parent
        directory of it. A `COPY` that already sets `--chown` (for chown) or `--chmod` (for
        chmod) is not counted, nor is a path inside a mount of the `RUN`, nor a `COPY` of one
        small text file (`requirements.txt`, a script), whose second copy costs a few
        kilobytes. The finding names the `COPY` lines, and the earlier `RUN` lines whose files
        the same command rewrites.

    Why is this bad?
        Changing the owner or the mode of a file in a new layer copies the whole file into that
        layer: the image stores the copied tree twice, once as copied and once as changed. For
        application code that is a few megabytes; for a virtualenv or a model it is gigabytes.

    Example:
        ```dockerfile
        COPY src/ /srv/app/
        RUN chown -R app:app /srv/app
        ```

    Use instead:
        ```dockerfile
        COPY --chown=app:app src/ /srv/app/
        ```

    Fix safety:
        Safe: the fix adds `--chown=user:group` (or `--chmod=mode`) to every COPY whose files the
        `chown -R`/`chmod -R` covers and removes the command from the RUN (with its `&&` or `;`,
        or the whole RUN when it was alone). As checked on BuildKit: `--chown` also sets the
        directories the COPY creates, but not a destination that existed before (made by
        WORKDIR), and `--chmod` never sets the destination directory itself; in those cases a
        non-recursive `chown user:group DIR` (`chmod mode DIR`) stays, a one-entry layer. `chown
        -R user DIR` becomes `--chown=user:0` (the group stays root's, where `--chown=user` would
        take the user's). Files, owners and modes are then those of the original image. The fix
        is offered only when that can be known: a known base image (`python`, `debian`, ...)
        with nothing under the path, a destination whose parent directory already exists (the
        COPY would create it with the new owner), only `chown -R OWNER PATH` / `chmod -R OCTAL
        PATH` run as root, and nothing else writing there before the chown (no other COPY/ADD, no
        RUN that names the path or works inside it except package installs while only
        requirement files are there). `--chmod` needs BuildKit.
    """

    id = "DO211"
    name = "chown-after-copy"
    severity = Severity.WARNING
    groups = ("size",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for state, script, added in _layers.image_runs_after_additions(ctx):
            by_command: dict[int, list[_layers.Target]] = {}
            for target in _layers.targets(script, state, ("chown", "chmod"), skip_first=True):
                if target.recursive and not _layers.under_mount(state, target.path):
                    by_command.setdefault(target.command.start, []).append(target)
            for found in by_command.values():
                command = found[0].command
                flag = "chown" if command.name == "chown" else "chmod"
                copies = [
                    a
                    for a in added
                    if a.by_copy and a.instruction.flag(flag) is None and any(_layers.rewrites(t, a) for t in found)
                ]
                copies = [a for a in copies if not a.small]
                if not copies:
                    continue
                runs = [a for a in added if not a.by_copy and any(_layers.rewrites(t, a) for t in found)]
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    _message(command, flag, copies, runs),
                    fix=None if runs else _fix(ctx, state, script, found),
                )


def _message(command: Command, flag: str, copies: list[_layers.Added], runs: list[_layers.Added]) -> str:
    first = copies[-1]  # the nearest COPY
    operands = command.positional(frozenset({"--reference"}))
    value = operands[0].text if operands and not command.has_flag("--reference") else None
    if flag == "chmod" and (value is None or not _OCTAL.fullmatch(value)):
        value = "<octal mode>"
    shown = _layers.short(" ".join(w.text for w in command.argv), 60)
    copy_lines = _layers.lines([a.instruction for a in copies])
    also = ""
    if runs:
        also = f" (it also duplicates what {_layers.lines([a.instruction for a in runs])} created)"
    return (
        f"`{shown}` rewrites the files copied on {copy_lines} (`{_layers.short(first.what)}`), so the layer "
        f"stores them a second time{also}; set the {'owner' if flag == 'chown' else 'mode'} while copying: "
        f"{first.instruction.keyword} --{flag}={value or '<user>:<group>'} …"
    )


# -- fix -------------------------------------------------------------------------------------------------------

_OWNER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
_RECURSIVE = frozenset({"-R", "--recursive"})
# Images whose filesystem is known: nothing in /app, /srv/x, /opt/x or /home/x, and these top-level
# directories hold files (a chown there would cover files no COPY brought).
_KNOWN_BASES = frozenset({"python", "debian", "ubuntu", "alpine", "pypy", "fedora", "nvidia/cuda"})
_POPULATED = frozenset(
    {"bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "root", "run", "sbin", "sys", "tmp",
     "usr", "var"}
)  # fmt: skip
_EMPTY_DIRECTORIES = frozenset({"/srv", "/opt", "/home", "/mnt", "/media"})
_REQUIREMENT_SUFFIXES = (".txt", ".in")
_QUIET_COMMANDS = frozenset({"echo", "true", ":"})


@dataclass
class _Copies:
    """The COPY instructions that put every file under a path, and what stood there before the first."""

    instructions: list[Instruction]
    existed: bool  # the path itself (a WORKDIR, or an empty directory of the base image)


def _fix(ctx: FileContext, state: State, script: Script, found: list[_layers.Target]) -> Fix | None:
    """``COPY src /app`` + ``RUN chown -R u:g /app`` -> ``COPY --chown=u:g src /app`` (and no chown).

    BuildKit's ``--chown``/``--chmod`` set the copied files and the directories the COPY creates, but
    not a destination directory that existed before (a WORKDIR): then a non-recursive ``chown u:g
    /app`` stays. ``--chmod`` never sets the destination directory itself, so a ``chmod MODE /app``
    stays unless the directory is new and MODE is the 755 it gets anyway.
    """
    if len(found) != 1:
        return None
    target = found[0]
    command = target.command
    value = _value(command)
    if value is None or not _rewrite.plain(command) or command.wrappers or command.assignments:
        return None
    if (state.user or "root").split(":", 1)[0] not in ("root", "0"):
        return None
    earlier = [c for c in script.commands if c.end <= command.start]
    if not _inert(ctx, state, script, earlier, target.path, only_requirements=False):
        return None  # what ran before the chown in the same RUN may have put files there
    copies = _copies(ctx, state, target.path, chmod=command.name == "chmod")
    if copies is None:
        return None
    flag = "chown" if command.name == "chown" else "chmod"
    if flag == "chown" and ":" not in value:
        value += ":0"  # `chown u` keeps the group (root's, for copied files); `--chown=u` would take u's
    keep = copies.existed or (flag == "chmod" and value not in ("755", "0755"))
    edits = [_rewrite.add_flag(copy, ctx.df, f"--{flag}={value}") for copy in copies.instructions]
    edits.append(_run_edit(ctx, state.instruction, script, command, keep=keep))
    if any(edit is None for edit in edits):
        return None
    what = "owner" if flag == "chown" else "mode"
    return Fix(FixSafety.SAFE, f"set the {what} in the COPY", tuple(e for e in edits if e is not None))


def _value(command: Command) -> str | None:
    """The owner or mode of ``chown -R OWNER PATH`` / ``chmod -R MODE PATH``, the only forms fixed."""
    flags = [w for w in command.args if w.is_flag]
    operands = [w for w in command.args if not w.is_flag]
    if len(flags) != 1 or flags[0].text not in _RECURSIVE or len(operands) != 2:
        return None
    value, path = operands
    if value.dynamic or path.dynamic or value.raw != value.text:
        return None
    if command.name == "chmod":
        return value.text if _OCTAL.fullmatch(value.text) else None
    if _OWNER.fullmatch(value.text) is None or (":" not in value.text and "." in value.text):
        return None  # `user.group` is an old spelling chown may read either way
    return value.text


def _copies(ctx: FileContext, run: State, path: str, *, chmod: bool) -> _Copies | None:
    """The COPYs whose files are all that is under ``path`` when the chown runs; None when unsure.

    Each must copy to ``path`` (for a chown, or below it), and nothing else may have put files there: no
    other COPY/ADD, no WORKDIR below it, no RUN that names it or runs inside it (except pip/apt installs
    while only requirement files are there), no VOLUME over it, and a base image known to have nothing
    there. The directory above ``path`` must exist before the first COPY (which would create it with the
    new owner).
    """
    stages = chain(run.stage)
    root = stages[0]
    name, _ = split_image(root.base_image)
    top = path.strip("/").split("/", 1)[0]
    if root.base.known or name not in _KNOWN_BASES or not top or top in _POPULATED:
        return None
    parent = posixpath.dirname(path)
    parent_exists = parent == "/" or parent in _EMPTY_DIRECTORIES
    found = _Copies([], path in _EMPTY_DIRECTORIES)
    only_requirements = True  # every file copied under `path` so far is a requirements file
    for state in (s for stage in stages for s in stage.states):
        ins = state.instruction
        if ins is run.instruction:
            return found if found.instructions else None
        keyword = ins.keyword
        if keyword == "WORKDIR":
            written = _layers.expand(ins.values[0], state) if ins.values else None
            workdir = _layers.absolute(written, state.workdir) if written else None
            if workdir is None or (_layers.is_within(workdir, path) and _layers.strip_slash(workdir) != path):
                return None
            if not found.instructions:
                found.existed = found.existed or _layers.strip_slash(workdir) == path
                parent_exists = parent_exists or _layers.is_within(workdir, parent)
        elif keyword == "RUN":
            script = ctx.script(ins)
            if script is None:
                return None
            if _touches(ctx, state, path) and not _inert(ctx, state, script, script.commands, path, only_requirements):
                return None
            if top == "home" and any(script.find("useradd", "adduser")):
                return None  # a home directory made for a user, with files of its own
        elif keyword in ("COPY", "ADD"):
            parts = _layers.copy_parts(ctx, ins)
            added = _layers.copied(ctx, state)
            if parts is None or not added:
                return None
            if not any(_layers.is_within(a.path, path) or _layers.is_within(path, a.path) for a in added):
                continue
            destination = _layers.absolute(parts[1], state.workdir)
            if (
                keyword != "COPY"
                or ins.heredocs
                or destination is None
                or not _layers.is_within(destination, path)
                or (chmod and _layers.strip_slash(destination) != path)  # --chmod skips the directories it creates
                or not all(_layers.is_within(a.path, path) for a in added)
                or (not found.instructions and not parent_exists)
            ):
                return None
            found.instructions.append(ins)
            only_requirements = only_requirements and all(
                not a.contents and not _layers.is_glob(a.path) and a.path.endswith(_REQUIREMENT_SUFFIXES) for a in added
            )
        elif keyword == "VOLUME" and any(
            _layers.is_within(path, v) or _layers.is_within(v, path) for v in ins.values if v.startswith("/")
        ):
            return None
    return None


def _touches(ctx: FileContext, state: State, path: str) -> bool:
    """A RUN that may write under ``path``: it runs there, names it, or uses a variable that holds it."""
    text = ctx.df.source(state.instruction.span)
    if _layers.is_within(state.workdir, path) or path in text:
        return True
    return "$" in text and any(path in value for value in state.env.values())


def _inert(
    ctx: FileContext, state: State, script: Script, commands: list[Command], path: str, only_requirements: bool
) -> bool:
    """``commands`` put nothing under ``path``: package installs from indexes (while only requirement files
    are there: `-e .` in them would build in place), `rm` elsewhere, `echo`."""
    operations = {op.command.start: op for op in operations_of(ctx, state, script)}
    for command in commands:
        operation = operations.get(command.start)
        if operation is not None:
            if operation.manager == "apt":
                continue
            if (
                operation.manager in ("pip", "uv")
                and operation.action is Action.INSTALL
                and not (operation.local_paths or operation.editable or operation.urls)
                and operation.target is None
                and operation.prefix is None
                and (only_requirements or not operation.requirement_files)
            ):
                continue
            return False
        if command.name in _QUIET_COMMANDS and not command.redirects:
            continue
        if command.name == "rm":
            removed = [t.path for t in _layers.targets(script, state, ("rm",)) if t.command is command]
            if removed and not any(_layers.is_within(p, path) or _layers.is_within(path, p) for p in removed):
                continue
        return False
    return True


def _run_edit(ctx: FileContext, ins: Instruction, script: Script, command: Command, *, keep: bool) -> Edit | None:
    """Drop ``-R`` (``keep``: the destination directory still needs it), or the command, or the whole RUN."""
    if _rewrite.has_comment_lines(ins):
        return None
    expected = [_rewrite.shape(c) for c in script.commands if c is not command]
    edit: Edit | None = None
    if keep:
        flag = next(w for w in command.args if w.is_flag)
        after = command.argv[command.argv.index(flag) + 1 :]
        if after:
            edit = Edit(flag.start, after[0].start, "")
        head = _rewrite.shape(command)
        argv = tuple(w.text for w in command.argv if w is not flag)
        expected.insert(script.commands.index(command), (head[0], argv, *head[2:]))
    elif len(script.commands) == 1:
        return Edit(ins.span.start, ins.span.end, "")
    else:
        following = [c for c in script.commands if c.start >= command.end]
        before = [c for c in script.commands if c.end <= command.start]
        if following:
            start, end = command.start, following[0].start
        elif before:
            start, end = max(c.end for c in before), command.end
        else:
            return None
        gap = ctx.df.text[command.end : end] if following else ctx.df.text[start : command.start]
        joiner = gap.replace(ctx.df.escape + "\r\n", "").replace(ctx.df.escape + "\n", "").strip()
        if joiner in ("&&", ";"):
            edit = Edit(start, end, "")
    if edit is None or not _rewrite.script_becomes(ctx.df, ins, [edit], expected):
        return None
    return edit
