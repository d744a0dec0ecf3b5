"""DO305: apt package versions not pinned (off by default)."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation, classify


class AptUnpinned(Rule):
    """`apt-get install` of packages without a version (`pkg=version`). Off by default.

    What it does:
        Flags `apt-get install` (and `apt install`) when a package is named without
        `=version`. A release selector (`pkg/bookworm-backports`) is not a version. Local
        `.deb` files and arguments that are variables are not flagged, nor is `apt-get build-dep`.

    Why is this bad?
        Without a version apt installs whatever the mirror offers on the day of the build, so
        two builds of the same commit can differ. The rule is off by default because pinning
        apt packages has a real cost: Debian and Ubuntu remove superseded versions from their
        mirrors, so a pinned build fails after the next security update unless the versions are
        refreshed regularly or the sources point at a snapshot (snapshot.debian.org). Pinning
        the base image by digest (DO301) and rebuilding on purpose is often the better trade-off.
        Enable it where byte-for-byte rebuilds matter.

    Example:
        ```dockerfile
        RUN apt-get update && apt-get install -y --no-install-recommends curl
        ```

    Use instead:
        ```dockerfile
        RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
        ```

    Deliberate differences:
        hadolint's DL3008 checks `apt-get install` only; dockopt also checks `apt install` and
        sees through wrappers (`sudo apt-get install`). DL3008 accepts a release selector
        (`curl/bookworm-backports`) as a pin; it picks a suite, not a version, so dockopt
        reports it.
    """

    id = "DO305"
    name = "apt-version-not-pinned"
    severity = Severity.INFO
    groups = ("reproducibility",)
    equivalents = ("hadolint:DL3008",)
    enabled_by_default = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins
            if target.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            for command in script.commands:
                operation = classify(command, script)
                if (
                    not isinstance(operation, PackageOperation)
                    or operation.manager != "apt"
                    or operation.action is not Action.INSTALL
                    or any(word.text == "build-dep" for word in command.args)
                ):
                    continue
                loose = [p.name for p in operation.packages if not p.pinned and "$" not in p.word.raw]
                if not loose:
                    continue
                verb, pronoun = ("has", "it") if len(loose) == 1 else ("have", "them")
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"{command.name} install: {', '.join(loose)} {verb} no version, so each build installs what the "
                    f"mirror offers that day; pin {pronoun} ({loose[0]}=<version>, see `apt-cache policy "
                    f"{loose[0]}`) with a plan to refresh the pins, or a snapshot mirror",
                )
