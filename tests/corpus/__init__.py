"""The parser corpus: handwritten Dockerfiles plus the seeded generator's output.

Also home to the helpers the parser tests and ``benchmarks/fuzz_parser.py`` share: the BuildKit
oracle comparison (``parity``) and the tree invariants (``invariants``).
"""

from __future__ import annotations

from pathlib import Path

from .generate import generate

__all__ = ["HANDWRITTEN_DIR", "all_cases", "generate", "handwritten"]

HANDWRITTEN_DIR = Path(__file__).parent / "handwritten"


def handwritten() -> list[tuple[str, str]]:
    """``(name, text)`` of every handwritten file, bytes kept exactly (CRLF, BOM)."""
    return [(p.name, p.read_bytes().decode("utf-8")) for p in sorted(HANDWRITTEN_DIR.glob("*.Dockerfile"))]


def all_cases() -> list[tuple[str, str]]:
    return handwritten() + generate()
