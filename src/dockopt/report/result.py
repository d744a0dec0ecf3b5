"""What every formatter renders: the findings and input errors of one lint run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dockopt import __version__
from dockopt.findings import Finding, FixSafety, InputError, Location, Severity

# The rule that reports a file which could not be read or parsed (DESIGN.md, DO9xx).
INPUT_ERROR_RULE = "DO900"
INPUT_ERROR_NAME = "input-error"


@dataclass(frozen=True, slots=True)
class LintResult:
    findings: list[Finding]
    errors: list[InputError]
    files: list[str]
    """Files linted, as display paths."""
    sources: dict[str, str] = field(default_factory=dict)
    """File text by display path, for showing source lines; a file may be missing."""
    version: str = __version__

    def reported_findings(self) -> list[Finding]:
        """The findings in output order, plus a DO900 finding for any error no finding reports yet.

        DESIGN.md promises that an unreadable file shows up in the findings as well as in the errors;
        the formatters keep that promise even when the producer forgot.
        """
        reported = {(f.file, f.location.line) for f in self.findings if f.rule == INPUT_ERROR_RULE}
        missing = [
            _input_error_finding(error) for error in self.errors if (error.file, error.line) not in reported
        ]
        return sorted([*self.findings, *missing], key=_output_order)

    def sorted_errors(self) -> list[InputError]:
        return sorted(self.errors, key=lambda e: (e.file, e.line, e.column, e.message))


def _output_order(finding: Finding) -> tuple[str, int, int, str, int, int, str]:
    loc = finding.location
    return (*finding.sort_key(), loc.end_line, loc.end_column, finding.message)


def _input_error_finding(error: InputError) -> Finding:
    return Finding(
        rule=INPUT_ERROR_RULE,
        name=INPUT_ERROR_NAME,
        severity=Severity.ERROR,
        file=error.file,
        location=Location(error.line, error.column, error.line, error.column),
        message=error.message,
    )


def count_by_severity(findings: list[Finding]) -> dict[Severity, int]:
    """Every severity, most severe first, with zero where none was found."""
    counts = Counter(f.severity for f in findings)
    return {severity: counts[severity] for severity in Severity}


def count_fixable(findings: list[Finding]) -> dict[FixSafety, int]:
    counts = Counter(f.fix_safety for f in findings)
    return {safety: counts[safety] for safety in FixSafety}
