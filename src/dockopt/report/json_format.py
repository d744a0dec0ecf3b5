"""``lint --format json``: the schema of DESIGN.md, which tests and other tools rely on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from dockopt.findings import Finding, InputError
from dockopt.report.result import LintResult, count_by_severity

TOOL_NAME = "dockopt"


def render(result: LintResult, stream: TextIO) -> None:
    write_json(_document(result, _Findings), stream)
    stream.write("\n")


class _Findings(list[Finding]):
    """The findings of a document being written: each encoded straight from the Finding by one template."""


def as_document(result: LintResult) -> dict[str, Any]:
    """The JSON document of ``result`` as plain data (``render`` writes the same, faster)."""
    return _document(result, lambda findings: [_finding(f) for f in findings])


def _document(result: LintResult, encoded: Callable[[list[Finding]], list[Any]]) -> dict[str, Any]:
    findings = result.reported_findings()
    by_severity = count_by_severity(findings)
    return {
        "tool": TOOL_NAME,
        "version": result.version,
        "findings": encoded(findings),
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
    """Write ``document`` exactly as ``json.dumps(document, indent=2, ensure_ascii=False)`` would.

    The standard encoder falls back to its slow pure-Python path whenever ``indent`` is set; this
    writer encodes strings with the C encoder and lays out the structure itself, in chunks of about
    64 KiB, so a report of 100,000 findings is neither slow nor held as one string.
    """
    parts: list[str] = []
    _encode(document, "", parts, stream)
    stream.write("".join(parts))


_CHUNK = 2048  # parts buffered between writes


def _encode(value: object, indent: str, parts: list[str], stream: TextIO) -> None:
    if type(value) is _Findings and value:
        inner = indent + "  "
        parts.append("[\n")
        encode = _FindingEncoder(inner).encode
        for i, finding in enumerate(value):
            parts.append(f",\n{inner}" if i else inner)
            parts.append(encode(finding))
            if len(parts) > _CHUNK:
                stream.write("".join(parts))
                parts.clear()
        parts.append(f"\n{indent}]")
    elif isinstance(value, str):
        parts.append(_STRING(value))
    elif value is None or isinstance(value, bool) or not isinstance(value, dict | list | tuple):
        parts.append(json.dumps(value))
    elif not value:
        parts.append("{}" if isinstance(value, dict) else "[]")
    else:
        inner = indent + "  "
        if isinstance(value, dict):
            parts.append("{\n")
            for i, (key, item) in enumerate(value.items()):
                parts.append(f"{',' if i else ''}{chr(10) if i else ''}{inner}{_STRING(str(key))}: ")
                _encode(item, inner, parts, stream)
            parts.append(f"\n{indent}}}")
        else:
            parts.append("[\n")
            for i, item in enumerate(value):
                parts.append(f",\n{inner}" if i else inner)
                _encode(item, inner, parts, stream)
            parts.append(f"\n{indent}]")
    if len(parts) > _CHUNK:
        stream.write("".join(parts))
        parts.clear()


class _FindingEncoder:
    """Encodes findings at one indentation; equal to json.dumps of _finding() with indent=2.

    Every finding has the same keys, strings and integers: a template is several times faster than
    building and walking an object, and a report is mostly findings. The parts shared by many findings
    (rule, name and severity; the file; the fix and equivalents) are encoded once each.
    """

    def __init__(self, indent: str) -> None:
        self.indent = indent
        self.inner = indent + "  "
        # Keyed by the enums' values: an Enum member hashes in Python, a string in C.
        self.heads: dict[tuple[str, str, str], str] = {}
        self.files: dict[str, str] = {}
        self.tails: dict[tuple[str, tuple[str, ...]], str] = {}

    def encode(self, finding: Finding) -> str:
        inner = self.inner
        key = (finding.rule, finding.name, finding.severity._value_)
        head = self.heads.get(key)
        if head is None:
            head = self.heads[key] = (
                f'{{\n{inner}"rule": {_STRING(finding.rule)},\n{inner}"name": {_STRING(finding.name)},\n'
                f'{inner}"severity": {_STRING(finding.severity.value)},\n{inner}"file": '
            )
        file = self.files.get(finding.file)
        if file is None:
            file = self.files[finding.file] = f'{_STRING(finding.file)},\n{inner}"line": '
        ending = (finding.fix_safety._value_, finding.equivalents)
        tail = self.tails.get(ending)
        if tail is None:
            tail = self.tails[ending] = self._tail(finding)
        loc = finding.location
        return (
            f'{head}{file}{loc.line:d},\n{inner}"column": {loc.column:d},\n'
            f'{inner}"end_line": {loc.end_line:d},\n{inner}"end_column": {loc.end_column:d},\n'
            f'{inner}"message": {_STRING(finding.message)}{tail}'
        )

    def _tail(self, finding: Finding) -> str:
        inner = self.inner
        if finding.equivalents:
            listed = f",\n{inner}  ".join(_STRING(e) for e in finding.equivalents)
            equivalents = f"[\n{inner}  {listed}\n{inner}]"
        else:
            equivalents = "[]"
        return (
            f',\n{inner}"fix": {_STRING(finding.fix_safety.value)},\n'
            f'{inner}"equivalents": {equivalents}\n{self.indent}}}'
        )


_STRING = json.encoder.encode_basestring  # the C implementation when available (ensure_ascii=False)
