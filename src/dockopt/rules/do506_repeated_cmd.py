"""DO506: more than one CMD, ENTRYPOINT or HEALTHCHECK in a stage."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction

_ONCE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")
_PEER = {"CMD": "hadolint:DL4003", "ENTRYPOINT": "hadolint:DL4004", "HEALTHCHECK": "hadolint:DL3012"}


class RepeatedCmd(Rule):
    """More than one CMD, ENTRYPOINT or HEALTHCHECK in one stage.

    What it does:
        Flags every `CMD`, `ENTRYPOINT` or `HEALTHCHECK` after the first of its kind in the
        same build stage, and names the line it overrides.

    Why is this bad?
        Only the last one takes effect; the earlier ones are dead text that misleads readers
        about how the container starts or how its health is checked. It usually means a merge
        or copy-paste went wrong.

    Example:
        ```dockerfile
        CMD ["python", "worker.py"]
        CMD ["python", "server.py"]
        ```

    Use instead:
        ```dockerfile
        CMD ["python", "server.py"]
        ```
    """

    id = "DO506"
    name = "repeated-cmd"
    severity = Severity.ERROR
    groups = ("correctness",)
    equivalents = ("hadolint:DL4003", "hadolint:DL4004", "hadolint:DL3012")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for stage in ctx.stages:
            seen: dict[str, Instruction] = {}
            for ins in stage.instructions:
                if ins.keyword not in _ONCE:
                    continue
                earlier = seen.get(ins.keyword)
                if earlier is not None:
                    yield self.finding(
                        ctx,
                        ins,
                        f"second {ins.keyword} in this stage: it overrides the {ins.keyword} on line "
                        f"{earlier.start_line}, which never takes effect",
                        equivalents=(_PEER[ins.keyword],),
                    )
                seen[ins.keyword] = ins
