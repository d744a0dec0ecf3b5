"""Digests of base images for DO301's fix, looked up only while `dockopt fix` runs.

Linting never touches the engine: with no source installed, DO301 reports without a fix. `dockopt
fix` installs ``LocalDigests`` for the length of its run (``run_fix`` is decorated with
``digests_from_local_engine``): the digest of a tag is the one the local engine recorded when it
pulled the image (its RepoDigests), asked once per reference. A source is a callable, so tests
install a fake one with ``digests_from``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from dockopt.errors import EngineError

if TYPE_CHECKING:
    from dockopt.engine import Engine

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class DigestAnswer:
    """The digest (``sha256:…``) the tag names, or why none is known."""

    digest: str | None
    reason: str = ""


DigestSource = Callable[[str], DigestAnswer]
_source: DigestSource | None = None


def current_source() -> DigestSource | None:
    """The source installed for this run, or None (linting)."""
    return _source


@contextmanager
def digests_from(source: DigestSource) -> Iterator[None]:
    """Let DO301 ask ``source`` for digests within the block."""
    global _source  # noqa: PLW0603 - one source per run, installed and restored here only
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


def digests_from_local_engine(run: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so that DO301 pins bases with the local engine's digests while it runs.

    The engine is the command's ``engine`` argument when it has one, else the docker client (created
    on the first lookup: a run that pins nothing never starts it).
    """
    signature = inspect.signature(run)

    @functools.wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        engine = signature.bind(*args, **kwargs).arguments.get("engine")
        with digests_from(LocalDigests(engine)):
            return run(*args, **kwargs)

    return wrapper


class LocalDigests:
    """Digests from the RepoDigests of the local engine's images; each reference is looked up once."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self._answers: dict[str, DigestAnswer] = {}
        self._unavailable: str | None = None  # why the engine cannot be asked at all

    def __call__(self, reference: str) -> DigestAnswer:
        if reference not in self._answers:
            self._answers[reference] = self._lookup(reference)
        return self._answers[reference]

    def _lookup(self, reference: str) -> DigestAnswer:
        if self._unavailable is not None:
            return DigestAnswer(None, self._unavailable)
        try:
            engine = self._engine or self._client()
            info = engine.inspect(reference)
        except EngineError as exc:
            # DockerCLI.inspect says "the engine has no image …" when the engine answered; anything else means
            # the engine itself is missing or failing, and is not asked again
            if not exc.message.startswith("the engine has no image"):
                self._unavailable = f"no Docker engine answered ({exc.message})"
                return DigestAnswer(None, self._unavailable)
            return DigestAnswer(None, f"the local engine has no image {reference}")
        repository = repository_of(reference)
        for repo_digest in info.repo_digests:
            name, _, digest = repo_digest.partition("@")
            if digest and normalized(name) == repository:
                return DigestAnswer(digest)
        return DigestAnswer(
            None, f"the local image {reference} has no registry digest (it was built or loaded here, not pulled)"
        )

    def _client(self) -> Engine:
        from dockopt.engine import DockerCLI  # only `dockopt fix` gets here: linting never loads the engine

        self._engine = DockerCLI()
        return self._engine


def repository_of(reference: str) -> str:
    """The normalised repository of an image reference: ``python:3.11`` -> ``docker.io/library/python``."""
    name = reference.partition("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return normalized(name)


def normalized(name: str) -> str:
    """A repository name as the registry knows it (Docker Hub's implicit domain and ``library/`` made explicit)."""
    domain, _, path = name.partition("/")
    if not path or ("." not in domain and ":" not in domain and domain != "localhost"):
        domain, path = "docker.io", name
    if domain in ("index.docker.io", "registry-1.docker.io"):
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return f"{domain}/{path}"
