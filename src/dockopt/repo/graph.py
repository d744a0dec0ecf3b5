"""The image graph of a repository: which image is built from which Dockerfile, on which base, in which order.

``build_graph(root)`` reads every Dockerfile, compose file, bake file and shell build script below
``root`` and returns an ``ImageGraph``:

* images: one per build the files declare (builds of the same Dockerfile and target that share a
  tag, or whose build args do not disagree, are one image), plus one per Dockerfile that no build
  mentions, named after its directory;
* bases: each image's FROM references (and ``COPY --from``/``RUN --mount from=`` images) in the
  stages its target needs, resolved with ARG defaults and the image's build args, then matched to
  the images built here — exactly by tag, or by repository name when the registry or the tag comes
  from a variable (``${REGISTRY}/pipeline-ml-base:${BASE_TAG}`` is the ``pipeline-ml-base`` built
  here) — or through a named build context (bake ``target:``, compose ``service:``);
* the build order (topological, bases first, ties broken by Dockerfile path), and the cycles that
  prevent one;
* the heavy packages (torch, tensorflow, jax, nvidia-*, opencv…) each image installs, from its RUN
  commands and the requirement and pyproject files they install from the build context.
"""

from __future__ import annotations

import heapq
import os
import posixpath
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from dockopt.heavy import is_heavy
from dockopt.model import ImageModel, StageModel
from dockopt.repo.builds import Build, Problem, is_bake_name, is_resolved, relative_path
from dockopt.repo.compose import is_compose_name, load_compose
from dockopt.repo.discovery import SKIPPED_DIRS, find_dockerfiles, is_virtualenv
from dockopt.repo.scripts import Rewrite, is_script_name, load_script
from dockopt.shell.packages import PackageOperation, classify
from dockopt.shell.requirements import canonical_name, logical_lines, parse_requirement
from dockopt.syntax import Dockerfile, Instruction, load_file
from dockopt.syntax.expand import expand_word

_PYTHON_MANAGERS = frozenset({"pip", "uv", "poetry", "conda"})
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip")
_PLAIN_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_KIND_PRIORITY = {"bake": 0, "script": 1, "compose": 2}


# -- the graph ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseReference:
    """An image that an image is built from: a stage's FROM, or a ``COPY --from``/``RUN --mount`` image.

    ``written`` is the reference in the Dockerfile, ``resolved`` the same after ARG defaults and the
    image's build args (a variable without a value stays ``${NAME}``). ``image`` names the image of
    this repository it refers to, None for an external image; ``match`` says how it was found:
    ``exact`` (a tag), ``name`` (the repository name, the registry or tag being variable),
    ``context`` (a named build context), or ``""``. ``primary`` marks the base of the target stage.
    """

    line: int
    kind: str  # "from", "copy" or "mount"
    written: str
    resolved: str
    image: str | None = None
    match: str = ""
    primary: bool = False


@dataclass(frozen=True, slots=True)
class HeavyPackage:
    """A heavy package an image installs: where the install runs, and the requirement line naming it."""

    name: str
    specifier: str  # "==2.2.2", ">=2", or ""
    manager: str  # pip, uv, poetry, conda
    file: str  # the Dockerfile
    line: int  # the line of the installing command (or of the package word)
    requirement: str | None = None  # "requirements/ml.txt:3" when read from a file of the build context

    @property
    def spec(self) -> str:
        """``torch==2.2.2``."""
        return self.name + self.specifier


@dataclass
class Image:
    """One image built in the repository."""

    name: str
    dockerfile: str
    context: str
    tags: tuple[str, ...]
    args: dict[str, str]
    target: str | None
    builds: tuple[Build, ...]  # the declarations it comes from; empty when no build mentions the Dockerfile
    bases: tuple[BaseReference, ...] = ()
    heavy_packages: tuple[HeavyPackage, ...] = ()

    @property
    def parents(self) -> tuple[str, ...]:
        """The images of the repository it is built from, primary base first."""
        ordered = sorted(self.bases, key=lambda b: not b.primary)
        return tuple(dict.fromkeys(b.image for b in ordered if b.image is not None))

    @property
    def primary_base(self) -> BaseReference | None:
        return next((b for b in self.bases if b.primary), None)


@dataclass(frozen=True, slots=True)
class Cycle:
    """Images that are built from one another, and their Dockerfiles."""

    images: tuple[str, ...]
    files: tuple[str, ...]


@dataclass
class ImageGraph:
    """The images of a repository, their bases, build order, and what could not be read."""

    root: Path
    images: dict[str, Image]  # by name, in Dockerfile order
    build_order: tuple[str, ...]
    cycles: tuple[Cycle, ...]
    builds: tuple[Build, ...]  # every build declared, by file and order
    rewrites: tuple[Rewrite, ...]
    errors: tuple[Problem, ...]  # files that could not be read or parsed
    warnings: tuple[Problem, ...]  # declarations that could not be used
    sources: tuple[str, ...] = ()  # the compose, bake and script files that declare builds

    def children(self, name: str) -> list[str]:
        """Images built directly on ``name``, in build order."""
        position = {n: i for i, n in enumerate(self.build_order)}
        found = [image.name for image in self.images.values() if name in image.parents]
        return sorted(found, key=lambda n: position.get(n, len(position)))

    def edges(self) -> list[tuple[str, str]]:
        """(base, image) for every in-repository base, in build order."""
        return [(parent, name) for name in self.build_order for parent in self.images[name].parents]

    def external_bases(self) -> dict[str, list[str]]:
        """External image reference -> the images built on it (or copying from it), sorted."""
        found: dict[str, list[str]] = {}
        for image in self.images.values():
            for base in image.bases:
                if base.image is None:
                    found.setdefault(base.resolved, [])
                    if image.name not in found[base.resolved]:
                        found[base.resolved].append(image.name)
        return dict(sorted(found.items()))


# -- discovery ---------------------------------------------------------------------------------


@dataclass
class Discovery:
    """What the compose files, bake files and build scripts of a tree declare, and their problems."""

    builds: list[Build] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _build_files(root: Path) -> tuple[list[Path], dict[Path, list[Path]], list[Path]]:
    """Compose files, bake files by directory, and shell scripts below ``root``, in sorted order."""
    compose: list[Path] = []
    bake: dict[Path, list[Path]] = {}
    scripts: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not is_virtualenv(os.path.join(directory, d))  # noqa: PTH118
        )
        for name in sorted(filenames):
            if is_compose_name(name):
                compose.append(Path(directory) / name)
            elif is_bake_name(name):
                bake.setdefault(Path(directory), []).append(Path(directory) / name)
            elif is_script_name(name):
                scripts.append(Path(directory) / name)
    return compose, bake, scripts


def discover(root: Path) -> Discovery:
    """Every build, rewrite and problem of the compose files, bake files and scripts below ``root``."""
    found = Discovery()
    compose, bake, scripts = _build_files(root)
    for path in scripts:
        script = load_script(path, root)
        found.builds += script.builds
        found.rewrites += script.rewrites
        found.errors += script.errors
        found.warnings += script.warnings
        if script.builds or script.rewrites:
            found.sources.append(script.path)
    for directory in sorted(bake):
        from dockopt.repo.bake import bake_order, load_bake  # a large parser: imported when a bake file exists

        files = load_bake(bake_order(bake[directory]), root)
        found.builds += files.builds
        found.errors += files.errors
        found.warnings += files.warnings
        found.sources += files.paths
    for path in compose:
        compose_file = load_compose(path, root)
        found.builds += compose_file.builds
        found.errors += compose_file.errors
        found.warnings += compose_file.warnings
        if compose_file.builds:
            found.sources.append(compose_file.path)
    return found


# -- building the graph ------------------------------------------------------------------------


@dataclass
class _Node:
    dockerfile: str
    target: str | None
    builds: list[Build]
    tags: list[str]
    args: dict[str, str]
    contexts: dict[str, str]

    def accepts(self, build: Build) -> bool:
        """The same image: a shared tag, or no build arg both know and set differently."""
        if set(self.tags) & set(build.tags):
            return True
        return not any(
            key in self.args and is_resolved(value) and is_resolved(self.args[key]) and self.args[key] != value
            for key, value in build.args.items()
        )

    def add(self, build: Build) -> None:
        self.builds.append(build)
        self.tags += [tag for tag in build.tags if tag not in self.tags]
        for key, value in build.args.items():
            if key not in self.args or (is_resolved(value) and not is_resolved(self.args[key])):
                self.args[key] = value
        for key, value in build.contexts.items():
            self.contexts.setdefault(key, value)


def build_graph(root: Path, found: Discovery | None = None) -> ImageGraph:
    """The image graph of the repository at ``root`` (a directory); ``found``: its discovery, if already made."""
    found = found if found is not None else discover(root)
    dockerfiles = {relative_path(root, path): path for path in find_dockerfiles(root)}
    nodes = _nodes(found.builds, dockerfiles)
    parsed: dict[str, Dockerfile] = {}
    images: dict[str, Image] = {}
    models: dict[str, ImageModel | None] = {}
    errors = list(found.errors)
    warnings = list(found.warnings)
    names = _names(nodes, root)
    for node, name in zip(nodes, names, strict=True):
        path = root / node.dockerfile
        if node.dockerfile not in parsed and path.is_file():
            parsed[node.dockerfile] = load_file(path, node.dockerfile)
            errors += [Problem(node.dockerfile, e.line, e.message) for e in parsed[node.dockerfile].errors]
        df = parsed.get(node.dockerfile)
        if df is None:
            for build in node.builds:
                warnings.append(Problem(build.source, build.line, f"{node.dockerfile}: no such Dockerfile"))
        context = node.builds[0].context if node.builds else posixpath.dirname(node.dockerfile) or "."
        images[name] = Image(
            name, node.dockerfile, context, tuple(node.tags), dict(node.args), node.target, tuple(node.builds)
        )
        models[name] = ImageModel(df, build_args=_known(node.args)) if df is not None and not df.errors else None
    index = _TagIndex(images)
    by_build: dict[tuple[str, str | None], str] = {
        (b.kind, b.name): image.name for image in images.values() for b in image.builds if b.name
    }
    for node, name in zip(nodes, names, strict=True):
        model = models[name]
        if model is None:
            continue
        image = images[name]
        if image.target is not None and not any(s.name == image.target.lower() for s in model.stages):
            for build in image.builds:
                warnings.append(Problem(build.source, build.line, f"{image.dockerfile} has no stage {image.target}"))
        target = _target_stage(model, image.target)
        if target is None:
            continue
        stages = _needed_stages(model, target)
        resolver = _BaseResolver(index, by_build, node.contexts, name, warnings, image)
        image.bases = tuple(resolver.resolve(ref) for ref in _references(model, stages, target))
        image.heavy_packages = tuple(_heavy_packages(model, stages, image, root))
    order, cycles = _build_order(images)
    builds = sorted(found.builds, key=lambda b: (b.source, b.order))
    rewrites = sorted(found.rewrites, key=lambda r: (r.source, r.order))
    return ImageGraph(
        root, images, order, cycles, tuple(builds), tuple(rewrites), tuple(errors), tuple(warnings),
        tuple(found.sources),
    )  # fmt: skip


def _known(args: Mapping[str, str]) -> dict[str, str]:
    """Build args with a known value; the others leave the Dockerfile's ARG default in force."""
    return {key: value for key, value in args.items() if is_resolved(value)}


def _nodes(builds: Sequence[Build], dockerfiles: Mapping[str, Path]) -> list[_Node]:
    nodes: list[_Node] = []
    ordered = sorted(builds, key=lambda b: (_KIND_PRIORITY.get(b.kind, 9), b.source, b.order))
    for build in ordered:
        for node in nodes:
            if node.dockerfile == build.dockerfile and node.target == build.target and node.accepts(build):
                node.add(build)
                break
        else:
            node = _Node(build.dockerfile, build.target, [], [], {}, {})
            node.add(build)
            nodes.append(node)
    mentioned = {node.dockerfile for node in nodes}
    nodes += [_Node(path, None, [], [], {}, {}) for path in dockerfiles if path not in mentioned]
    return sorted(nodes, key=lambda n: (n.dockerfile, n.target or "", [(b.source, b.order) for b in n.builds]))


def _names(nodes: Sequence[_Node], root: Path) -> list[str]:
    """Unique names: the bake target, the repository of a tag, the compose service, or the directory."""
    names: list[str] = []
    taken: set[str] = set()
    for node in nodes:
        name = _sanitize(_preferred_name(node, root))
        candidate = name
        if candidate in taken and node.target:
            candidate = f"{name}-{_sanitize(node.target)}"
        suffix = 2
        while candidate in taken:
            candidate = f"{name}-{suffix}"
            suffix += 1
        taken.add(candidate)
        names.append(candidate)
    return names


def _preferred_name(node: _Node, root: Path) -> str:
    for build in node.builds:
        if build.kind == "bake" and build.name:
            return build.name
    for tag in node.tags:
        repository = _parse_reference(tag).path.rsplit("/", 1)[-1]
        if repository and is_resolved(repository):
            return repository
    for build in node.builds:
        if build.name:
            return build.name
    directory, filename = posixpath.split(node.dockerfile)
    name = posixpath.basename(directory) if directory and directory != "." else root.resolve().name
    variant = re.sub(r"(?i)^(dockerfile|containerfile)\.?|\.?(dockerfile|containerfile)$", "", filename)
    name = f"{name}-{variant}" if variant else name
    return f"{name}-{node.target}" if node.target else name


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "image"


# -- stages and references ---------------------------------------------------------------------


def _target_stage(model: ImageModel, target: str | None) -> StageModel | None:
    """The stage built: the one named ``target``, else the last one."""
    if target is not None:
        named = next((s for s in model.stages if s.name == target.lower()), None)
        if named is not None:
            return named
    return model.stages[-1] if model.stages else None


def _needed_stages(model: ImageModel, target: StageModel) -> list[StageModel]:
    """The stages BuildKit builds for ``target``: its FROM chain and what it copies from, in order."""
    copied_from: dict[int, list[int]] = {}
    for stage in model.stages:
        for user in stage.copied_by:
            copied_from.setdefault(user, []).append(stage.index)
    needed: set[int] = set()
    pending = [target.index]
    while pending:
        index = pending.pop()
        if index in needed:
            continue
        needed.add(index)
        parent = model.stages[index].parent
        if parent is not None:
            pending.append(parent.index)
        pending += copied_from.get(index, [])
    return [model.stages[i] for i in sorted(needed)]


@dataclass(frozen=True, slots=True)
class _Reference:
    line: int
    kind: str
    written: str
    resolved: str
    primary: bool


def _references(model: ImageModel, stages: Sequence[StageModel], target: StageModel) -> Iterator[_Reference]:
    """The images the needed stages build on or copy from (stage names excluded); the target's is primary."""
    names = {s.name for s in model.stages if s.name}
    root = target
    while root.parent is not None:
        root = root.parent
    for stage in stages:
        ins = stage.stage.from_instruction
        if stage.parent is None and stage.base_image.lower() != "scratch" and stage.base_image:
            resolved = _resolved_from(model, stage)
            yield _Reference(ins.start_line, "from", stage.stage.base, resolved, stage is root)
        for ins in stage.stage.instructions:
            yield from _copy_references(model, ins, names)


def _copy_references(model: ImageModel, ins: Instruction, names: set[str]) -> Iterator[_Reference]:
    references: list[tuple[str, str]] = []
    if ins.keyword in ("COPY", "ADD"):
        references += [("copy", f.value) for f in ins.flags_named("from") if f.value]
    elif ins.keyword == "RUN":
        references += [("mount", m.from_stage) for m in model.state(ins).mounts if m.from_stage]
    for kind, value in references:
        if value.lower() in names or value.isdigit() or value.lower() == "scratch":
            continue
        yield _Reference(ins.start_line, kind, value, value, False)


def _resolved_from(model: ImageModel, stage: StageModel) -> str:
    """The FROM image expanded; a variable used without a value stays ``${NAME}`` (not an empty string)."""
    ins = stage.stage.from_instruction
    expanded = model.expansion.at(ins)
    written = stage.stage.base
    plain = {a or b for a, b in _PLAIN_VARIABLE.findall(written)} & expanded.unset
    if not plain:
        return stage.base_image
    env = expanded.environment()
    env.update({name: "${" + name + "}" for name in plain})
    return expand_word(written, env, model.df.escape).value


# -- matching references to images --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ImageName:
    registry: str | None  # None when unknown (a variable)
    path: str  # lower case; "library/x" on Docker Hub
    tag: str | None  # None when unknown (a variable); "latest" when not written
    digest: str


def _parse_reference(reference: str) -> _ImageName:
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag: str | None = "latest"
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, sep, rest = name.partition("/")
    registry: str | None = "docker.io"
    path = name
    if sep and ("." in first or ":" in first or first == "localhost" or "$" in first):
        registry, path = first, rest
    if registry is not None and not is_resolved(registry):
        registry = None
    if registry in _DOCKER_HUB:
        registry = "docker.io"
        if "/" not in path:
            path = "library/" + path
    if tag is not None and not is_resolved(tag):
        tag = None
    return _ImageName(registry, path.lower(), tag, digest)


def familiar_name(reference: str) -> str:
    """A reference as BuildKit names a build context: ``docker.io/``, ``library/`` and ``:latest`` dropped."""
    name = reference
    for registry in _DOCKER_HUB:
        if name.startswith(registry + "/"):
            name = name[len(registry) + 1 :]
            break
    return name.removeprefix("library/").removesuffix(":latest")


class _TagIndex:
    """The tags of the images built here, for matching FROM references."""

    def __init__(self, images: Mapping[str, Image]) -> None:
        self.entries = [(image.name, _parse_reference(tag)) for image in images.values() for tag in image.tags]

    def find(self, reference: str, written: str, exclude: str) -> tuple[list[str], str]:
        """The best-matching images and how they match (``exact`` or ``name``)."""
        wanted = _parse_reference(reference)
        loose = "$" in written or wanted.registry is None or wanted.tag is None
        best: dict[str, int] = {}
        for name, tag in self.entries:
            if name == exclude or tag.path != wanted.path:
                continue
            exact = tag == wanted and wanted.registry is not None and wanted.tag is not None
            score = 3 if exact else 0
            if not exact and (loose or tag.registry is None or tag.tag is None):
                same_registry = tag.registry == wanted.registry or tag.registry is None or wanted.registry is None
                if same_registry or _registry_is_variable(written):
                    score = 2 if tag.tag is None or wanted.tag is None or tag.tag == wanted.tag else 1
            if score:
                best[name] = max(best.get(name, 0), score)
        if not best:
            return [], ""
        top = max(best.values())
        return [name for name, score in best.items() if score == top], "exact" if top == 3 else "name"


def _registry_is_variable(written: str) -> bool:
    first, sep, _ = written.partition("/")
    return bool(sep) and "$" in first


class _BaseResolver:
    def __init__(
        self,
        index: _TagIndex,
        by_build: Mapping[tuple[str, str | None], str],
        contexts: Mapping[str, str],
        name: str,
        warnings: list[Problem],
        image: Image,
    ) -> None:
        self.index = index
        self.by_build = by_build
        self.contexts = contexts
        self.name = name
        self.warnings = warnings
        self.image = image

    def resolve(self, ref: _Reference) -> BaseReference:
        context = self.contexts.get(ref.resolved, self.contexts.get(familiar_name(ref.resolved)))
        if context is not None:
            linked = self.named_context(context)
            if linked is not None:
                return BaseReference(ref.line, ref.kind, ref.written, ref.resolved, linked, "context", ref.primary)
            if context.startswith("docker-image://"):
                ref = _Reference(ref.line, ref.kind, ref.written, context.removeprefix("docker-image://"), ref.primary)
        found, how = self.index.find(ref.resolved, ref.written, self.name)
        if len(found) > 1:
            message = f"{ref.resolved} could be any of {', '.join(found)}; taking {found[0]}"
            self.warnings.append(Problem(self.image.dockerfile, ref.line, message))
        image = found[0] if found else None
        return BaseReference(ref.line, ref.kind, ref.written, ref.resolved, image, how, ref.primary)

    def named_context(self, value: str) -> str | None:
        """The image a ``target:NAME`` (bake) or ``service:NAME`` (compose) context names."""
        for prefix, kind in (("target:", "bake"), ("service:", "compose")):
            if value.startswith(prefix):
                return self.by_build.get((kind, value.removeprefix(prefix)))
        return None


# -- build order -------------------------------------------------------------------------------


def _build_order(images: Mapping[str, Image]) -> tuple[tuple[str, ...], tuple[Cycle, ...]]:
    """Topological order (bases first; among ready images, those others build on, then by Dockerfile)."""
    parents = {name: set(image.parents) - {name} for name, image in images.items()}
    children: dict[str, set[str]] = {name: set() for name in images}
    for name, bases in parents.items():
        for base in bases:
            children[base].add(name)

    def key(name: str) -> tuple[int, str, str]:
        return (0 if children[name] else 1, images[name].dockerfile, name)

    waiting = {name: len(bases) for name, bases in parents.items()}
    ready = [key(name) for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)[2]
        order.append(name)
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, key(child))
    left = [name for name in images if name not in set(order)]
    cycles = tuple(
        Cycle(tuple(sorted(component)), tuple(sorted({images[n].dockerfile for n in component})))
        for component in _strongly_connected(left, parents)
        if len(component) > 1
    )
    order += sorted(left, key=lambda n: (images[n].dockerfile, n))
    return tuple(order), cycles


def _strongly_connected(names: Sequence[str], edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's components of the subgraph on ``names``, iteratively."""
    members = set(names)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in names:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in members:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


# -- heavy packages ----------------------------------------------------------------------------


def _heavy_packages(model: ImageModel, stages: Sequence[StageModel], image: Image, root: Path) -> list[HeavyPackage]:
    found: list[HeavyPackage] = []
    context = root / image.context
    for stage in stages:
        for state in stage.states:
            ins = state.instruction
            if ins.keyword != "RUN":
                continue
            script = model.script(ins)
            if script is None:
                continue
            for command in script.commands:
                operation = classify(command, script, env=state.env)
                if not isinstance(operation, PackageOperation) or not operation.installs:
                    continue
                if operation.manager not in _PYTHON_MANAGERS:
                    continue
                line = model.df.position(command.start).line
                for spec in operation.packages:
                    if is_heavy(spec.name):
                        position = model.df.position(spec.word.start).line
                        name = canonical_name(spec.name)
                        found.append(HeavyPackage(name, spec.specifier, operation.manager, image.dockerfile, position))
                copies = _CopyMap(model, stage, ins, context)
                for path, requirement_line, name, specifier in _file_requirements(operation, state.workdir, copies):
                    found.append(HeavyPackage(name, specifier, operation.manager, image.dockerfile, line,
                                              f"{relative_path(root, path)}:{requirement_line}"))  # fmt: skip
    return found


class _CopyMap:
    """Where a path inside the image came from in the build context: COPY/ADD, and the RUN's bind mounts."""

    def __init__(self, model: ImageModel, stage: StageModel, run: Instruction, context: Path) -> None:
        self.context = context
        self.copies: list[tuple[str, list[str], bool]] = []  # (destination, sources, destination is a directory)
        chain: list[StageModel] = []
        current: StageModel | None = stage
        while current is not None:
            chain.append(current)
            current = current.parent
        for member in reversed(chain):
            for state in member.states:
                ins = state.instruction
                if ins is run:
                    break
                if ins.keyword in ("COPY", "ADD") and not ins.flags_named("from") and not ins.heredocs:
                    values = model.expansion.at(ins).values or ins.values
                    if len(values) >= 2:
                        destination = values[-1]
                        directory = destination.endswith("/") or destination in (".", "..") or len(values) > 2
                        self.copies.append((_join(state.workdir, destination), list(values[:-1]), directory))
        for mount in model.state(run).mounts:
            if mount.type == "bind" and mount.from_stage is None:
                self.copies.append((_join(model.state(run).workdir, mount.target), [mount.source or "."], False))

    def source(self, path: str) -> Path | None:
        """The context file that ``path`` (absolute, in the image) was copied from, when known."""
        for destination, sources, directory in reversed(self.copies):
            for source in sources:
                for match in self.matches(source):
                    found = self.file_for(path, destination, match, directory or len(sources) > 1)
                    if found is not None:
                        return found
        return None

    def matches(self, source: str) -> list[Path]:
        relative = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
        if any(ch in relative for ch in "*?["):
            directory, pattern = posixpath.split(relative)
            base = self.context / directory
            try:
                return sorted(p for p in base.iterdir() if fnmatchcase(p.name, pattern))
            except OSError:
                return []
        return [self.context / relative]

    @staticmethod
    def file_for(path: str, destination: str, source: Path, directory: bool) -> Path | None:
        if source.is_dir():
            prefix = destination.rstrip("/") + "/"
            if path.startswith(prefix):
                candidate = source / path[len(prefix) :]
                return candidate if candidate.is_file() else None
            return None
        target = destination.rstrip("/") + "/" + source.name if directory else destination
        return source if posixpath.normpath(target) == path and source.is_file() else None


def _join(workdir: str, path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(workdir or "/", path))


def _file_requirements(
    operation: PackageOperation, workdir: str, copies: _CopyMap
) -> Iterator[tuple[Path, int, str, str]]:
    """(file, line, name, specifier) of the heavy packages in the requirement and project files installed."""
    for written in operation.requirement_files:
        source = copies.source(_join(workdir, written))
        if source is not None:
            yield from _requirements_file(source, set())
    projects = [p for p in (*operation.local_paths, *operation.editable) if not p.endswith(_ARCHIVES)]
    manifests = [posixpath.join(p, "pyproject.toml") for p in projects]
    manifests += [m for m in operation.manifests if m.endswith("pyproject.toml")]
    for manifest in dict.fromkeys(manifests):
        source = copies.source(_join(workdir, manifest))
        if source is not None:
            yield from _pyproject(source)


def _requirements_file(path: Path, seen: set[Path]) -> Iterator[tuple[Path, int, str, str]]:
    if path in seen:
        return
    seen.add(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for start, _, _, line in logical_lines(text):
        option = re.match(r"(-r|--requirement)(?:\s+|=)?(\S+)", line)
        if option is not None:
            yield from _requirements_file(path.parent / option.group(2), seen)
            continue
        if line.startswith("-"):
            continue
        requirement = parse_requirement(line)
        if requirement is not None and is_heavy(requirement.name):
            yield path, start, requirement.name, requirement.specifier


def _pyproject(path: Path) -> Iterator[tuple[Path, int, str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    lines = text.splitlines()
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    entries = [e for e in project.get("dependencies", []) if isinstance(e, str)] if isinstance(project, dict) else []
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict) and isinstance(poetry.get("dependencies"), dict):
        entries += [name for name in poetry["dependencies"] if name != "python"]
    for entry in entries:
        requirement = parse_requirement(entry)
        if requirement is None or not is_heavy(requirement.name):
            continue
        number = next((i for i, line in enumerate(lines, 1) if entry in line), 1)
        yield path, number, requirement.name, requirement.specifier
