"""GitHub Actions workflow commands: one annotation per finding on the pull request's files.

Syntax and escaping follow the Actions runner (``::error file=F,line=N,title=T::message``): the
message escapes ``%``, CR and LF; property values also escape ``:`` and ``,``.
"""

from __future__ import annotations

from typing import TextIO

from dockopt.findings import Finding, Severity
from dockopt.report.result import LintResult

_COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.STYLE: "notice",
}


def render(result: LintResult, stream: TextIO) -> None:
    for finding in result.reported_findings():
        stream.write(annotation(finding))
        stream.write("\n")


def annotation(finding: Finding) -> str:
    loc = finding.location
    properties = {
        "file": finding.file,
        "line": str(loc.line),
        "col": str(loc.column),
        "endLine": str(loc.end_line),
        "endColumn": str(loc.end_column),
        "title": f"{finding.rule} ({finding.name})",
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{_COMMAND[finding.severity]} {joined}::{escape_data(finding.message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
