"""DO211: COPY followed by RUN chown -R / chmod -R of the same files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command

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
        Moving the owner into `COPY --chown=user:group` (or the mode into `COPY --chmod=`) gives the
        copied files the same owner and mode, in one layer. It is safe when the `chown`/`chmod`
        covers nothing but copied files; files created by `RUN` under the same directory need their
        own `chown` in the `RUN` that creates them. `--chmod` needs BuildKit.
    """

    id = "DO211"
    name = "chown-after-copy"
    severity = Severity.WARNING
    groups = ("size",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        added: list[_layers.Added] = []
        for state in _layers.image_states(ctx):
            ins = state.instruction
            if ins.keyword in ("COPY", "ADD"):
                added.extend(_layers.copied(ctx, state))
                continue
            if ins.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
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
                yield self.finding(ctx, (command.start, command.end), _message(command, flag, copies, runs))
            added.extend(_layers.created_by_run(ctx, state))


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
