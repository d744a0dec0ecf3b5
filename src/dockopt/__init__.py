"""dockopt: audits, fixes, builds and verifies the Docker images of Python and ML projects."""

from __future__ import annotations

__version__ = "0.1.0"
