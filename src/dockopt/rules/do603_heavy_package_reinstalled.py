"""DO603: a heavy package installed again below a base that has it, or in several images of one hierarchy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.findings import Finding, Severity
from dockopt.repo.graph import HeavyPackage, Image, ImageGraph
from dockopt.rules._repo import exact_version, first_column, listing, repository_tree, same_version, satisfies
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import FileContext, RepositoryContext

_SITE_PACKAGES = frozenset({"pip", "uv", "poetry"})  # one site-packages; conda has its own


@dataclass(frozen=True, slots=True)
class _StageLines:
    """A stage of a Dockerfile: its name, lines, and the stage it is built FROM (an index)."""

    name: str | None
    first: int
    last: int
    parent: int | None


@dataclass(frozen=True, slots=True)
class _Install:
    image: str
    package: HeavyPackage

    @property
    def where(self) -> str:
        return f"{self.package.file}:{self.package.line}"


class HeavyPackageReinstalled(RepositoryRule):
    """A heavy package (torch, tensorflow, jax, nvidia-*, opencv…) installed twice in one image hierarchy.

    What it does:
        Follows the images of the repository from each to the in-repository image its final stage
        is built FROM (compose, bake and build scripts say which Dockerfile builds which tag), and
        looks at the heavy packages each installs in the stages that end up in it — from RUN
        command lines and from the requirement files they install from the build context.
        Reports, at the child's installing line:

        - a heavy package installed in an image whose base (at any depth) already installs it at
          a version the child's requirement rejects (`torch==2.1.0` below a base with
          `torch==2.2.2`): pip replaces it, in a new layer. A requirement the base's version
          satisfies is left alone by pip and is not reported;
        - a heavy package installed by two or more images of one hierarchy that are not each
          other's base (siblings, cousins): reported at every install but the first in build
          order, naming the common base where one install would serve all.

    Why is this bad?
        torch with its CUDA libraries is 2–5 GB. Reinstalling it over a base that has it adds a
        second copy in a new layer — the base's copy stays in the layers below, so the image
        grows by the whole package, and the registry, every node's disk and every pull pay for it.
        Installing it separately in sibling images gives each its own multi-GB layer where one
        shared base layer would be pulled once per node.

    Example:
        ```dockerfile
        # docker/base/ml/Dockerfile: pip install -r requirements/ml.txt  (torch==2.2.2)
        FROM registry.example.com/ml-base:1.0
        RUN pip install torch==2.1.0 -r requirements/asr.txt
        ```

    Use instead:
        ```dockerfile
        FROM registry.example.com/ml-base:1.0
        RUN pip install -r requirements/asr.txt   # uses the base's torch 2.2.2
        ```
        or build the image from a base without torch if it really needs another version.
    """

    id = "DO603"
    name = "heavy-package-reinstalled"
    severity = Severity.WARNING
    groups = ("size", "ml")

    def collect(self, ctx: FileContext) -> object | None:
        stages = tuple(
            _StageLines(
                model.name,
                model.stage.from_instruction.start_line,
                model.stage.instructions[-1].end_line
                if model.stage.instructions
                else model.stage.from_instruction.end_line,
                model.parent.index if model.parent is not None else None,
            )
            for model in ctx.model.stages
        )
        return stages or None

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        if not repository_tree(repo).declares_builds:
            return  # without builds no image is built FROM another of the repository
        graph = repo.graph
        linted = set(repo.dockerfiles)
        installs = {name: self._installs(repo, image) for name, image in graph.images.items()}
        parent = {name: _primary_parent(graph, image) for name, image in graph.images.items()}
        over: dict[tuple[str, int], dict[str, list[tuple[_Install, _Install]]]] = {}
        beside: dict[tuple[str, int], list[str]] = {}
        for name in graph.build_order:
            for install in installs[name]:
                if install.package.file not in linted:
                    continue
                key = (install.package.file, install.package.line)
                conflict = _over_base(install, _ancestors(name, parent), installs)
                if conflict is not None:
                    pairs = over.setdefault(key, {}).setdefault(conflict.image, [])
                    if all(p.package.name != install.package.name for p, _ in pairs):
                        pairs.append((install, conflict))
                    continue
                message = _sibling(install, graph, parent, installs)
                if message is not None:
                    beside.setdefault(key, []).append(message)
        for key in sorted({*over, *beside}):
            messages = [_over_message(base, pairs) for base, pairs in over.get(key, {}).items()]
            messages += list(dict.fromkeys(beside.get(key, [])))
            yield self.finding_in(repo, key[0], key[1], "; ".join(messages), column=first_column(repo, *key))

    def _installs(self, repo: RepositoryContext, image: Image) -> list[_Install]:
        """The heavy packages an image installs in the stages that end up in it."""
        fact = repo.facts_of(self.id).get(image.dockerfile)
        if not isinstance(fact, tuple) or not fact:
            return []
        stages: tuple[_StageLines, ...] = fact
        target = next((s for s in stages if image.target and s.name == image.target.lower()), stages[-1])
        chain = []
        current: _StageLines | None = target
        while current is not None and current not in chain:
            chain.append(current)
            current = stages[current.parent] if current.parent is not None else None
        return [
            _Install(image.name, package)
            for package in image.heavy_packages
            if any(stage.first <= package.line <= stage.last for stage in chain)
        ]


def _over_base(install: _Install, ancestors: list[str], installs: dict[str, list[_Install]]) -> _Install | None:
    """The install of the same package in the nearest base that has it, when pip must replace it."""
    package = install.package
    for ancestor in ancestors:
        for below in installs[ancestor]:
            other = below.package
            if other.name != package.name or _family(other.manager) != _family(package.manager):
                continue
            version = exact_version(other.specifier)
            if version is None or satisfies(version, package.specifier) is not False:
                return None  # pip keeps the base's copy (or we cannot tell)
            return below
    return None


def _over_message(base: str, pairs: list[tuple[_Install, _Install]]) -> str:
    mine = listing([child.package.spec for child, _ in pairs])
    theirs = listing([below.package.spec for _, below in pairs])
    origins = _origins([below for _, below in pairs])
    names = listing([child.package.name for child, _ in pairs])
    verb = "are" if len(pairs) > 1 else "is"
    return (
        f"{mine} {verb} installed over {theirs} of the base image {base} ({origins}): the version conflict "
        f"makes pip install a second copy of {names} in a new layer while the base's copy stays below it; "
        f"use the base's version, or build this image from a base without {names}"
    )


def _origins(installs: list[_Install]) -> str:
    """``requirements/ml.txt:3 and :4, installed at docker/base/ml/Dockerfile:10``."""
    pinned: dict[str, list[str]] = {}
    for install in installs:
        if install.package.requirement:
            file, _, line = install.package.requirement.rpartition(":")
            pinned.setdefault(file, []).append(line)
    files = [
        f"{file}:{listing(lines).replace(' and ', ' and :').replace(', ', ', :')}" for file, lines in pinned.items()
    ]
    where = listing(list(dict.fromkeys(install.where for install in installs)))
    return f"{listing(files)}, installed at {where}" if files else where


def _sibling(
    install: _Install, graph: ImageGraph, parent: dict[str, str | None], installs: dict[str, list[_Install]]
) -> str | None:
    """The same package installed by an image built earlier in the same hierarchy, not a base of this one."""
    package = install.package
    mine = _ancestors(install.image, parent)
    for name in graph.build_order:
        if name == install.image:
            return None
        theirs = _ancestors(name, parent)
        if name in mine or install.image in theirs:
            continue
        common = next((a for a in mine if a in theirs), None)
        if common is None:
            continue
        for other in installs[name]:
            earlier = other.package
            if earlier.name != package.name or _family(earlier.manager) != _family(package.manager):
                continue
            if other.where == install.where:
                continue  # one Dockerfile built twice: one install statement
            agree = same_version(exact_version(earlier.specifier), exact_version(package.specifier))
            versions = "" if agree else f" (as {earlier.spec}: agree on one version first)"
            return (
                f"{package.name} is also installed by {name} ({other.where}){versions}; both are built on "
                f"{common}: install it once there and the images share one multi-GB layer"
            )
    return None


def _family(manager: str) -> str:
    return "python" if manager in _SITE_PACKAGES else manager


def _primary_parent(graph: ImageGraph, image: Image) -> str | None:
    base = image.primary_base
    if base is None or base.image is None or base.kind != "from" or base.image not in graph.images:
        return None
    return base.image


def _ancestors(name: str, parent: dict[str, str | None]) -> list[str]:
    """The image's bases in the repository, nearest first (a cycle stops the walk)."""
    found: list[str] = []
    current = parent.get(name)
    while current is not None and current not in found and current != name:
        found.append(current)
        current = parent.get(current)
    return found
