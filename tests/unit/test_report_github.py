"""GitHub Actions annotations: one workflow command per finding, escaped as the runner expects."""

from __future__ import annotations

import io

import pytest

from dockopt.findings import Finding, FixSafety, InputError, Location, Severity
from dockopt.report import LintResult, render
from dockopt.report.github import annotation, escape_data, escape_property


def finding(
    severity: Severity = Severity.WARNING,
    *,
    message: str = "CMD in shell form",
    file: str = "docker/asr/Dockerfile",
    name: str = "cmd-shell-form",
) -> Finding:
    return Finding(
        rule="DO501",
        name=name,
        severity=severity,
        file=file,
        location=Location(12, 5, 14, 30),
        message=message,
        fix_safety=FixSafety.SAFE,
    )


def test_a_finding_becomes_one_annotation_with_its_full_range() -> None:
    assert annotation(finding()) == (
        "::warning file=docker/asr/Dockerfile,line=12,col=5,endLine=14,endColumn=30,"
        "title=DO501 (cmd-shell-form)::CMD in shell form"
    )


@pytest.mark.parametrize(
    ("severity", "command"),
    [
        (Severity.ERROR, "error"),
        (Severity.WARNING, "warning"),
        (Severity.INFO, "notice"),
        (Severity.STYLE, "notice"),
    ],
)
def test_severity_chooses_the_command(severity: Severity, command: str) -> None:
    assert annotation(finding(severity)).startswith(f"::{command} file=")


def test_message_escapes_percent_cr_and_lf_but_not_colon_or_comma() -> None:
    line = annotation(finding(message="100% sure:\r\nline two, really"))
    assert line.endswith("::100%25 sure:%0D%0Aline two, really")
    assert "\n" not in line
    assert "\r" not in line


def test_properties_escape_colon_and_comma_too() -> None:
    line = annotation(finding(file="a,b/c:d/50%/Docker\nfile", name="x,y"))
    assert "file=a%2Cb/c%3Ad/50%25/Docker%0Afile," in line
    assert "title=DO501 (x%2Cy)::" in line


def test_percent_is_escaped_first() -> None:
    # "%0A" in the text must not turn into a newline once unescaped by the runner.
    assert escape_data("%0A") == "%250A"
    assert escape_property("%3A,:") == "%253A%2C%3A"


def test_render_writes_sorted_annotations_and_reports_input_errors() -> None:
    result = LintResult(
        findings=[finding(file="b/Dockerfile"), finding(Severity.INFO, file="a/Dockerfile")],
        errors=[InputError("c/Dockerfile", 3, "unterminated heredoc")],
        files=["a/Dockerfile", "b/Dockerfile", "c/Dockerfile"],
    )
    stream = io.StringIO()
    render("github", result, stream)
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::notice", "::warning", "::error"]
    assert lines[2] == (
        "::error file=c/Dockerfile,line=3,col=1,endLine=3,endColumn=1,"
        "title=DO900 (input-error)::unterminated heredoc"
    )
    assert stream.getvalue().endswith("\n")


def test_no_findings_writes_nothing() -> None:
    stream = io.StringIO()
    render("github", LintResult(findings=[], errors=[], files=["Dockerfile"]), stream)
    assert stream.getvalue() == ""
