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
