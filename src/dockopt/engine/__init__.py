"""The Docker engine behind one small interface: BuildKit builds, image inspection, image filesystems."""

from __future__ import annotations

from dockopt.engine.base import BuildResult, Engine, ImageInfo
from dockopt.engine.docker_cli import DockerCLI
from dockopt.engine.filesystem import Entry, EntryType, read_filesystem
from dockopt.engine.progress import BuildStep, StepStatus, parse_progress

__all__ = [
    "BuildResult",
    "BuildStep",
    "DockerCLI",
    "Engine",
    "Entry",
    "EntryType",
    "ImageInfo",
    "StepStatus",
    "parse_progress",
    "read_filesystem",
]
