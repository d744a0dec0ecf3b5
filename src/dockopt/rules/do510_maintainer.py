"""DO510: MAINTAINER is deprecated."""

from __future__ import annotations

import json
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class Maintainer(Rule):
    """MAINTAINER is deprecated; use a label.

    What it does:
        Flags the `MAINTAINER` instruction.

    Why is this bad?
        `MAINTAINER` has been deprecated since Docker 1.13. Its value lands in the image's
        `Author` field, which tools no longer read; the OCI label `maintainer` (or
        `org.opencontainers.image.authors`) is where registries and scanners look.

    Example:
        ```dockerfile
        MAINTAINER Jane Doe <jane@example.com>
        ```

    Use instead:
        ```dockerfile
        LABEL maintainer="Jane Doe <jane@example.com>"
        ```

    Fix safety:
        Safe: the instruction is replaced by a `LABEL maintainer=...` carrying the same text,
        JSON-quoted. The image's `Author` field is no longer set; nothing else changes.
    """

    id = "DO510"
    name = "maintainer-deprecated"
    severity = Severity.STYLE
    groups = ("style",)
    equivalents = ("hadolint:DL4000",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "MAINTAINER" or ins.arguments_span is None:
                continue
            label = f"LABEL maintainer={json.dumps(ins.arguments, ensure_ascii=False)}"
            fix = Fix(
                FixSafety.SAFE,
                "replace MAINTAINER with LABEL maintainer",
                (Edit(ctx.keyword_start(ins), ins.arguments_span.end, label),),
            )
            yield self.finding(
                ctx, ins, "MAINTAINER is deprecated: use LABEL maintainer=\"...\" instead", fix
            )
