"""One module per subcommand; each returns an exit code and leaves argument parsing to cli.py."""

from __future__ import annotations
