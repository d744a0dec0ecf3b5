"""DO509: apt-get install without -y; apt instead of apt-get."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Flag, PackageOperation, classify

_NEEDS_YES = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove"})
_APT_GET_VALUE_FLAGS = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release"})


class AptGetUsage(Rule):
    """`apt-get install` without `-y`, or `apt` used in a build.

    What it does:
        Flags `apt-get install` (and upgrade/remove/purge) without `-y`, `--yes`,
        `--assume-yes`, quiet level 2 (`-qq`, `-q=2`: it implies `-y`),
        `-o APT::Get::Assume-Yes=true`, or input piped from `yes`; and any use of `apt`, the
        interactive front end. `sudo apt-get …` and other wrapped commands count, and so does
        `ONBUILD RUN`, which runs in every image built FROM this one.

    Why is this bad?
        Without `-y`, apt-get asks for confirmation; with no terminal the answer is "no" and the
        build fails (or, with some options, hangs). `apt` warns that its command-line interface
        is not stable and is meant for people, not scripts: its output and behaviour can change
        between releases.

    Example:
        ```dockerfile
        RUN apt update && apt install curl
        ```

    Use instead:
        ```dockerfile
        RUN apt-get update && apt-get install -y --no-install-recommends curl
        ```

    Deliberate differences:
        hadolint's DL3014 does not accept `yes | apt-get install …` or
        `-o APT::Get::Assume-Yes=true`, though both answer the prompt; dockopt does. DL3014
        checks `apt-get install` only; dockopt also checks upgrade, remove, purge and
        autoremove, which ask the same question. DL3014 and DL3027 do not see through `sudo`;
        dockopt does.
    """

    id = "DO509"
    name = "apt-get-usage"
    severity = Severity.WARNING
    groups = ("correctness",)
    equivalents = ("hadolint:DL3014", "hadolint:DL3027")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins  # ONBUILD RUN runs in every child build
            if target.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            for command in script.commands:
                if command.name == "apt":
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        "`apt` is meant for interactive use and its interface is not stable in scripts; "
                        "use apt-get (or apt-cache)",
                        equivalents=("hadolint:DL3027",),
                    )
                elif (
                    command.name == "apt-get"
                    and _subcommand(command) in _NEEDS_YES
                    and not _assumes_yes(command, script)
                ):
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        f"`apt-get {_subcommand(command)}` without -y waits for a confirmation that never "
                        "comes in a build; add -y",
                        equivalents=("hadolint:DL3014",),
                    )


def _subcommand(command: Command) -> str | None:
    words = command.positional(_APT_GET_VALUE_FLAGS)
    return words[0].text if words else None


def _assumes_yes(command: Command, script: Script) -> bool:
    """-y and its spellings, quiet level 2 (`-qq`, `-q=2`, `-q -q`) and `-o APT::Get::Assume-Yes=true`, or `yes |`."""
    operation = classify(command, script)
    if isinstance(operation, PackageOperation) and Flag.ASSUME_YES in operation.flags:
        return True
    return (
        command.in_pipeline
        and command.pipeline_index > 0
        and any(c.name == "yes" and c.in_pipeline and c.end <= command.start for c in script.commands)
    )
