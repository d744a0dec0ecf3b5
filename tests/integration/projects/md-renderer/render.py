"""Render Markdown from stdin (or a sample) to HTML on stdout."""

from __future__ import annotations

import sys

import markdown

SAMPLE = "# Release notes\n\n- faster *rebuilds*\n- smaller images\n"


def main() -> None:
    text = SAMPLE if sys.stdin.isatty() else sys.stdin.read() or SAMPLE
    print(markdown.markdown(text, extensions=["tables"]))


if __name__ == "__main__":
    main()
