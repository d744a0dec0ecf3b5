"""Shell analysis of RUN bodies: commands with argv, flags and positions (see parse.py)."""

from __future__ import annotations

from dockopt.shell.parse import Command, Redirect, Script, Word, parse_shell

__all__ = ["Command", "Redirect", "Script", "Word", "parse_shell"]
