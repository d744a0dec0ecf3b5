"""docker/versions.txt: the versions the images are built from, in one place.

One ``NAME_VERSION=x`` line per pinned thing: Python, the CUDA or ROCm release, the installers the
builder stages pin, the project's exactly pinned (or locked) direct dependencies; and
``NAME_IMAGE=image:tag@sha256:…`` for each base image whose digest is known. `dockopt lint` (DO605)
and `dockopt verify` check that the Dockerfiles and requirement files agree with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dockopt.scaffold.dockerfile import UV_IMAGE, ImagePinner
from dockopt.scaffold.project import Project
from dockopt.scaffold.variants import POETRY_VERSION, UV_VERSION, Variant

VERSIONS_FILE = "docker/versions.txt"
_EXACT = re.compile(r"^===?\s*([0-9][^,;\s*]*)$")
_VENDOR_VERSION = re.compile(r":(\d+(?:\.\d+)+)")


def render_versions(project: Project, variants: Sequence[Variant], python: str, pin: ImagePinner) -> str:
    lines = [
        f"# {VERSIONS_FILE} of {project.name}, written by `dockopt init`: the versions its images are built",
        "# from, in one place. `dockopt lint` (DO605) and `dockopt verify` report a Dockerfile or requirement",
        "# file that disagrees with it: change a version here and where it is used, together.",
        "",
        "# Python, and the accelerator releases of the base images.",
        f"PYTHON_VERSION={python}",
    ]
    for variant in variants:
        release = _VENDOR_VERSION.search(variant.base or "")
        if release is not None:
            lines.append(f"{variant.name.upper()}_VERSION={release.group(1)}")
    tools = []
    if project.manager == "uv" or any(v.standalone_python for v in variants):
        tools.append(f"UV_VERSION={UV_VERSION}")
    if project.manager == "poetry":
        tools.append(f"POETRY_VERSION={POETRY_VERSION}")
    if tools:
        lines += ["", "# The installers the builder stages use.", *tools]
    packages = _package_versions(project)
    if packages:
        lines += ["", f"# The project's pinned dependencies ({_source(project)})."]
        lines += [f"{_key(name)}_VERSION={version}" for name, version in packages.items()]
    images = [v.base_image(python) for v in variants]
    if any(v.standalone_python for v in variants):
        images.append(f"{UV_IMAGE}:{UV_VERSION}")
    pinned = [pin(image) for image in dict.fromkeys(images)]
    digests = [p for p in pinned if p.digest]
    if digests:
        lines += ["", "# Base images, by digest."]
        lines += [f"{_key(p.tag.rsplit('/', 1)[-1].split(':', 1)[0])}_IMAGE={p.reference}" for p in digests]
    return "\n".join(lines) + "\n"


def _package_versions(project: Project) -> dict[str, str]:
    """Direct dependencies with one exact version: the lock's, else the one the project pins."""
    versions: dict[str, str] = {}
    for requirement in project.dependencies:
        locked = project.locked_versions.get(requirement.name)
        exact = _EXACT.match(requirement.specifier)
        version = locked or (exact.group(1) if exact else None)
        if version and requirement.name not in versions:
            versions[requirement.name] = version
    return versions


def _source(project: Project) -> str:
    if project.lock_file:
        return f"as {project.lock_file} locks them"
    return ", ".join(project.requirements) or "pyproject.toml"


def _key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).upper()
