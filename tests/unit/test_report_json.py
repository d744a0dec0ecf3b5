"""`lint --format json`: exactly the schema of DESIGN.md, sorted, every severity counted."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest

from dockopt.findings import Edit, Finding, Fix, FixSafety, InputError, Location, Severity
from dockopt.report import FORMATS, LintResult, render

# DESIGN.md, "JSON output of lint --format json", as a schema: every key required, no other key.
LINT_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["tool", "version", "findings", "errors", "summary"],
    "properties": {
        "tool": {"const": "dockopt"},
        "version": {"type": "string", "minLength": 1},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "rule",
                    "name",
                    "severity",
                    "file",
                    "line",
                    "column",
                    "end_line",
                    "end_column",
                    "message",
                    "fix",
                    "equivalents",
                ],
                "properties": {
                    "rule": {"type": "string", "pattern": "^DO[0-9]{3}$"},
                    "name": {"type": "string", "minLength": 1},
                    "severity": {"enum": ["error", "warning", "info", "style"]},
                    "file": {"type": "string", "minLength": 1},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "end_column": {"type": "integer", "minimum": 1},
                    "message": {"type": "string"},
                    "fix": {"enum": ["safe", "unsafe", "none"]},
                    "equivalents": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^[a-z0-9-]+:.+$"},
                    },
                },
            },
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file", "line", "message"],
                "properties": {
                    "file": {"type": "string", "minLength": 1},
                    "line": {"type": "integer", "minimum": 1},
                    "message": {"type": "string"},
                },
            },
        },
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "required": ["files", "findings", "by_severity"],
            "properties": {
                "files": {"type": "integer", "minimum": 0},
                "findings": {"type": "integer", "minimum": 0},
                "by_severity": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["error", "warning", "info", "style"],
                    "properties": {
                        s: {"type": "integer", "minimum": 0} for s in ("error", "warning", "info", "style")
                    },
                },
            },
        },
    },
}


def finding(
    rule: str,
    file: str,
    line: int,
    column: int = 1,
    *,
    severity: Severity = Severity.WARNING,
    fix_safety: FixSafety = FixSafety.NONE,
    equivalents: tuple[str, ...] = (),
    end: tuple[int, int] | None = None,
) -> Finding:
    end_line, end_column = end or (line, column + 3)
    return Finding(
        rule=rule,
        name=f"name-of-{rule.lower()}",
        severity=severity,
        file=file,
        location=Location(line, column, end_line, end_column),
        message=f"message of {rule}",
        fix_safety=fix_safety,
        equivalents=equivalents,
    )


def rendered(result: LintResult) -> tuple[str, dict[str, Any]]:
    stream = io.StringIO()
    render("json", result, stream)
    text = stream.getvalue()
    return text, json.loads(text)


def test_document_matches_the_design_schema_exactly() -> None:
    result = LintResult(
        findings=[
            finding(
                "DO203",
                "docker/asr/Dockerfile",
                12,
                5,
                end=(14, 30),
                severity=Severity.INFO,
                fix_safety=FixSafety.UNSAFE,
                equivalents=("hadolint:DL3015", "trivy:DS029"),
            ),
            finding("DO304", "Dockerfile", 3, 20, severity=Severity.ERROR, fix_safety=FixSafety.SAFE),
            finding("DO900", "broken/Dockerfile", 3, severity=Severity.ERROR),
        ],
        errors=[InputError("broken/Dockerfile", 3, "unterminated heredoc", column=7)],
        files=["Dockerfile", "docker/asr/Dockerfile", "broken/Dockerfile"],
        version="1.2.3",
    )
    _, document = rendered(result)

    jsonschema.validate(document, LINT_JSON_SCHEMA)
    assert list(document) == ["tool", "version", "findings", "errors", "summary"]
    assert document["version"] == "1.2.3"
    assert document["findings"][1] == {
        "rule": "DO900",
        "name": "name-of-do900",
        "severity": "error",
        "file": "broken/Dockerfile",
        "line": 3,
        "column": 1,
        "end_line": 3,
        "end_column": 4,
        "message": "message of DO900",
        "fix": "none",
        "equivalents": [],
    }
    assert document["findings"][2] == {
        "rule": "DO203",
        "name": "name-of-do203",
        "severity": "info",
        "file": "docker/asr/Dockerfile",
        "line": 12,
        "column": 5,
        "end_line": 14,
        "end_column": 30,
        "message": "message of DO203",
        "fix": "unsafe",
        "equivalents": ["hadolint:DL3015", "trivy:DS029"],
    }
    assert document["errors"] == [{"file": "broken/Dockerfile", "line": 3, "message": "unterminated heredoc"}]
    assert document["summary"] == {
        "files": 3,
        "findings": 3,
        "by_severity": {"error": 2, "warning": 0, "info": 1, "style": 0},
    }


def test_findings_are_sorted_by_file_line_column_rule() -> None:
    result = LintResult(
        findings=[
            finding("DO501", "b/Dockerfile", 1),
            finding("DO302", "a/Dockerfile", 10, 1),
            finding("DO102", "a/Dockerfile", 2, 8),
            finding("DO101", "a/Dockerfile", 2, 8),
            finding("DO401", "a/Dockerfile", 2, 3),
        ],
        errors=[],
        files=["a/Dockerfile", "b/Dockerfile"],
    )
    _, document = rendered(result)
    order = [(f["file"], f["line"], f["column"], f["rule"]) for f in document["findings"]]
    assert order == [
        ("a/Dockerfile", 2, 3, "DO401"),
        ("a/Dockerfile", 2, 8, "DO101"),
        ("a/Dockerfile", 2, 8, "DO102"),
        ("a/Dockerfile", 10, 1, "DO302"),
        ("b/Dockerfile", 1, 1, "DO501"),
    ]


def test_output_is_indented_by_two_and_ends_with_a_newline() -> None:
    result = LintResult(findings=[finding("DO501", "Dockerfile", 4)], errors=[], files=["Dockerfile"])
    text, document = rendered(result)
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert text.startswith('{\n  "tool": "dockopt",\n  "version": ')


def test_no_findings_still_counts_every_severity() -> None:
    _, document = rendered(LintResult(findings=[], errors=[], files=["Dockerfile", "x/Dockerfile"]))
    jsonschema.validate(document, LINT_JSON_SCHEMA)
    assert document["findings"] == []
    assert document["errors"] == []
    assert document["summary"] == {
        "files": 2,
        "findings": 0,
        "by_severity": {"error": 0, "warning": 0, "info": 0, "style": 0},
    }


def test_an_input_error_is_also_a_do900_finding() -> None:
    # DESIGN.md: an unreadable file appears in findings as DO900 and in errors.
    result = LintResult(
        findings=[], errors=[InputError("Dockerfile", 2, "bad flag --frm", column=6)], files=["Dockerfile"]
    )
    _, document = rendered(result)
    jsonschema.validate(document, LINT_JSON_SCHEMA)
    [do900] = document["findings"]
    assert (do900["rule"], do900["severity"], do900["file"], do900["line"], do900["column"]) == (
        "DO900",
        "error",
        "Dockerfile",
        2,
        6,
    )
    assert do900["message"] == "bad flag --frm"
    assert document["summary"]["by_severity"]["error"] == 1


def test_non_ascii_is_kept_as_is() -> None:
    result = LintResult(findings=[finding("DO501", "dir/Dockerfile.café", 1)], errors=[], files=[])
    text, document = rendered(result)
    assert "Dockerfile.café" in text
    assert document["findings"][0]["file"] == "dir/Dockerfile.café"


def test_fix_details_stay_out_of_the_json() -> None:
    with_fix = Finding(
        rule="DO510",
        name="maintainer",
        severity=Severity.STYLE,
        file="Dockerfile",
        location=Location(2, 1, 2, 20),
        message="MAINTAINER is deprecated",
        fix_safety=FixSafety.SAFE,
        fix=Fix(FixSafety.SAFE, "use LABEL", (Edit(17, 27, "LABEL maintainer="),)),
    )
    _, document = rendered(LintResult(findings=[with_fix], errors=[], files=["Dockerfile"]))
    jsonschema.validate(document, LINT_JSON_SCHEMA)
    assert document["findings"][0]["fix"] == "safe"
    assert document["summary"]["by_severity"]["style"] == 1


def test_every_format_is_registered_and_an_unknown_one_is_refused() -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "github"}
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", LintResult(findings=[], errors=[], files=[]), io.StringIO())


def test_an_option_the_format_does_not_take_is_refused() -> None:
    with pytest.raises(TypeError):
        render("json", LintResult(findings=[], errors=[], files=[]), io.StringIO(), color=True)
