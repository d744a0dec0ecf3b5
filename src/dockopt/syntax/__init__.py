"""Dockerfile text -> lossless tree (see nodes.py), and the loader that turns files into trees."""

from __future__ import annotations

from dockopt.syntax.load import MAX_FILE_BYTES, load_file, parse_bytes
from dockopt.syntax.nodes import (
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Form,
    Heredoc,
    Instruction,
    LineKind,
    ParseError,
    PhysicalLine,
    Span,
    Stage,
)
from dockopt.syntax.parser import KNOWN_INSTRUCTIONS, parse

__all__ = [
    "KNOWN_INSTRUCTIONS",
    "MAX_FILE_BYTES",
    "Blank",
    "Comment",
    "Directive",
    "Dockerfile",
    "Flag",
    "Form",
    "Heredoc",
    "Instruction",
    "LineKind",
    "ParseError",
    "PhysicalLine",
    "Span",
    "Stage",
    "load_file",
    "parse",
    "parse_bytes",
]
