"""DO403: sudo in a RUN."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class Sudo(Rule):
    """`sudo` used in a RUN.

    What it does:
        Reports commands run through `sudo` in RUN instructions (and `ONBUILD RUN`), also behind
        wrappers (`env … sudo`, `nohup sudo`) and inside `sh -c '…'`.

    Why is this bad?
        Build steps run as the current `USER`; to run a step as root, switch with `USER root`
        and back. `sudo` must be installed and configured for it, which adds a setuid binary
        to the image, and it has unpredictable TTY and signal handling (it may ask for a password
        and hang the build, or swallow signals).

    Example:
        ```dockerfile
        USER app
        RUN sudo apt-get update && sudo apt-get install -y curl
        ```

    Use instead:
        ```dockerfile
        USER root
        RUN apt-get update && apt-get install -y --no-install-recommends curl
        USER app
        ```

    Deliberate differences:
        hadolint's DL3004 sees `sudo` only where it is the command itself; dockopt also finds it
        behind wrappers (`env DEBIAN_FRONTEND=noninteractive sudo …`, `nohup sudo …`) and inside
        `sh -c '…'`, where it runs just the same.
    """

    id = "DO403"
    name = "sudo"
    severity = Severity.ERROR
    groups = ("security",)
    equivalents = ("hadolint:DL3004",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins  # ONBUILD RUN runs in every child build
            if target.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            for command in script.commands:
                if "sudo" in command.wrappers or command.name == "sudo":
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        "sudo in a build step: use USER root for the steps that need it, then switch back",
                    )
