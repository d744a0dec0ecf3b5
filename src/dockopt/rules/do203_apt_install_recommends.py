"""DO203: apt install without --no-install-recommends."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules._size import chain, image_runs
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, Flag, PackageOperation
from dockopt.syntax import Instruction

# `APT::Install-Recommends "0";` written into an apt.conf file (echo, printf, a heredoc).
_CONFIGURED = re.compile(r"APT::Install-Recommends\s+\\?[\"']?\s*(?:0|false|no|off)\b", re.IGNORECASE)
_FLAG = "--no-install-recommends"


class AptInstallRecommends(Rule):
    """`apt-get install` that also installs the recommended packages.

    What it does:
        Flags `apt-get install` (and `apt install`) in the final stage, or a stage it is built
        FROM, without `--no-install-recommends` or `-o APT::Install-Recommends=false`, unless an
        earlier RUN of the image (or this one) writes `APT::Install-Recommends "0";` into an apt
        configuration file, or a COPY puts a file into /etc/apt/apt.conf.d.

    Why is this bad?
        By default apt installs every package the requested ones *recommend*: documentation,
        X11 and font libraries, man pages, helper tools. For server images this commonly adds
        tens to hundreds of MB (`python3-pip` alone recommends a compiler and headers) and more
        packages to patch, none of which the program needs.

    Example:
        ```dockerfile
        RUN apt-get update && apt-get install -y ffmpeg && rm -rf /var/lib/apt/lists/*
        ```

    Use instead:
        ```dockerfile
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends ffmpeg \\
            && rm -rf /var/lib/apt/lists/*
        ```

    Fix safety:
        Unsafe: the fix adds `--no-install-recommends`. A program may rely on a recommended
        package without naming it (`curl` recommends `ca-certificates`, without which every
        HTTPS request fails); name such packages explicitly.

    Deliberate differences:
        hadolint's DL3015 checks every stage, and `ONBUILD`; dockopt leaves out the stages that
        are not in the image (neither the final stage nor a stage it is built FROM), whose
        packages are never shipped, and `ONBUILD` instructions (they run in another image's
        build). It also checks `apt install` and `sudo apt-get install`,
        which DL3015 does not recognise, accepts `-o APT::Install-Recommends=0` as well as
        `=false`, honours an apt configuration file that turns recommends off, and skips RUNs
        under a non-POSIX SHELL.
    """

    id = "DO203"
    name = "apt-install-recommends"
    severity = Severity.INFO
    groups = ("size",)
    equivalents = ("hadolint:DL3015", "trivy:DS029")
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in image_runs(ctx):
            for operation in run.operations:
                if not _installs_with_recommends(operation):
                    continue
                if _configured_off(ctx, run.state.stage, run.state.instruction):
                    break
                command = operation.command
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{command.name} install` without {_FLAG} also installs every recommended package "
                    f"(documentation, extra libraries: often tens of MB); add {_FLAG} and name the packages "
                    "the image really needs",
                    fix=_fix(operation),
                )


def _installs_with_recommends(operation: PackageOperation) -> bool:
    if operation.manager != "apt" or operation.action is not Action.INSTALL:
        return False
    if Flag.NO_INSTALL_RECOMMENDS in operation.flags:
        return False
    verb = next((w for w in operation.command.args if not w.is_flag and w.text in ("install", "reinstall")), None)
    return verb is not None and verb.text == "install"


def _configured_off(ctx: FileContext, stage: StageModel, until: Instruction) -> bool:
    """An apt configuration written (RUN) or copied (COPY/ADD into /etc/apt) up to ``until`` turns recommends off."""
    for model in chain(stage):
        for state in model.states:
            ins = state.instruction
            if ins.span.start > until.span.start:
                return False
            if "APT_CONFIG" in state.env:
                return True
            if ins.keyword == "RUN" and _CONFIGURED.search(ctx.df.source(ins.span)):
                return True
            if ins.keyword in ("COPY", "ADD") and ins.values and "/etc/apt" in ins.values[-1]:
                return True
    return False


def _fix(operation: PackageOperation) -> Fix | None:
    word = next((w for w in operation.command.args if w.text == "install" and w.raw == "install"), None)
    if word is None:
        return None
    return Fix(FixSafety.UNSAFE, f"add {_FLAG}", (Edit(word.end, word.end, f" {_FLAG}"),))
