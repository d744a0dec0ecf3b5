"""DO212: full-size base image for the runtime stage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction

# Official images with a -slim variant, and the Debian releases that appear in their tags.
_SLIM_IMAGES = frozenset({"python", "pypy", "node", "debian"})
_DISTROS = frozenset({"trixie", "bookworm", "bullseye", "buster", "stretch"})
_OFFICIAL_PREFIXES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
_TAG = re.compile(r"^(?P<version>[A-Za-z0-9.]+?)(?:-(?P<distro>[a-z]+))?$")
_EXTRA = {
    "python": "about 1 GB with compilers, headers and libraries a service does not need at run time",
    "pypy": "about 1 GB with compilers, headers and libraries a service does not need at run time",
    "node": "about 1 GB with compilers, headers and libraries a service does not need at run time",
    "debian": "about 40 MB more than -slim in documentation, man pages and locales",
}


@dataclass(frozen=True, slots=True)
class _Reference:
    name: str  # python, node, debian, pypy
    repository: str  # as written, before the tag
    tag: str
    digest: str


class FullSizeBase(Rule):
    """A full-size base image (`python:3.11`, `node:20`, `debian:bookworm`) for the runtime stage.

    What it does:
        Flags the FROM of the final stage (or of the stage it is built FROM, up the chain) when it
        names the full variant of an official image that has a `-slim` one: `python`, `pypy`,
        `node` and `debian` without `slim` or `alpine` in the tag. Builder stages are not
        flagged (a full image with compilers is fine where only artifacts are copied out), nor
        are `*-slim*`, `*-alpine`, distroless, `scratch`, CUDA images (DO207 handles those),
        images built in the same repository, images named for development or tests
        (`Dockerfile.dev`, a final stage `AS test`), and `ubuntu`, whose official image is
        already a minimal install about the size of `debian:*-slim`.

    Why is this bad?
        The full `python` and `node` images are built on `buildpack-deps`: compilers, headers,
        version control and hundreds of libraries, about 1 GB, of which a service needs none at
        run time. The `-slim` variant is the same interpreter on a minimal Debian, about 150 MB:
        faster pulls, faster cold starts, and far fewer packages to patch.

    Example:
        ```dockerfile
        FROM python:3.11-bookworm
        COPY --from=build /opt/venv /opt/venv
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim-bookworm
        COPY --from=build /opt/venv /opt/venv
        ```

    Fix safety:
        Unsafe: the slim image lacks build tools and many shared libraries (libpq, libxml2, …).
        A RUN that compiles something, or a wheel that links to a system library, can fail to
        build or fail at run time until the missing packages are installed with apt-get. Not
        offered when the reference uses variables or a digest.
    """

    id = "DO212"
    name = "full-size-base"
    severity = Severity.INFO
    groups = ("size",)
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        final = ctx.model.final
        if final is None or _layers.is_dev_image(ctx):
            return
        root = _layers.root_of(final)
        if root.base.known:
            return  # built in this repository: its own Dockerfile is checked
        reference = _parse(root.base_image)
        if reference is None:
            return
        slim = _slim_tag(reference)
        if slim is None:
            return
        ins = root.stage.from_instruction
        suggestion = f"{reference.repository}:{slim}"
        via = "" if root is final else " (the final stage is built FROM this stage)"
        shown = f"{reference.repository}:{reference.tag}" if reference.tag else reference.repository
        yield self.finding(
            ctx,
            ins,
            f"the runtime image is built on the full {shown}{via}, {_EXTRA[reference.name]}; use {suggestion} "
            "and install only the runtime libraries the application needs",
            _fix(ctx, ins, root.base_image, suggestion, reference),
        )


def _parse(image: str) -> _Reference | None:
    if not image or "$" in image:
        return None
    rest, _, digest = image.partition("@")
    repository, tag = rest, ""
    if ":" in rest.rsplit("/", 1)[-1]:
        repository, _, tag = rest.rpartition(":")
    name = repository.lower()
    for prefix in _OFFICIAL_PREFIXES:
        if name.startswith(prefix):
            name = name.removeprefix(prefix)
            break
    name = name.removeprefix("library/")
    return _Reference(name, repository, tag, digest) if name in _SLIM_IMAGES else None


def _slim_tag(reference: _Reference) -> str | None:
    """The -slim tag matching a full one, or None when the tag is already small or not understood."""
    tag = reference.tag or "latest"
    lowered = tag.lower()
    if any(word in lowered for word in ("slim", "alpine", "windowsservercore", "nanoserver", "backports")):
        return None
    if reference.name == "debian":
        if lowered == "latest":
            return "stable-slim"
        return f"{tag}-slim" if re.fullmatch(r"[a-z]+|\d+(?:\.\d+)?|[a-z]+-\d{8}", lowered) else None
    if lowered == "latest":
        return "slim"
    match = _TAG.match(tag)
    if match is None:
        return None
    version, distro = match["version"], match["distro"]
    if distro is not None and distro not in _DISTROS:
        return None
    if distro is None:
        return f"{version}-slim"
    if reference.name == "node":
        return f"{version}-{distro}-slim"
    return f"{version}-slim-{distro}"


def _fix(ctx: FileContext, ins: Instruction, image: str, suggestion: str, reference: _Reference) -> Fix | None:
    span = ins.arguments_span
    if span is None or reference.digest or not ins.values or ins.values[0] != image:
        return None
    start = span.start
    if ctx.df.text[start : start + len(image)] != image:
        return None
    return Fix(FixSafety.UNSAFE, f"use {suggestion}", (Edit(start, start + len(image), suggestion),))
