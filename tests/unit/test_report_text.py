"""Human output: exact text off a terminal, colour only on one."""

from __future__ import annotations

import io

import pytest

from dockopt.findings import Finding, FixSafety, InputError, Location, Severity
from dockopt.report import LintResult, render

SOURCE = "FROM python:3.11\nRUN apt-get update && \\\n    apt-get install -y curl\nCMD python app.py\n"


def make(
    rule: str,
    name: str,
    severity: Severity,
    file: str,
    location: Location,
    message: str,
    fix_safety: FixSafety = FixSafety.NONE,
) -> Finding:
    return Finding(
        rule=rule,
        name=name,
        severity=severity,
        file=file,
        location=location,
        message=message,
        fix_safety=fix_safety,
    )


EXAMPLE = LintResult(
    findings=[
        make(
            "DO501",
            "cmd-shell-form",
            Severity.WARNING,
            "Dockerfile",
            Location(4, 1, 4, 17),
            "CMD in shell form: PID 1 is a shell and signals are lost",
            FixSafety.SAFE,
        ),
        make(
            "DO203",
            "apt-install-recommends",
            Severity.INFO,
            "Dockerfile",
            Location(2, 5, 3, 27),
            "apt install without --no-install-recommends",
            FixSafety.UNSAFE,
        ),
        make(
            "DO302",
            "base-image-latest",
            Severity.WARNING,
            "Dockerfile",
            Location(1, 6, 1, 16),
            "base image has no tag",
        ),
        make(
            "DO402",
            "secret-in-env",
            Severity.ERROR,
            "docker/api/Dockerfile",
            Location(12, 5, 12, 20),
            "secret in ENV: API_TOKEN",
        ),
    ],
    errors=[],
    files=["Dockerfile", "docker/api/Dockerfile", "docker/worker/Dockerfile"],
    sources={"Dockerfile": SOURCE},
)

EXPECTED = """\
Dockerfile:1:6  DO302 [warning] base image has no tag (base-image-latest)
  1 | FROM python:3.11
    |      ^^^^^^^^^^^
Dockerfile:2:5  DO203 [info] apt install without --no-install-recommends (apt-install-recommends) [unsafe fix]
  2 | RUN apt-get update && \\
    |     ^^^^^^^^^^^^^^^^^^^
    | … (to line 3)
Dockerfile:4:1  DO501 [warning] CMD in shell form: PID 1 is a shell and signals are lost (cmd-shell-form) [*]
  4 | CMD python app.py
    | ^^^^^^^^^^^^^^^^^

docker/api/Dockerfile:12:5  DO402 [error] secret in ENV: API_TOKEN (secret-in-env)

4 findings in 2 of 3 files (1 error, 2 warnings, 1 info).
1 fixable with `dockopt fix` (1 more with `dockopt fix --unsafe-fixes`).
"""


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "40")  # a plain stream is not wrapped, whatever the terminal says


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def text(result: LintResult, stream: io.StringIO | None = None, **options: object) -> str:
    stream = stream if stream is not None else io.StringIO()
    render("text", result, stream, **options)
    return stream.getvalue()


def test_exact_output_off_a_terminal() -> None:
    assert text(EXAMPLE) == EXPECTED


def test_no_findings() -> None:
    result = LintResult(findings=[], errors=[], files=["Dockerfile", "docker/api/Dockerfile"])
    assert text(result) == "No problems found in 2 files.\n"
    assert text(LintResult(findings=[], errors=[], files=["Dockerfile"])) == "No problems found in 1 file.\n"


def test_singular_summary_and_only_unsafe_fixes() -> None:
    result = LintResult(
        findings=[
            make(
                "DO212",
                "full-base",
                Severity.STYLE,
                "Dockerfile",
                Location(1, 6, 1, 16),
                "use -slim",
                FixSafety.UNSAFE,
            )
        ],
        errors=[],
        files=["Dockerfile"],
    )
    assert text(result).splitlines()[-2:] == [
        "1 finding in 1 file (1 style).",
        "1 fixable with `dockopt fix --unsafe-fixes`.",
    ]


def test_an_input_error_is_shown_as_do900() -> None:
    result = LintResult(
        findings=[],
        errors=[InputError("Dockerfile", 2, "unknown instruction FORM", column=1)],
        files=["Dockerfile"],
        sources={"Dockerfile": "# hi\nFORM python\n"},
    )
    assert text(result) == (
        "Dockerfile:2:1  DO900 [error] unknown instruction FORM (input-error)\n"
        "  2 | FORM python\n"
        "    | ^\n"
        "\n"
        "1 finding in 1 file (1 error).\n"
    )


def test_carets_line_up_under_tabs_and_wide_characters() -> None:
    source = 'LABEL\tdescription="日本語" version=1\n'
    result = LintResult(
        findings=[
            make("DO106", "volatile-label", Severity.INFO, "Dockerfile", Location(1, 25, 1, 33), "volatile")
        ],
        errors=[],
        files=["Dockerfile"],
        sources={"Dockerfile": source},
    )
    lines = text(result).splitlines()
    assert lines[1] == '  1 | LABEL    description="日本語" version=1'
    # "LABEL" 5 + tab 4 + 'description="' 13 + three wide characters 6 + '" ' 2 = 30 cells
    assert lines[2] == "    | " + " " * 30 + "^" * len("version=1")


def test_gutter_is_as_wide_as_the_largest_line_number_of_the_file() -> None:
    source = "".join(f"RUN step {n}\n" for n in range(1, 13))
    result = LintResult(
        findings=[
            make("DO104", "merge-runs", Severity.INFO, "Dockerfile", Location(9, 1, 9, 3), "merge"),
            make("DO104", "merge-runs", Severity.INFO, "Dockerfile", Location(12, 1, 12, 3), "merge"),
        ],
        errors=[],
        files=["Dockerfile"],
        sources={"Dockerfile": source},
    )
    lines = text(result).splitlines()
    assert lines[1:3] == ["   9 | RUN step 9", "     | ^^^"]
    assert lines[4:6] == ["  12 | RUN step 12", "     | ^^^"]


def test_crlf_sources_and_columns_past_the_end_of_the_line() -> None:
    result = LintResult(
        findings=[
            make("DO501", "cmd-shell-form", Severity.WARNING, "Dockerfile", Location(2, 4, 2, 40), "shell")
        ],
        errors=[],
        files=["Dockerfile"],
        sources={"Dockerfile": "FROM x\r\nCMD\r\n"},
    )
    lines = text(result).splitlines()
    assert lines[1:3] == ["  2 | CMD", "    |    ^"]


def test_control_characters_are_escaped() -> None:
    result = LintResult(
        findings=[
            make(
                "DO501",
                "cmd-shell-form",
                Severity.WARNING,
                "Dockerfile",
                Location(1, 1, 1, 1),
                "bad \x1b[31m escape",
            )
        ],
        errors=[],
        files=["Dockerfile"],
        sources={"Dockerfile": "CMD \x1b[2J\n"},
    )
    output = text(result)
    assert "\x1b" not in output
    assert "bad \\x1b[31m escape" in output
    assert "  1 | CMD \\x1b[2J\n" in output


def test_no_source_line_when_the_source_is_unknown() -> None:
    result = LintResult(
        findings=[
            make("DO501", "cmd-shell-form", Severity.WARNING, "Dockerfile", Location(9, 1, 9, 3), "shell")
        ],
        errors=[],
        files=["Dockerfile"],
        sources={"Dockerfile": "FROM x\n"},
    )
    assert text(result).splitlines()[0:2] == ["Dockerfile:9:1  DO501 [warning] shell (cmd-shell-form)", ""]


def test_a_terminal_gets_colour() -> None:
    output = text(EXAMPLE, TerminalStream())
    assert "\x1b[" in output
    assert "\x1b[" not in text(EXAMPLE, TerminalStream(), color=False)


def test_no_color_wins_over_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert text(EXAMPLE, TerminalStream(), width=100) == EXPECTED
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert text(EXAMPLE) == EXPECTED


def test_force_color_colours_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in text(EXAMPLE)


def test_colour_can_be_forced_by_the_caller() -> None:
    output = text(EXAMPLE, color=True)
    assert "\x1b[" in output
    assert "\x1b[31m" in output or "\x1b[1;31m" in output  # the error's rule id in red
