"""Human output: findings grouped by file, each with its source line underlined, then a summary.

    Dockerfile:3:1  DO501 [warning] CMD in shell form: signals are lost (cmd-shell-form) [*]
      3 | CMD python app.py
        | ^^^^^^^^^^^^^^^^^

    1 finding in 1 file (1 warning).
    1 fixable with `dockopt fix`.

Colour only when writing to a terminal (or FORCE_COLOR), never when NO_COLOR is set. Off a
terminal the output is plain, 100 columns wide and never wrapped, so it is the same on every machine.
"""

from __future__ import annotations

import os
import unicodedata
from itertools import groupby
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.report.result import LintResult, count_by_severity, count_fixable

PLAIN_WIDTH = 100
TAB = "    "

_SEVERITY_STYLE = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
    Severity.STYLE: "blue",
}
_SEVERITY_COUNTED = {
    Severity.ERROR: ("error", "errors"),
    Severity.WARNING: ("warning", "warnings"),
    Severity.INFO: ("info", "info"),
    Severity.STYLE: ("style", "style"),
}
_FIX_MARKER = {
    FixSafety.SAFE: (" [*]", "bold green"),
    FixSafety.UNSAFE: (" [unsafe fix]", "yellow"),
}
_GUTTER_STYLE = "blue"


def render(
    result: LintResult, stream: TextIO, *, color: bool | None = None, width: int | None = None
) -> None:
    """``color`` None decides from the stream and the environment; ``width`` None from the terminal."""
    console = make_console(stream, color=color, width=width)
    findings = result.reported_findings()
    for index, (file, group) in enumerate(groupby(findings, key=lambda f: f.file)):
        in_file = list(group)
        if index:
            console.print()
        lines = _split_lines(result.sources.get(file))
        gutter = max(len(str(f.location.line)) for f in in_file)
        for finding in in_file:
            console.print(_headline(finding))
            for line in _snippet(finding, lines, gutter):
                console.print(line)
    if findings:
        console.print()
    for line in _summary(findings, len(result.files)):
        console.print(line)


def make_console(stream: TextIO, *, color: bool | None, width: int | None) -> Console:
    tty = _isatty(stream)
    if color is None:
        wanted = tty or os.environ.get("FORCE_COLOR", "") != ""
        color = wanted and os.environ.get("NO_COLOR", "") == ""
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        width=width if width is not None else (None if tty else PLAIN_WIDTH),
        force_jupyter=False,
        soft_wrap=True,
        markup=False,
        emoji=False,
        highlight=False,
    )


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _headline(finding: Finding) -> Text:
    loc = finding.location
    style = _SEVERITY_STYLE[finding.severity]
    text = Text.assemble(
        (f"{_printable(finding.file)}:{loc.line}:{loc.column}", "bold"),
        "  ",
        (finding.rule, f"bold {style}"),
        " ",
        (f"[{finding.severity.value}]", style),
        " ",
        _printable(finding.message),
        " ",
        (f"({finding.name})", "dim"),
    )
    if finding.fix_safety in _FIX_MARKER:
        text.append(*_FIX_MARKER[finding.fix_safety])
    return text


def _snippet(finding: Finding, lines: list[str], gutter: int) -> list[Text]:
    """The finding's first source line with its columns underlined, and "…" when it goes on."""
    loc = finding.location
    if not 1 <= loc.line <= len(lines):
        return []
    source = lines[loc.line - 1]
    start = max(loc.column, 1) - 1
    end = loc.end_column if loc.end_line == loc.line else len(source)
    end = max(min(end, len(source)), start + 1)
    indent = " " * cell_len(_printable(source[:start]))
    carets = "^" * max(cell_len(_printable(source[start:end])), 1)
    style = f"bold {_SEVERITY_STYLE[finding.severity]}"
    snippet = [
        _gutter(str(loc.line), gutter, _printable(source)),
        _gutter("", gutter, Text.assemble(indent, (carets, style))),
    ]
    if loc.end_line > loc.line:
        snippet.append(_gutter("", gutter, Text(f"… (to line {loc.end_line})", style="dim")))
    return snippet


def _gutter(number: str, width: int, body: str | Text) -> Text:
    text = Text.assemble(("  " + number.rjust(width) + " |", _GUTTER_STYLE))
    if body:
        text.append(" ")
        text.append(body)
    return text


def _summary(findings: list[Finding], files_linted: int) -> list[Text]:
    if not findings:
        return [Text(f"No problems found in {_count(files_linted, 'file', 'files')}.", style="bold green")]
    with_findings = len({f.file for f in findings})
    where = _count(with_findings, "file", "files")
    if with_findings < files_linted:
        where = f"{with_findings} of {_count(files_linted, 'file', 'files')}"
    severities = ", ".join(
        _count(n, *_SEVERITY_COUNTED[severity]) for severity, n in count_by_severity(findings).items() if n
    )
    lines = [Text(f"{_count(len(findings), 'finding', 'findings')} in {where} ({severities}).", style="bold")]
    fixable = count_fixable(findings)
    safe, unsafe = fixable[FixSafety.SAFE], fixable[FixSafety.UNSAFE]
    if safe and unsafe:
        lines.append(
            Text(f"{safe} fixable with `dockopt fix` ({unsafe} more with `dockopt fix --unsafe-fixes`).")
        )
    elif safe:
        lines.append(Text(f"{safe} fixable with `dockopt fix`."))
    elif unsafe:
        lines.append(Text(f"{unsafe} fixable with `dockopt fix --unsafe-fixes`."))
    return lines


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _split_lines(source: str | None) -> list[str]:
    """Lines as the parser numbers them: LF or CRLF ends a line."""
    if source is None:
        return []
    return [line.removesuffix("\r") for line in source.split("\n")]


def _printable(text: str) -> str:
    """Tabs as spaces and control characters escaped, so carets line up and the terminal is safe."""
    return "".join(_printable_char(c) for c in text)


def _printable_char(char: str) -> str:
    if char == "\t":
        return TAB
    if unicodedata.category(char) == "Cc":
        return repr(char)[1:-1]
    return char
