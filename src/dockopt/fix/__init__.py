"""Fixes: edits on the file's text carried by findings, applied by safety class until nothing changes."""

from __future__ import annotations

from dockopt.fix.apply import FixOutcome, apply_edits, fix_text

__all__ = ["FixOutcome", "apply_edits", "fix_text"]
