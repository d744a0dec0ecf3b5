"""The engine interface: what dockopt asks of Docker, and what it gets back.

Everything above this interface is tested on recorded outputs; ``DockerCLI`` implements it with the
docker client, and the integration tests run it against a real daemon. Implementations raise
``EngineError`` when the engine itself fails; a Dockerfile that does not build is a ``BuildResult``
with ``ok`` False, not an error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockopt.engine.filesystem import Entry
from dockopt.engine.layers import SavedImage
from dockopt.engine.progress import BuildStep, StepStatus
from dockopt.errors import EngineError


@dataclass(frozen=True, slots=True)
class BuildResult:
    """One build: its exit code, wall-clock time, steps and log, and the image it made."""

    tag: str
    exit_code: int
    seconds: float
    log: str
    steps: tuple[BuildStep, ...]
    image_id: str | None = None  # set when the build succeeded

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def failed_step(self) -> BuildStep | None:
        return next((s for s in self.steps if s.status is StepStatus.ERROR), None)

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the log: where a failed build says why."""
        return "\n".join(self.log.rstrip("\n").splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class ImageInfo:
    id: str
    size: int  # bytes, as `docker image inspect` reports it
    tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()


class Engine(ABC):
    """A container engine that builds images with BuildKit and shows what is in them."""

    @abstractmethod
    def build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        target: str | None = None,
    ) -> BuildResult:
        """Build ``dockerfile`` with ``context`` and tag the image (the final stage, or ``target``)."""

    @abstractmethod
    def inspect(self, image: str) -> ImageInfo:
        """What the engine knows of ``image``; EngineError when it has no such image."""

    @abstractmethod
    def remove_image(self, image: str) -> None:
        """Remove ``image`` (a tag or an id); nothing happens when there is none."""

    @abstractmethod
    def image_filesystem(self, image: str) -> dict[str, Entry]:
        """The final filesystem of ``image`` (all layers applied), by absolute path."""

    def saved_images(self, images: Sequence[str], *, hash_contents: bool = False) -> list[SavedImage]:  # noqa: ARG002
        """The layers of ``images`` as ``docker save`` exports them, read in one pass (engine/layers.py).

        ``hash_contents`` asks for every file's SHA-256. An engine that cannot export images keeps this default.
        """
        raise EngineError(f"{type(self).__name__} cannot export {', '.join(images)}")
