"""`dockopt init`'s templates: read a Python project, render its Docker setup, write it all or nothing.

project.py     pyproject.toml, requirements files, uv.lock / poetry.lock -> Project
entrypoint.py  the command the image runs (web app, console script, package, script) -> Entry
variants.py    cpu / cuda / rocm: base image (the cpu one replaceable) and PyTorch wheel index
dockerfile.py  one variant's Dockerfile (builder -> runtime)
ignore.py      .dockerignore from the project's tree
bake.py        docker-bake.hcl
workflow.py    .github/workflows/docker.yml
versions.py    docker/versions.txt
setup.py       every file of the setup, and writing them atomically
"""

from __future__ import annotations

from dockopt.scaffold.dockerfile import ImagePinner, PinnedImage
from dockopt.scaffold.setup import Setup, plan_setup, write_setup
from dockopt.scaffold.variants import VARIANTS, Variant, parse_variants, with_base_image

__all__ = [
    "VARIANTS",
    "ImagePinner",
    "PinnedImage",
    "Setup",
    "Variant",
    "parse_variants",
    "plan_setup",
    "with_base_image",
    "write_setup",
]
