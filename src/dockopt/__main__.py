"""`python -m dockopt`."""

from __future__ import annotations

from dockopt.cli import main

main()
