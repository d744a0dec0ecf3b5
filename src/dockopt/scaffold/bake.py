"""docker-bake.hcl: one target per variant, and a group that builds them all."""

from __future__ import annotations

from collections.abc import Sequence

from dockopt.scaffold.variants import Variant


def render_bake(project_name: str, version: str | None, dockerfiles: Sequence[tuple[Variant, str]]) -> str:
    """``dockerfiles``: each variant with the path of its Dockerfile."""
    single = len(dockerfiles) == 1
    names = ", ".join(f'"{variant.name}"' for variant, _ in dockerfiles)
    lines = [
        f"# docker-bake.hcl of {project_name}, written by `dockopt init`.",
        "# `docker buildx bake` builds every variant (in parallel, sharing one BuildKit cache);",
        f"# `docker buildx bake {dockerfiles[0][0].name}` builds one. The context of each is this directory.",
        "",
        "# The images' tag: `TAG=1.2.0 docker buildx bake`.",
        'variable "TAG" {',
        f'  default = "{version or "dev"}"',
        "}",
        "",
        "# Their repository, with the registry to push to: `IMAGE=ghcr.io/me/app docker buildx bake --push`.",
        'variable "IMAGE" {',
        f'  default = "{project_name}"',
        "}",
        "",
        'group "default" {',
        f"  targets = [{names}]",
        "}",
    ]
    for variant, dockerfile in dockerfiles:
        tag = "${IMAGE}:${TAG}" if single else "${IMAGE}:${TAG}-" + variant.name
        lines += [
            "",
            f"# {variant.name}: {variant.description}.",
            f'target "{variant.name}" {{',
            '  context    = "."',
            f'  dockerfile = "{dockerfile}"',
            '  target     = "runtime"',
            f'  tags       = ["{tag}"]',
            "}",
        ]
    return "\n".join(lines) + "\n"
