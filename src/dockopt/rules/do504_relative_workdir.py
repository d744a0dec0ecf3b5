"""DO504: relative WORKDIR."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


class RelativeWorkdir(Rule):
    """WORKDIR with a relative path.

    What it does:
        Flags `WORKDIR` whose path, after ARG/ENV expansion, does not start with `/` (or a
        drive letter on Windows images). A path that uses a variable with no known value is
        left alone.

    Why is this bad?
        A relative WORKDIR is resolved against the WORKDIR in force before it — possibly set
        in a base image you do not control. The same Dockerfile then puts files in different
        places depending on the base, and COPY/RUN paths silently change.

    Example:
        ```dockerfile
        WORKDIR app
        ```

    Use instead:
        ```dockerfile
        WORKDIR /app
        ```

    Deliberate differences:
        hadolint's DL3000 skips every path that starts with a variable; dockopt expands ARG and
        ENV first, so `ARG DIR=app` / `WORKDIR $DIR` is reported.
    """

    id = "DO504"
    name = "relative-workdir"
    severity = Severity.ERROR
    groups = ("correctness",)
    equivalents = ("hadolint:DL3000",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "WORKDIR" or not ins.values:
                continue
            expanded = ctx.expansion.at(ins)
            if expanded.unset or expanded.errors or not expanded.values:
                continue  # depends on a value not known here
            path = expanded.values[0]
            if path.startswith("/") or _WINDOWS_ABSOLUTE.match(path):
                continue
            where = ins.arguments_span or ins
            shown = f"{ins.values[0]!r}" + (f" (= {path!r})" if path != ins.values[0] else "")
            yield self.finding(
                ctx,
                where,
                f"WORKDIR {shown} is relative: it is resolved against the previous WORKDIR, "
                f"possibly set by the base image; use an absolute path such as /{path.lstrip('./')}",
            )
