"""``lint --format json``: the schema of DESIGN.md, which tests and other tools rely on."""

from __future__ import annotations

import json
from typing import Any, TextIO

from dockopt.findings import Finding, InputError
from dockopt.report.result import LintResult, count_by_severity

TOOL_NAME = "dockopt"


def render(result: LintResult, stream: TextIO) -> None:
    write_json(as_document(result), stream)
    stream.write("\n")


def as_document(result: LintResult) -> dict[str, Any]:
    findings = result.reported_findings()
    by_severity = count_by_severity(findings)
    return {
        "tool": TOOL_NAME,
        "version": result.version,
        "findings": [_finding(f) for f in findings],
        "errors": [_error(e) for e in result.sorted_errors()],
        "summary": {
            "files": len(result.files),
            "findings": len(findings),
            "by_severity": {severity.value: n for severity, n in by_severity.items()},
        },
    }


def _finding(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "file": finding.file,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "message": finding.message,
        "fix": finding.fix_safety.value,
        "equivalents": list(finding.equivalents),
    }


def _error(error: InputError) -> dict[str, Any]:
    return {"file": error.file, "line": error.line, "message": error.message}


def write_json(document: object, stream: TextIO) -> None:
    """Encode in chunks of about 64 KiB: a report of 100,000 findings is never held as one string,
    and the stream is not called for every token."""
    buffer: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(document):
        buffer.append(chunk)
        size += len(chunk)
        if size >= 65536:
            stream.write("".join(buffer))
            buffer, size = [], 0
    stream.write("".join(buffer))
