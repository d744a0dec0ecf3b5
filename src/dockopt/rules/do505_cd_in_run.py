"""DO505: cd instead of WORKDIR."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class CdInsteadOfWorkdir(Rule):
    """`cd` in RUN used to change the directory for later commands.

    What it does:
        Flags a `cd` at the top level of a RUN command. A `cd` inside a subshell
        (`(cd src && make)`) or inside `sh -c '...'` is scoped to that command and is not flagged.

    Why is this bad?
        The directory change lasts for that RUN only, which readers (and later edits) forget:
        the next RUN starts again in the WORKDIR. Chains like `cd /app && ... && cd /` are
        hard to follow, and a missing directory is only noticed at build time. `WORKDIR`
        creates the directory and states where the following instructions run.

    Example:
        ```dockerfile
        RUN cd /app && pip install -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        WORKDIR /app
        RUN pip install -r requirements.txt
        ```

    Deliberate differences:
        hadolint's DL3003 also flags `cd` inside a subshell; dockopt does not, because the
        change cannot leak out of it.
    """

    id = "DO505"
    name = "cd-instead-of-workdir"
    severity = Severity.WARNING
    groups = ("correctness",)
    equivalents = ("hadolint:DL3003",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            for command in script.find("cd"):
                if command.in_subshell or command.nested or not command.args:
                    continue
                target = command.args[0].text
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`cd {target}` changes the directory for this RUN only; use WORKDIR {target} "
                    "so later instructions run there too",
                )
