"""Rules: one module per rule (``doNNN_name.py``), each a subclass of ``Rule`` (see base.py)."""

from __future__ import annotations
