"""SARIF 2.1.0 (OASIS): the same findings as ``--format json``, for code-scanning services.

One run; ``tool.driver.rules`` lists the rules that have results, and each result points at its
rule by id and index. Locations are relative to ``%SRCROOT%``; columns count Unicode code points
(``columnKind``), and ``endColumn`` is exclusive in SARIF where dockopt's ``end_column`` is
inclusive. A finding with a fix carries it as a SARIF ``fix`` of character-offset replacements.
Input errors are also tool execution notifications, and make the invocation unsuccessful.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import quote

from dockopt.findings import Finding, Fix, InputError, Severity
from dockopt.report.json_format import write_json
from dockopt.report.result import INPUT_ERROR_RULE, LintResult

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "dockopt"
INFORMATION_URI = "https://pypi.org/project/dockopt/"
SRCROOT = "%SRCROOT%"

_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.STYLE: "note",
}

# The catalog's families (DESIGN.md), by the first digit of the rule number.
_FAMILY_TAGS = {
    "1": "build-cache",
    "2": "image-size",
    "3": "reproducibility",
    "4": "security",
    "5": "correctness",
    "6": "repository",
    "9": "input",
}


def render(
    result: LintResult,
    stream: TextIO,
    *,
    rule_docs: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """``rule_docs`` maps a rule id to its (short, full) description; the rule's name stands in."""
    write_json(as_log(result, rule_docs or {}), stream)
    stream.write("\n")


def as_log(result: LintResult, rule_docs: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    findings = result.reported_findings()
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    for finding in findings:
        if finding.rule not in rule_index:
            rule_index[finding.rule] = len(rules)
            rules.append(_rule(finding, rule_docs.get(finding.rule)))
    errors = result.sorted_errors()
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": result.version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [_notification(e) for e in errors],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index[f.rule]) for f in findings],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _rule(finding: Finding, docs: tuple[str, str] | None) -> dict[str, Any]:
    """Rule metadata from the first finding of the rule (its severity stands for the default)."""
    rule: dict[str, Any] = {"id": finding.rule, "name": finding.name}
    if docs is None:
        rule["shortDescription"] = {"text": finding.name}
    else:
        short, full = docs
        rule["shortDescription"] = {"text": short}
        if full:
            rule["fullDescription"] = {"text": full}
    rule["defaultConfiguration"] = {"level": _LEVEL[finding.severity]}
    tags = [_FAMILY_TAGS[digit]] if (digit := finding.rule[2:3]) in _FAMILY_TAGS else []
    rule["properties"] = {"equivalents": list(finding.equivalents), "tags": tags}
    return rule


def _result(finding: Finding, index: int) -> dict[str, Any]:
    loc = finding.location
    region = {
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column + 1,
    }
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact_location(finding.file), "region": region}}
        ],
        "properties": {"fix": finding.fix_safety.value},
    }
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [_fix(finding.file, finding.fix)]
    return result


def _fix(file: str, fix: Fix) -> dict[str, Any]:
    replacements = [
        {
            "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
            "insertedContent": {"text": edit.text},
        }
        for edit in sorted(fix.edits, key=lambda e: (e.start, e.end))
    ]
    return {
        "description": {"text": fix.description},
        "artifactChanges": [{"artifactLocation": artifact_location(file), "replacements": replacements}],
        "properties": {"safety": fix.safety.value},
    }


def _notification(error: InputError) -> dict[str, Any]:
    region = {"startLine": error.line, "startColumn": error.column}
    return {
        "descriptor": {"id": INPUT_ERROR_RULE},
        "level": "error",
        "message": {"text": error.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact_location(error.file), "region": region}}
        ],
    }


def artifact_location(path: str) -> dict[str, str]:
    """A relative URI under %SRCROOT% with forward slashes; an absolute path becomes a file: URI."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return {"uri": "file://" + quote(posix)}
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix), "uriBaseId": SRCROOT}
