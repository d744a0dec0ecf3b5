"""DO213: a downloaded archive left in the layer."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from dockopt.findings import Finding, Severity
from dockopt.model import State
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Download, Extraction, removed_later

_ARCHIVE = re.compile(
    r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|tar\.lz4|zip|7z|gz|xz|bz2|zst)$", re.I
)


class ArchiveLeftInLayer(Rule):
    """A downloaded archive left in the layer after it is extracted, or `ADD` of a remote archive.

    What it does:
        In the final stage and the stages it is built FROM, flags a `curl`/`wget` that writes an
        archive (`.tar.gz`, `.tgz`, `.tar.xz`, `.zip`, …) which is extracted (`tar -x`, `unzip`,
        `gunzip -k`…) but not removed in the same `RUN`, and `ADD https://…/file.tar.gz`: BuildKit
        does not extract a remote archive, so it stays in the layer as a file. Archives written
        into a mount, piped straight into `tar`, or removed in the same `RUN` are fine; a download
        that is never extracted is taken to be the payload itself and is not flagged.

    Why is this bad?
        Once extracted, the archive is dead weight: the image carries the compressed and the
        extracted copy. Deleting it in a later `RUN` does not help, because the layer that wrote
        it keeps it.

    Example:
        ```dockerfile
        RUN curl -fsSLo /tmp/ffmpeg.tar.xz https://example.com/ffmpeg.tar.xz \\
            && tar -xJf /tmp/ffmpeg.tar.xz -C /opt
        ADD https://example.com/model-tools.tar.gz /opt/
        ```

    Use instead:
        ```dockerfile
        RUN curl -fsSL https://example.com/ffmpeg.tar.xz | tar -xJ -C /opt
        RUN curl -fsSLo /tmp/tools.tar.gz https://example.com/model-tools.tar.gz \\
            && tar -xzf /tmp/tools.tar.gz -C /opt && rm /tmp/tools.tar.gz
        ```
    """

    id = "DO213"
    name = "archive-left-in-layer"
    severity = Severity.WARNING
    groups = ("size",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        states = list(_layers.image_states(ctx))
        for index, state in enumerate(states):
            ins = state.instruction
            if ins.keyword == "ADD":
                yield from self._add(ctx, state)
            elif ins.keyword == "RUN":
                script = ctx.script(ins)
                if script is not None:
                    yield from self._run(ctx, state, script, states[index + 1 :])

    def _add(self, ctx: FileContext, state: State) -> Iterator[Finding]:
        ins = state.instruction
        unpack = ins.flag("unpack")
        if unpack is not None and (unpack.value or "true").lower() in ("true", "1"):
            return  # ADD --unpack extracts a remote archive too
        parts = _layers.copy_parts(ctx, ins)
        if parts is None:
            return
        archives = [s for s in parts[0] if _layers.is_url(s) and _ARCHIVE.search(urlsplit(s).path)]
        if archives:
            name = posixpath.basename(urlsplit(archives[0]).path)
            yield self.finding(
                ctx,
                ins,
                f"ADD of the remote archive {archives[0]} stores {name} as a file in this layer (BuildKit only "
                "extracts local archives): extracting and deleting it in a later RUN saves nothing; download, "
                f"extract and delete it in one RUN (curl -fsSL {archives[0]} | tar -x -C …)",
            )

    def _run(self, ctx: FileContext, state: State, script: Script, later: list[State]) -> Iterator[Finding]:
        for command in script.commands:
            kind = _layers.kind_of(ctx, state, script, command)
            if not isinstance(kind, Download):
                continue
            cwd = _layers.cwd_at(script, command, state.workdir)
            for output in kind.outputs:
                if not _ARCHIVE.search(output):
                    continue
                resolved = _layers.absolute(output, cwd)
                if resolved is not None and _layers.under_mount(state, resolved):
                    continue
                if removed_later(script, output, command.end) or (
                    resolved is not None and _layers.removed_in(script, state, resolved, command.end)
                ):
                    continue
                extraction = _extraction(ctx, state, script, command, output, resolved, later)
                if extraction is None or extraction.removes_archive:
                    continue
                if _in(script, extraction.command):
                    message = (
                        f"`{command.name}` writes the archive {output}, which this RUN extracts but never removes: "
                        f"the layer keeps the compressed copy next to the extracted files; add `&& rm {output}` "
                        "after the extraction, or pipe the download into tar"
                    )
                else:
                    message = (
                        f"`{command.name}` writes the archive {output}, which line "
                        f"{_line(ctx, extraction.command)} extracts: the archive stays in this layer whatever a "
                        "later RUN does with it; download, extract and remove it in one RUN, or pipe the download "
                        "into tar"
                    )
                yield self.finding(ctx, (command.start, command.end), message)
                break


def _in(script: Script, command: Command) -> bool:
    return any(c is command for c in script.commands)


def _line(ctx: FileContext, command: Command) -> int:
    return ctx.df.position(command.start).line


def _extraction(
    ctx: FileContext,
    state: State,
    script: Script,
    download: Command,
    output: str,
    resolved: str | None,
    later: list[State],
) -> Extraction | None:
    """The extraction of the downloaded archive: later in this RUN, or in a later RUN of the image."""
    candidates: list[tuple[State, Script, Command]] = [(state, script, c) for c in script.commands
                                                       if c.start > download.start]  # fmt: skip
    for other in later:
        if other.instruction.keyword != "RUN":
            continue
        other_script = ctx.script(other.instruction)
        if other_script is not None:
            candidates += [(other, other_script, c) for c in other_script.commands]
    for where, where_script, command in candidates:
        kind = _layers.kind_of(ctx, where, where_script, command)
        if not isinstance(kind, Extraction):
            continue
        archive = kind.archive
        if archive == "-":
            redirect = next((r for r in command.redirects if r.operator == "<" and r.target is not None), None)
            if redirect is None or redirect.target is None:
                continue
            archive = redirect.target.text
        if _same(archive, _layers.cwd_at(where_script, command, where.workdir), output, resolved):
            return kind
    return None


def _same(archive: str, cwd: str | None, output: str, resolved: str | None) -> bool:
    if posixpath.normpath(archive) == posixpath.normpath(output):
        return True
    archive_path = _layers.absolute(archive, cwd)
    if archive_path is not None and resolved is not None:
        return archive_path == resolved
    return posixpath.basename(archive) == posixpath.basename(output)
