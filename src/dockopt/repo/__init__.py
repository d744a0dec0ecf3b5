"""The repository: discovery of Dockerfiles and build declarations (compose, bake, scripts), the image
graph and build order, what base images hand down, and build-context analysis (.dockerignore)."""

from __future__ import annotations
