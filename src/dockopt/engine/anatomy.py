"""What an image is made of, from its saved layers: true wasted bytes, the final filesystem's largest
files and directories, and the Python distributions each layer installed.

True wasted bytes are the bytes of files stored in a layer that the final filesystem does not show:
overwritten by a later layer (any entry at the same path), deleted by a later whiteout of the path or
of a directory above it, hidden by a later opaque directory above it, or under a path a later layer
made a non-directory. A path stored twice in one layer wastes its first copy. Hard-linked names share
one content: it is wasted only when every name is hidden, and counted once, at its first visible name.
Efficiency is 1 - wasted / (bytes of all files of all layers).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from dockopt.engine.dive import DiveFigures, dive_figures
from dockopt.engine.layers import DIRECTORY, FILE, HARDLINK, LayerSummary, SavedImage
from dockopt.engine.pydists import InstalledDistribution, distributions_in_layer
from dockopt.heavy import is_heavy
from dockopt.shell.requirements import canonical_name

HEAVY_BYTES = 25 * 1000 * 1000  # a distribution this large counts as heavy whatever its name

INSTALLED = "installed"
REPLACED = "replaced"
REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class VisibleFile:
    """A file of the final filesystem that carries bytes (a hard-linked content appears once)."""

    path: str
    size: int
    sha256: bytes | None
    layer: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """One installation of a Python distribution, in the layer that wrote it."""

    name: str
    version: str
    layer: int
    path: str
    size: int
    status: str  # INSTALLED (visible in the final filesystem), REPLACED or REMOVED by a later layer
    changed_in: int | None = None  # the layer that replaced or removed it
    replaced_by: str | None = None  # "name==version" of the installation that replaced it

    @property
    def heavy(self) -> bool:
        return is_heavy(self.name) or self.size >= HEAVY_BYTES

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True, slots=True)
class LayerAnatomy:
    digest: str
    created_by: str
    size: int  # bytes of the files it stores
    wasted_bytes: int  # of those, the bytes the final filesystem does not show
    distributions: tuple[Distribution, ...]


@dataclass(frozen=True)
class ImageAnatomy:
    id: str
    layers: tuple[LayerAnatomy, ...]
    visible: dict[str, VisibleFile]
    dive: DiveFigures

    @property
    def content_bytes(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def wasted_bytes(self) -> int:
        return sum(layer.wasted_bytes for layer in self.layers)

    @property
    def efficiency(self) -> float:
        total = self.content_bytes
        return 1.0 - self.wasted_bytes / total if total else 1.0

    @property
    def distributions(self) -> tuple[Distribution, ...]:
        return tuple(d for layer in self.layers for d in layer.distributions)

    @property
    def heavy_copies(self) -> int:
        """Installations of heavy distributions in all layers, replaced and removed ones included."""
        return sum(1 for d in self.distributions if d.heavy)

    def largest_files(self, count: int) -> list[VisibleFile]:
        return heapq.nsmallest(count, self.visible.values(), key=lambda f: (-f.size, f.path))  # ties by path

    def largest_directories(self, count: int) -> list[tuple[str, int]]:
        """Directories of the final filesystem by the bytes of the files under them (the root left out)."""
        by_parent: dict[str, int] = defaultdict(int)
        for path, file in self.visible.items():
            by_parent[path.rsplit("/", 1)[0]] += file.size
        totals: dict[str, int] = defaultdict(int)
        for directory, size in by_parent.items():
            while directory:
                totals[directory] += size
                directory = directory.rsplit("/", 1)[0]
        return heapq.nsmallest(count, totals.items(), key=lambda item: (-item[1], item[0]))


def analyze_image(image: SavedImage) -> ImageAnatomy:
    summaries = [layer.summary for layer in image.layers]
    visible, visible_bytes = _visible_files(summaries)
    installed = [distributions_in_layer(s.entries, s.metadata) for s in summaries]
    statuses = _distribution_statuses(summaries, installed)
    layers = tuple(
        LayerAnatomy(
            saved.digest,
            saved.created_by,
            saved.summary.content_bytes,
            saved.summary.content_bytes - visible_bytes[index],
            tuple(statuses[index]),
        )
        for index, saved in enumerate(image.layers)
    )
    return ImageAnatomy(image.id, layers, visible, dive_figures(summaries))


# -- visibility ------------------------------------------------------------------------------


def _visible_files(layers: Sequence[LayerSummary]) -> tuple[dict[str, VisibleFile], list[int]]:
    """The files of the final filesystem, and per layer the bytes of its files that stay visible."""
    cover = _Cover()
    visible: dict[str, VisibleFile] = {}
    visible_bytes = [0] * len(layers)
    for index in range(len(layers) - 1, -1, -1):  # from the top: what a layer shows, the ones below cannot
        layer = layers[index]
        links: dict[str, list[str]] = defaultdict(list)
        for path, entry in layer.entries.items():
            if entry.kind == HARDLINK and entry.target is not None:
                links[entry.target].append(path)
        for path, entry in layer.entries.items():
            if entry.kind != FILE or not entry.size:
                continue
            names = [path, *sorted(links.get(path, ()))]
            bearer = next((name for name in names if not cover.hides(name)), None)
            if bearer is not None:
                visible[bearer] = VisibleFile(bearer, entry.size, entry.sha256, index)
                visible_bytes[index] += entry.size
        cover.add(layer)
    return visible, visible_bytes


class _Cover:
    """What the layers above hide: paths they have an entry or a whiteout for, and paths whose
    descendants they hide (whiteouts, opaque directories, non-directories)."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.descendants_of: set[str] = set()
        self._directories: dict[str, bool] = {}  # directory -> whether everything under it is hidden

    def add(self, layer: LayerSummary) -> None:
        for path, entry in layer.entries.items():
            self.paths.add(path)
            if entry.kind != DIRECTORY:
                self.descendants_of.add(path)
        self.paths |= layer.whiteouts
        self.descendants_of |= layer.whiteouts
        self.descendants_of |= layer.opaque
        self._directories.clear()

    def hides(self, path: str) -> bool:
        return path in self.paths or self._hides_under(path.rsplit("/", 1)[0] or "/")

    def _hides_under(self, directory: str) -> bool:
        chain = []
        result = False
        while True:
            known = self._directories.get(directory)
            if known is not None:
                result = known
                break
            if directory in self.descendants_of:
                result = True
                break
            chain.append(directory)
            if directory == "/":
                break
            directory = directory.rsplit("/", 1)[0] or "/"
        for visited in chain:
            self._directories[visited] = result
        return result


def _hiding_layer(layers: Sequence[LayerSummary], index: int, path: str) -> int | None:
    """The first layer above ``index`` that hides ``path``, if any."""
    ancestors = []
    parent = path.rsplit("/", 1)[0]
    while parent:
        ancestors.append(parent)
        parent = parent.rsplit("/", 1)[0]
    ancestors.append("/")
    for upper in range(index + 1, len(layers)):
        layer = layers[upper]
        if path in layer.entries or path in layer.whiteouts:
            return upper
        for ancestor in ancestors:
            entry = layer.entries.get(ancestor)
            if ancestor in layer.whiteouts or ancestor in layer.opaque or (entry and entry.kind != DIRECTORY):
                return upper
    return None


# -- distributions ---------------------------------------------------------------------------


def _distribution_statuses(
    layers: Sequence[LayerSummary], installed: Sequence[Sequence[InstalledDistribution]]
) -> list[list[Distribution]]:
    statuses: list[list[Distribution]] = []
    for index, found in enumerate(installed):
        here = []
        for dist in found:
            marker = _metadata_file(dist, layers[index])
            hidden_in = _hiding_layer(layers, index, marker)
            if hidden_in is None:
                here.append(Distribution(dist.name, dist.version, index, dist.path, dist.size, INSTALLED))
                continue
            later = _later_installation(installed, index, dist)
            if later is not None:
                layer, successor = later
                here.append(
                    Distribution(
                        dist.name,
                        dist.version,
                        index,
                        dist.path,
                        dist.size,
                        REPLACED,
                        layer,
                        f"{successor.name}=={successor.version}",
                    )
                )
            else:
                here.append(Distribution(dist.name, dist.version, index, dist.path, dist.size, REMOVED, hidden_in))
        statuses.append(here)
    return statuses


def _metadata_file(dist: InstalledDistribution, layer: LayerSummary) -> str:
    """The file that says the distribution is installed: METADATA, PKG-INFO, or the egg-info file itself."""
    for name in ("METADATA", "PKG-INFO"):
        if f"{dist.path}/{name}" in layer.metadata:
            return f"{dist.path}/{name}"
    return dist.path


def _later_installation(
    installed: Sequence[Sequence[InstalledDistribution]], index: int, dist: InstalledDistribution
) -> tuple[int, InstalledDistribution] | None:
    name = canonical_name(dist.name)
    for upper in range(index + 1, len(installed)):
        for other in installed[upper]:
            if other.site == dist.site and canonical_name(other.name) == name:
                return upper, other
    return None
