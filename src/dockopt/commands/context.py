"""`dockopt context DIR [--dockerfile F]`: what a build context sends, and what it should not.

Text (rich; plain and 100 columns wide off a terminal) or JSON (docs/context-json.md). Exit codes:
0, or 1 when a secret would be sent; 2 for a missing directory or Dockerfile, or an ignore file
`docker build` rejects.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from dockopt import __version__
from dockopt.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from dockopt.repo.context import ContextReport, SizedEntry, analyze_context
from dockopt.report.text import make_console

SHOWN_ENTRIES = 15  # unused entries listed in text; JSON has them all
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class ContextOptions:
    directory: str
    dockerfile: str | None = None
    output_format: str = "text"
    color: bool | None = None


def run_context(options: ContextOptions, stream: TextIO | None = None) -> int:
    """Analyse, render, and return the exit code."""
    out = stream or sys.stdout
    context = Path(options.directory)
    if not context.is_dir():
        raise UsageError(f"{options.directory}: no such directory")
    dockerfile = Path(options.dockerfile) if options.dockerfile else None
    if dockerfile is not None and not dockerfile.is_file():
        raise UsageError(f"--dockerfile {options.dockerfile}: no such file")
    report = analyze_context(context, dockerfile)
    if options.output_format == "json":
        json.dump(report_json(report), out, indent=2)
        out.write("\n")
    else:
        render_text(report, out, color=options.color)
    return EXIT_FINDINGS if report.secrets_sent else EXIT_OK


# -- JSON ----------------------------------------------------------------------------------


def report_json(report: ContextReport) -> dict[str, Any]:
    """The report as docs/context-json.md describes it."""
    ignore = report.ignore_file
    return {
        "tool": "dockopt",
        "version": __version__,
        "context": str(report.context),
        "dockerfile": str(report.dockerfile) if report.dockerfile else None,
        "ignore_file": {"path": str(ignore.path), "patterns": len(ignore.patterns)} if ignore else None,
        "sent": {"files": report.files_sent, "bytes": report.bytes_sent, "directories": report.dirs_sent},
        "excluded": {"files": report.files_excluded, "pruned": list(report.pruned)},
        "largest": [_entry(e) for e in report.largest],
        "sources": [{"line": s.line, "instruction": s.instruction, "path": s.path or "."} for s in report.sources],
        "unused": None
        if report.unused is None
        else {
            "files": report.unused.files,
            "bytes": report.unused.bytes,
            "entries": [_entry(e) for e in report.unused.entries],
        },
        "secrets": [
            {
                "path": s.path,
                "kind": s.kind,
                "reason": s.reason,
                "found_by": s.found_by,
                "bytes": s.bytes,
                "sent": s.sent,
                "excluded_by": {"line": s.excluded_by.line, "pattern": s.excluded_by.text} if s.excluded_by else None,
                "copied_by": list(s.copied_by),
            }
            for s in report.secrets
        ],
        "pattern_gaps": [
            {
                "pattern": g.pattern.text,
                "line": g.pattern.line,
                "fix": g.fix,
                "examples": list(g.examples),
                "matches": g.matches,
                "files": g.files,
                "bytes": g.bytes,
                "suggested": g.suggested,
                "copied_by": list(g.copied_by),
            }
            for g in report.pattern_gaps
        ],
        "heavy": [
            {
                "kind": h.kind,
                "fix": h.fix,
                "paths": list(h.paths),
                "bytes": h.bytes,
                "files": h.files,
                "copied_by": list(h.copied_by),
                "used_elsewhere": list(h.used_elsewhere),
            }
            for h in report.heavy
        ],
        "suggestions": [
            {"line": s.line, "reason": s.reason, "bytes": s.bytes, "files": s.files} for s in report.suggestions
        ],
        "other_dockerfiles": list(report.other_dockerfiles),
        "notes": list(report.notes),
    }


def _entry(entry: SizedEntry) -> dict[str, Any]:
    return {"path": entry.path, "type": entry.kind, "bytes": entry.bytes, "files": entry.files}


# -- text ----------------------------------------------------------------------------------


def render_text(report: ContextReport, stream: TextIO, *, color: bool | None = None) -> None:
    """Summary, largest entries, unused files, secrets, gaps, heavy entries, lines to paste."""
    console = make_console(stream, color=color, width=None)
    ignore_name = str(report.ignore_file.path) if report.ignore_file else str(report.context / ".dockerignore")
    _header(console, report)
    _largest(console, report)
    _unused(console, report)
    _secrets(console, report)
    _gaps(console, report, ignore_name)
    _heavy(console, report)
    if report.other_dockerfiles:
        shown = ", ".join(report.other_dockerfiles[:5]) + (", …" if len(report.other_dockerfiles) > 5 else "")
        console.print()
        console.print(f"Other Dockerfiles in this context: {len(report.other_dockerfiles)} ({shown})")
    for note in report.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    _suggestions(console, report, ignore_name)


def _header(console: Console, report: ContextReport) -> None:
    console.print(Text.assemble(("Build context: ", "bold"), str(report.context)))
    console.print(Text.assemble(("Dockerfile:    ", "bold"), str(report.dockerfile or "none")))
    ignore = report.ignore_file
    described = f"{ignore.path} ({_count(len(ignore.patterns), 'pattern')})" if ignore else "none (everything is sent)"
    console.print(Text.assemble(("Ignore file:   ", "bold"), described))
    console.print()
    summary = (
        f"Sent: {_count(report.files_sent, 'file')}, {_size(report.bytes_sent)}, "
        f"{_count(report.dirs_sent, 'directory', 'directories')}."
    )
    excluded = f" Excluded: {_count(report.files_excluded, 'file')}"
    if report.pruned:
        shown = ", ".join(report.pruned[:4]) + (", …" if len(report.pruned) > 4 else "")
        excluded += f", {_count(len(report.pruned), 'directory', 'directories')} skipped whole ({shown})"
    console.print(summary + excluded + ".")


def _largest(console: Console, report: ContextReport) -> None:
    if not report.largest:
        return
    console.print()
    console.print(Text("Largest entries", style="bold"))
    _table(console, report.largest)


def _unused(console: Console, report: ContextReport) -> None:
    unused = report.unused
    if unused is None:
        return
    console.print()
    if not unused.files:
        console.print(Text("Unused: none (the Dockerfile's sources reach every file sent)", style="bold"))
        return
    console.print(
        Text.assemble(
            ("Unused: ", "bold"),
            f"{_count(unused.files, 'file')} ({_size(unused.bytes)}) that no COPY/ADD of the Dockerfile can use",
        )
    )
    sources = ", ".join(f"{s.path or '.'} (line {s.line})" for s in report.sources) or "none"
    console.print(f"  sources: {sources}")
    _table(console, unused.entries[:SHOWN_ENTRIES])
    if len(unused.entries) > SHOWN_ENTRIES:
        console.print(f"  … and {len(unused.entries) - SHOWN_ENTRIES} more (--format json lists them all)")


def _secrets(console: Console, report: ContextReport) -> None:
    console.print()
    if not report.secrets:
        console.print(Text.assemble(("Secrets: ", "bold"), "none found"))
        return
    sent = len(report.secrets_sent)
    style = "bold red" if sent else "bold"
    console.print(Text(f"Secrets: {len(report.secrets)} found, {sent} sent", style=style))
    for secret in report.secrets:
        if secret.sent:
            state = Text("SENT     ", style="bold red")
            where = f"copied by line {', '.join(map(str, secret.copied_by))}" if secret.copied_by else "not copied"
        else:
            state = Text("excluded ", style="green")
            pattern = secret.excluded_by
            where = f"by line {pattern.line} `{pattern.text}`" if pattern else "excluded"
        console.print(Text.assemble("  ", state, secret.path, f"  {secret.reason}, {_size(secret.bytes)}; {where}"))


def _gaps(console: Console, report: ContextReport, ignore_name: str) -> None:
    if not report.pattern_gaps:
        return
    console.print()
    console.print(Text("Patterns that only match at the context root", style="bold"))
    for gap in report.pattern_gaps:
        deeper = _count(gap.matches, "deeper match", "deeper matches")
        console.print(
            Text.assemble(
                "  ",
                (f"{ignore_name}:{gap.pattern.line}", "bold"),
                f" `{gap.pattern.text}`: {deeper} sent ({_count(gap.files, 'file')}, {_size(gap.bytes)}), "
                f"e.g. {', '.join(gap.examples)}",
            )
        )
        if gap.copied_by:
            console.print(f"      copied into the image by line {', '.join(map(str, gap.copied_by))}")
        advice = "" if gap.suggested else "  (check the deeper matches are not needed)"
        console.print(f"      fix: {gap.fix}{advice}")


def _heavy(console: Console, report: ContextReport) -> None:
    if not report.heavy:
        return
    console.print()
    console.print(Text("Heavy entries sent", style="bold"))
    for entry in report.heavy:
        shown = ", ".join(entry.paths[:EXAMPLES_SHOWN]) + (", …" if len(entry.paths) > EXAMPLES_SHOWN else "")
        used = [f"line {line}" for line in entry.copied_by] + list(entry.used_elsewhere)
        tail = f"; copied by {', '.join(used)}: no line suggested" if used else ""
        console.print(
            f"  {entry.kind:<12} {_size(entry.bytes):>9}  {_count(entry.files, 'file')} in {shown}{tail}",
        )


def _suggestions(console: Console, report: ContextReport, ignore_name: str) -> None:
    console.print()
    if not report.suggestions:
        console.print(Text("Suggested lines: none", style="bold"))
        return
    console.print(Text(f"Suggested lines for {ignore_name} (append them; each is explained above it):", style="bold"))
    for suggestion in report.suggestions:
        console.print(f"# {suggestion.reason} ({_count(suggestion.files, 'file')}, {_size(suggestion.bytes)})")
        console.print(suggestion.line)


def _table(console: Console, entries: tuple[SizedEntry, ...]) -> None:
    console.print(Text(f"{'size':>10}  {'files':>8}  path", style="bold"))
    for entry in entries:
        path = entry.path + "/" if entry.kind == "dir" else entry.path
        console.print(f"{_size(entry.bytes):>10}  {entry.files:>8,}  {path}")


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


def _size(size: int) -> str:
    """Decimal units, as `docker build` prints the context it transfers."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
