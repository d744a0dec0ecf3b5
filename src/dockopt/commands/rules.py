"""`dockopt rules` and `dockopt explain RULE`: the catalog and one rule's documentation."""

from __future__ import annotations

import json
from typing import TextIO

from dockopt.errors import UsageError
from dockopt.rules.base import doc_sections
from dockopt.rules.registry import all_rules, get_rule


def list_rules(stream: TextIO, output_format: str = "text") -> int:
    rules = all_rules()
    if output_format == "json":
        data = [
            {
                "rule": meta.id,
                "name": meta.name,
                "severity": meta.severity.value,
                "fix": meta.fix.value,
                "enabled_by_default": meta.enabled_by_default,
                "scope": meta.scope,
                "equivalents": list(meta.equivalents),
                "summary": meta.summary,
            }
            for meta in (cls.meta() for cls in rules.values())
        ]
        json.dump(data, stream, indent=2)
        stream.write("\n")
        return 0
    width = max(len(cls.name) for cls in rules.values())
    for cls in rules.values():
        meta = cls.meta()
        flags = []
        if meta.fix.value != "none":
            flags.append(f"fix:{meta.fix.value}")
        if not meta.enabled_by_default:
            flags.append("off by default")
        extra = f"  ({', '.join(flags)})" if flags else ""
        stream.write(f"{meta.id}  {meta.name:<{width}}  {meta.severity.value:<7}  {meta.summary}{extra}\n")
    return 0


def explain(rule_id: str, stream: TextIO) -> int:
    cls = get_rule(rule_id)
    if cls is None:
        raise UsageError(f"unknown rule {rule_id!r}; `dockopt rules` lists them")
    meta = cls.meta()
    stream.write(f"{meta.id} {meta.name} [{meta.severity.value}]\n\n")
    sections = doc_sections(cls.documentation())
    intro = sections.pop("_intro", "")
    if intro:
        stream.write(intro + "\n\n")
    for heading, body in sections.items():
        stream.write(f"{heading}\n{'-' * len(heading)}\n{body}\n\n")
    stream.write(f"Fix: {meta.fix.value}\n")
    if meta.equivalents:
        stream.write(f"Equivalents: {', '.join(meta.equivalents)}\n")
    if not meta.enabled_by_default:
        stream.write(f"Off by default: enable with --extend-select {meta.id}\n")
    return 0


def rule_markdown(rule_id: str) -> str:
    """The reference page of one rule, generated from its docstring (docs/rules/DOnnn.md)."""
    cls = all_rules()[rule_id]
    meta = cls.meta()
    doc = cls.documentation()
    sections = doc_sections(doc)
    sections.pop("_intro", None)
    lines = [
        f"# {meta.id} {meta.name}",
        "",
        doc.splitlines()[0],
        "",
        f"- Severity: {meta.severity.value}",
        f"- Fix: {meta.fix.value}",
        f"- Enabled by default: {'yes' if meta.enabled_by_default else 'no'}",
    ]
    if meta.equivalents:
        lines.append(f"- Equivalents: {', '.join(meta.equivalents)}")
    for heading, body in sections.items():
        lines += ["", f"## {heading}", "", _dedent_block(body)]
    return "\n".join(lines).rstrip() + "\n"


def catalog_markdown() -> str:
    """docs/rules/index.md: one line per rule."""
    lines = [
        "# Rule reference",
        "",
        "Generated from the rule docstrings by `scripts/gen-rule-docs`; `dockopt explain RULE` prints the same text.",
        "",
        "| rule | name | severity | fix | summary |",
        "|---|---|---|---|---|",
    ]
    for rule_id, cls in all_rules().items():
        meta = cls.meta()
        summary = meta.summary.replace("|", "\\|")
        row = (f"[{rule_id}]({rule_id}.md)", meta.name, meta.severity.value, meta.fix.value, summary)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _dedent_block(body: str) -> str:
    import textwrap

    return textwrap.dedent(body).strip()
