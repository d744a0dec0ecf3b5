"""``lint --format json`` writes findings through a template: byte for byte what json.dumps would write."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from dockopt.findings import Finding, FixSafety, InputError, Location, Severity
from dockopt.report import json_format
from dockopt.report.result import LintResult

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    return Finding(
        rule=draw(st.sampled_from(["DO101", "DO203", "DO900"])),
        name=draw(_TEXT),
        severity=draw(st.sampled_from(list(Severity))),
        file=draw(_TEXT),
        location=Location(*draw(st.tuples(*[st.integers(1, 10**6)] * 4))),
        message=draw(_TEXT),
        fix_safety=draw(st.sampled_from(list(FixSafety))),
        equivalents=tuple(draw(st.lists(_TEXT, max_size=3))),
    )


@given(
    st.lists(_findings(), max_size=8),
    st.lists(st.builds(InputError, _TEXT, st.integers(1, 99), _TEXT), max_size=2),
)
def test_render_is_json_dumps_of_the_document(findings: list[Finding], errors: list[InputError]) -> None:
    result = LintResult(findings=findings, errors=errors, files=["Dockerfile"])
    written = io.StringIO()
    json_format.render(result, written)
    expected = json.dumps(json_format.as_document(result), indent=2, ensure_ascii=False) + "\n"
    assert written.getvalue() == expected


def test_a_report_longer_than_one_write_is_whole() -> None:
    findings = [
        Finding("DO104", "consecutive-run", Severity.INFO, f"svc{i}/Dockerfile", Location(i, 1, i, 9), "join",
                FixSafety.SAFE, ("hadolint:DL3059",))
        for i in range(1, 5001)
    ]  # fmt: skip
    result = LintResult(findings=findings, errors=[], files=["x"])
    written = io.StringIO()
    json_format.render(result, written)
    assert json.loads(written.getvalue())["findings"] == json_format.as_document(result)["findings"]
    assert written.getvalue() == json.dumps(json_format.as_document(result), indent=2, ensure_ascii=False) + "\n"
