"""DO104: consecutive RUN instructions that could be one layer."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Script
from dockopt.syntax import Comment, Form, Instruction

# More commands than this in either RUN: kept apart on purpose (the threshold of hadolint's DL3059 source).
_MAX_COMMANDS = 2


class ConsecutiveRun(Rule):
    """Consecutive RUN instructions that could be a single layer.

    What it does:
        Flags a RUN that directly follows another RUN (blank lines between them do not count) when
        both are short shell-form commands (at most two commands each) with the same
        flags (`--mount`, `--network`, `--security`, the fields of a mount in any order). A RUN with
        more commands than that was most likely kept apart on purpose. Heredoc RUNs (scripts of their
        own), exec-form RUNs and RUNs under a non-POSIX SHELL (joining them is not a matter of `&&`)
        are left out, and so is a RUN with a comment line above it, after the previous RUN: a comment
        that explains a step marks it as separate on purpose. A heavy install followed by a second one
        is reported too: nothing lies between
        them, so any change above invalidates both; keeping them apart only saves the first when the
        text of the second is edited.

    Why is this bad?
        Each RUN adds a layer and a cache entry. Two short steps in a row rarely gain anything from
        being cached apart, while files one of them writes and the other deletes stay in the image,
        and `apt-get update` in its own RUN goes stale (DO105).

    Example:
        ```dockerfile
        RUN python -m pip install -r requirements.txt
        RUN python -m pip install gunicorn==22.0.0
        ```

    Use instead:
        ```dockerfile
        RUN python -m pip install -r requirements.txt \\
            && python -m pip install gunicorn==22.0.0
        ```

    Fix safety:
        Safe when both RUNs have the same flags and shell: the fix joins the second command to the first
        with `&&` (the second runs only when the first succeeded, as before). A `cd`, `export` or `set`
        in the first would then reach the second, so such RUNs get no fix.

    Deliberate differences:
        hadolint 2.15's DL3059 fires only when both RUNs are a single command, also for exec-form RUNs,
        and also across comment lines. dockopt accepts up to two commands in each (so `RUN apt-get
        update` followed by `RUN apt-get install … && ln -s …`, the pair DO105 is about, is reported),
        and leaves exec-form RUNs (their merge would change their form) and commented steps alone.
    """

    id = "DO104"
    name = "consecutive-run"
    severity = Severity.INFO
    groups = ("cache",)
    equivalents = ("hadolint:DL3059",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for first, second in pairwise(ctx.df.instructions):
            if first.keyword != "RUN" or second.keyword != "RUN" or _flags(first) != _flags(second):
                continue
            if not (_short(ctx, first) and _short(ctx, second)) or _commented(ctx, first, second):
                continue
            yield self.finding(
                ctx,
                second,
                f"this RUN directly follows the RUN on line {first.start_line} with the same flags: join them "
                "with `&&` into one RUN (one layer, one cache entry)",
            )


def _flags(ins: Instruction) -> tuple[tuple[str, str], ...]:
    """The flags as BuildKit reads them; the fields of a --mount in any order."""
    result = []
    for flag in ins.flags:
        if flag.name == "mount":
            value = ",".join(f"{k}={v}" for k, v in sorted(flag.key_values().items()))
        else:
            value = flag.value or ""
        result.append((flag.name, value))
    return tuple(sorted(result))


def _short(ctx: FileContext, ins: Instruction) -> bool:
    if ins.form is not Form.SHELL or ins.heredocs:
        return False
    script = ctx.script(ins)
    return script is not None and not script.has_error and _count(script) <= _MAX_COMMANDS


def _commented(ctx: FileContext, first: Instruction, second: Instruction) -> bool:
    """A comment line between the two RUNs."""
    return any(
        isinstance(node, Comment) and first.span.end <= node.span.start < second.span.start for node in ctx.df.nodes
    )


def _count(script: Script) -> int:
    return sum(1 for command in script.commands if not command.nested)
