"""The repository: discovery of Dockerfiles and, later, the image graph and build context."""

from __future__ import annotations
