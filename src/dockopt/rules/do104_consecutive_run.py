"""DO104: consecutive RUN instructions that could be one layer."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules._runfix import body, continuation, flags_key, lock, lost_comment
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
        Safe: the fix deletes the second RUN's keyword and flags (the same as the first's) and joins its
        command to the first RUN with ` \\` and a new line starting with `&&`. Each RUN fails the build
        when its last command fails, so `RUN a` + `RUN b` fails exactly when `RUN a && b` does, and b
        still runs only after a succeeded; the files written are the same, in one layer instead of two.
        No fix when the join could change that: the first RUN ends with `&` or `;` or a shell comment,
        or changes the shell's state for what follows (`cd`, `export`, `set`, `umask`, `exit`, a
        variable assignment, a function); the second is not a plain `&&` chain (`c || d` or `c; d` after
        `a &&` would run d when a failed); or a comment line between the keyword and the command would
        be deleted.

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
            if first.keyword != "RUN" or second.keyword != "RUN" or flags_key(first) != flags_key(second):
                continue
            if not (_short(ctx, first) and _short(ctx, second)) or _commented(ctx, first, second):
                continue
            yield self.finding(
                ctx,
                second,
                f"this RUN directly follows the RUN on line {first.start_line} with the same flags: join them "
                "with `&&` into one RUN (one layer, one cache entry)",
                fix=_fix(ctx, first, second),
            )


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


def _fix(ctx: FileContext, first: Instruction, second: Instruction) -> Fix | None:
    """``RUN a`` + ``RUN b`` -> ``RUN a && b``: the second RUN's keyword and flags give way to `` \\ && ``."""
    head, tail = body(first), body(second)
    if head is None or tail is None or first.arguments_span is None or second.arguments_span is None:
        return None
    # `a; b` + `c` -> `a; b && c` runs c exactly when the first RUN succeeded; `a &`, `a;` or a trailing
    # shell comment would not, `cd`/`export` would reach c, and `c || d` after `a &&` would run d when a fails.
    if not head.clean_end or head.stateful or not tail.chain or not tail.clean_end:
        return None
    start, end = first.arguments_span.end, second.arguments_span.start
    if lost_comment(second, second.span.start, end):
        return None
    joined = continuation(ctx.df, first) + "&& "
    # the lock: a flag another fix adds to the first RUN would also apply to the second's command
    edits = (lock(ctx.df, ctx.keyword_start(first)), Edit(start, end, joined))
    return Fix(FixSafety.SAFE, f"join this RUN to the RUN on line {first.start_line}", edits)
