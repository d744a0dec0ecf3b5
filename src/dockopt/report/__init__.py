"""Formatters: each takes a :class:`LintResult` and a text stream, and knows nothing of rules.

One module per format, each with ``render(result, stream, **options)``:

    text     human output with source lines (rich); ``color``, ``width``
    json     the stable schema of DESIGN.md ("JSON output of lint --format json")
    sarif    SARIF 2.1.0 for code scanning; ``rule_docs`` (rule id -> (short, full) description)
    github   GitHub Actions workflow commands (annotations)

An option a format does not take is a ``TypeError``, not silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TextIO

from dockopt.report import github, json_format, sarif, text
from dockopt.report.result import LintResult

Renderer = Callable[..., None]

FORMATS: Mapping[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}


def render(fmt: str, result: LintResult, stream: TextIO, **options: Any) -> None:
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        names = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {fmt!r} (expected one of {names})") from None
    renderer(result, stream, **options)


__all__ = ["FORMATS", "LintResult", "Renderer", "render"]
