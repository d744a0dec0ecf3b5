"""The semantic model rules read: stages, effective ENV/ARG/USER/WORKDIR/SHELL, mounts (see image.py)."""

from __future__ import annotations

from dockopt.model.image import BaseState, ImageModel, Mount, StageModel, State

__all__ = ["BaseState", "ImageModel", "Mount", "StageModel", "State"]
