"""DO404: ADD of a local file or directory that is not an archive."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction

_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst")
_REMOTE = ("http://", "https://", "git@", "git://", "ssh://")
_ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})


class AddLocalFile(Rule):
    """ADD of a local file or directory that is not a tar archive.

    What it does:
        Reports `ADD` whose sources are local paths that are not tar archives. `ADD` of a
        URL, a git repository or a local tar archive (which ADD extracts) is not reported.

    Why is this bad?
        For plain files `ADD` does what `COPY` does, plus two surprises: a local tar archive
        is silently extracted, and a source that happens to look like a URL is downloaded.
        `COPY` states the intent and behaves the same in every case.

    Example:
        ```dockerfile
        ADD requirements.txt /app/
        ADD src/ /app/src/
        ```

    Use instead:
        ```dockerfile
        COPY requirements.txt /app/
        COPY src/ /app/src/
        ```

    Fix safety:
        Safe: `ADD` becomes `COPY` with the same flags and arguments, only when no source is
        a URL, a git reference, an archive or a variable, and no ADD-only flag is used; the
        result is the same layer.

    Deliberate differences:
        hadolint's DL3020 also reports `ADD` of a git repository by SSH address
        (`ADD git@github.com:org/repo.git /src`), which BuildKit clones; of a zstd-compressed
        tar (`.tar.zst`), which ADD extracts like `.tar.gz`; and of a source written with a
        variable, whose value it does not know. dockopt reports none of these.
    """

    id = "DO404"
    name = "add-instead-of-copy"
    severity = Severity.WARNING
    groups = ("correctness",)
    equivalents = ("hadolint:DL3020", "trivy:DS005")
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "ADD" or ins.heredocs or len(ins.values) < 2:
                continue
            sources = ins.values[:-1]
            if any(_special(source) for source in sources):
                continue
            fix = self._fix(ctx, ins)
            yield self.finding(
                ctx,
                ins,
                f"ADD of local {'path' if len(sources) == 1 else 'paths'} {', '.join(sources)}: use COPY, "
                "which does not extract archives or fetch URLs",
                fix,
            )

    @staticmethod
    def _fix(ctx: FileContext, ins: Instruction) -> Fix | None:
        if any(flag.name in _ADD_ONLY_FLAGS for flag in ins.flags) or any("$" in v for v in ins.values):
            return None
        start = ctx.keyword_start(ins)
        if ctx.df.text[start : start + 3].upper() != "ADD":
            return None
        keyword = "copy" if ins.raw_keyword.islower() else "COPY"
        return Fix(FixSafety.SAFE, "replace ADD with COPY", (Edit(start, start + 3, keyword),))


def _special(source: str) -> bool:
    lower = source.lower()
    return lower.startswith(_REMOTE) or lower.endswith(_ARCHIVES) or "$" in source
