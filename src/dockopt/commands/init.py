"""`dockopt init [DIR]`: write an optimized Docker setup for a Python project.

Reads the project (scaffold.project, scaffold.entrypoint), renders a Dockerfile per variant, a
.dockerignore, docker-bake.hcl and a CI workflow (scaffold.setup), and writes them all or none.
Base images are pinned by the digest the local Docker engine knows for them (the same lookup as
DO301's fix); without an engine, or for an image it has not pulled, the Dockerfile says how to pin.
``--base-image`` names the cpu variant's base when a team uses its own registry or mirror.

Exit codes: 0 written; 2 for a missing directory, a file that would be overwritten without
--force, a project file that cannot be parsed, or no entry point to be found.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dockopt.errors import EXIT_OK, UsageError
from dockopt.rules._digests import LocalDigests
from dockopt.scaffold import PinnedImage, Setup, parse_variants, plan_setup, with_base_image, write_setup

if TYPE_CHECKING:
    from dockopt.engine import Engine
    from dockopt.scaffold import ImagePinner


@dataclass(frozen=True)
class InitOptions:
    directory: str = "."
    variants: str = "cpu"
    python: str = "3.11"
    app_module: str | None = None
    port: int | None = None
    force: bool = False
    base_image: str | None = None  # the cpu variant's base instead of python:<version>-slim


def local_pinner(engine: Engine | None = None) -> ImagePinner:
    """Digests from the local engine's RepoDigests (``engine``, else the docker client when first asked)."""
    digests = LocalDigests(engine)

    def pin(tag: str) -> PinnedImage:
        answer = digests(tag)
        return PinnedImage(tag, answer.digest, answer.reason)

    return pin


def run_init(options: InitOptions, stream: TextIO | None = None, pin: ImagePinner | None = None) -> int:
    """Plan, write, report; the exit code."""
    out = stream or sys.stdout
    root = Path(options.directory)
    if not root.is_dir():
        raise UsageError(f"{options.directory}: no such directory")
    setup = plan_setup(
        root,
        with_base_image(parse_variants(options.variants), options.base_image),
        options.python,
        pin or local_pinner(),
        options.app_module,
        options.port,
    )
    written = write_setup(root, setup.files, force=options.force)
    _report(setup, written, root, out)
    return EXIT_OK


def _report(setup: Setup, written: list[tuple[str, bool]], root: Path, out: TextIO) -> None:
    project, entry = setup.project, setup.entry
    pyproject = "pyproject.toml" if project.has_pyproject else ""
    installs = project.lock_file or ", ".join(project.requirements) or pyproject
    out.write(f"project: {project.name} ({project.manager}{', ' + installs if installs else ''})\n")
    out.write(f"runs:    {entry.description}" + (f", port {entry.port}" if entry.port else "") + "\n")
    if project.frameworks:
        out.write(f"uses:    {', '.join(project.frameworks)}\n")
    for path, replaced in written:
        out.write(f"{'replaced' if replaced else 'wrote'} {root / path}\n")
    for note in (*project.notes, *entry.notes):
        out.write(f"note: {note}\n")
    variant, dockerfile = setup.dockerfiles[0]
    file_flag = "" if dockerfile == "Dockerfile" else f" -f {root / dockerfile}"
    out.write(f"next: DOCKER_BUILDKIT=1 docker build{file_flag} -t {project.name}:{variant.name} {root}\n")
