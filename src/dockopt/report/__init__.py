"""Formatters: each takes a :class:`LintResult` and a text stream, and knows nothing of rules.

One module per format, each with ``render(result, stream, **options)``:

    text     human output with source lines (rich); ``color``, ``width``
    json     the stable schema of DESIGN.md ("JSON output of lint --format json")
    sarif    SARIF 2.1.0 for code scanning; ``rule_docs`` (rule id -> (short, full) description)
    github   GitHub Actions workflow commands (annotations)

An option a format does not take is a ``TypeError``, not silently ignored.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from dockopt.report.result import LintResult

Renderer = Callable[..., None]

# Format -> module; a format's module is imported when it is used (the text format brings rich along).
_MODULES: Mapping[str, str] = {"text": "text", "json": "json_format", "sarif": "sarif", "github": "github"}
FORMATS: tuple[str, ...] = tuple(_MODULES)


def render(fmt: str, result: LintResult, stream: TextIO, **options: Any) -> None:
    try:
        module = _MODULES[fmt]
    except KeyError:
        names = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {fmt!r} (expected one of {names})") from None
    renderer: Renderer = importlib.import_module(f"dockopt.report.{module}").render
    renderer(result, stream, **options)


__all__ = ["FORMATS", "LintResult", "Renderer", "render"]
