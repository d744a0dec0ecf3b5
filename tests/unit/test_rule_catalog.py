"""Rule declarations: ids, four-part docstrings, explain output, and the catalog in docs/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dockopt.commands.rules import catalog_markdown, explain, list_rules, rule_markdown
from dockopt.findings import FixSafety
from dockopt.rules.base import DOC_HEADINGS, doc_sections
from dockopt.rules.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("rule_id", list(all_rules()))
def test_rule_is_well_declared(rule_id: str) -> None:
    cls = all_rules()[rule_id]
    assert cls.validate() == []
    sections = doc_sections(cls.documentation())
    for heading in DOC_HEADINGS:
        assert sections[heading].strip()
    if cls.fix is not FixSafety.NONE:
        assert sections["Fix safety"].strip()
    for equivalent in cls.equivalents:
        tool, _, code = equivalent.partition(":")
        assert tool in {"hadolint", "trivy", "checkov"} and code, equivalent


@pytest.mark.parametrize("rule_id", list(all_rules()))
def test_explain_prints_the_documentation(rule_id: str) -> None:
    out = io.StringIO()
    assert explain(rule_id.lower(), out) == 0
    text = out.getvalue()
    assert text.startswith(rule_id)
    for heading in DOC_HEADINGS:
        assert heading in text


def test_rule_docs_are_current() -> None:
    stale = "is stale: run scripts/gen-rule-docs"
    catalog = (ROOT / "docs" / "rules" / "index.md").read_text(encoding="utf-8")
    assert catalog == catalog_markdown(), f"docs/rules/index.md {stale}"
    for rule_id in all_rules():
        assert f"[{rule_id}]({rule_id}.md)" in catalog
        page = ROOT / "docs" / "rules" / f"{rule_id}.md"
        assert page.is_file(), f"docs/rules/{rule_id}.md is missing (run scripts/gen-rule-docs)"
        assert page.read_text(encoding="utf-8") == rule_markdown(rule_id), f"docs/rules/{rule_id}.md {stale}"


def test_rules_listing_has_every_rule() -> None:
    out = io.StringIO()
    list_rules(out)
    for rule_id in all_rules():
        assert rule_id in out.getvalue()
