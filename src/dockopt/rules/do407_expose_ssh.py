"""DO407: EXPOSE 22."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class ExposeSsh(Rule):
    """The image exposes port 22 (SSH).

    What it does:
        Reports `EXPOSE 22` (also `22/tcp` and ranges that include 22), after ARG expansion.

    Why is this bad?
        An SSH server in a container is a second way in, with its own keys to manage and patch,
        beside the one the platform already gives (`docker exec`, `kubectl exec`). It usually
        means the container is treated like a VM, which defeats immutable deployments.

    Example:
        ```dockerfile
        EXPOSE 22 8000
        ```

    Use instead:
        ```dockerfile
        EXPOSE 8000
        ```
    """

    id = "DO407"
    name = "expose-ssh"
    severity = Severity.INFO
    groups = ("security",)
    equivalents = ("trivy:DS004",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "EXPOSE":
                continue
            expanded = ctx.expansion.at(ins)
            ports = expanded.values if expanded.values is not None and not expanded.unset else ins.values
            for port in ports:
                if _includes_22(port):
                    message = f"EXPOSE {port} publishes SSH: use docker exec instead of an SSH server"
                    yield self.finding(ctx, ins, message)
                    break


def _includes_22(port: str) -> bool:
    number = port.split("/", 1)[0]
    low, _, high = number.partition("-")
    try:
        start = int(low)
        end = int(high) if high else start
    except ValueError:
        return False
    return start <= 22 <= end
