"""What several images store more than once: files and Python distributions held by different layers.

Images that share a layer (the same diff id) store its files once, so only copies in layers with
different digests count. A file is identified by its path, size and SHA-256; a distribution by its
name and version, an installation of it by its layer's digest and path. Only what the final
filesystems show counts (a hidden copy is already wasted bytes of its own image).

A file shows once per image, so every copy beyond the first is stored twice because images do not
share a layer. A distribution can be installed twice in one image (Debian's pip in dist-packages and a
virtualenv's pip): that is the image's own business, so only the installations beyond what the image
holding the most of them has are counted, with their bytes. The bytes of a duplicate are what shared
layers would save: all copies but one for a file; all installations but those of that image for a
distribution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockopt.engine.anatomy import INSTALLED, ImageAnatomy
from dockopt.shell.requirements import canonical_name


@dataclass(frozen=True, slots=True)
class DuplicatedFile:
    path: str
    size: int
    copies: int  # layers with different digests that hold it
    images: tuple[str, ...]

    @property
    def extra_bytes(self) -> int:
        return self.size * (self.copies - 1)


@dataclass(frozen=True, slots=True)
class DuplicatedDistribution:
    name: str
    version: str
    copies: int  # installations (layer digest and path) in all the images
    images: tuple[str, ...]
    extra_bytes: int  # of those that the image with the most does not have


@dataclass(frozen=True)
class Duplicates:
    images: tuple[str, ...]
    files: tuple[DuplicatedFile, ...]  # the most bytes first
    distributions: tuple[DuplicatedDistribution, ...]  # the most bytes first
    heavy_packages: dict[str, int]  # canonical name -> installations stored (a shared layer's counted once)

    @property
    def file_bytes(self) -> int:
        return sum(f.extra_bytes for f in self.files)


def find_duplicates(anatomies: Mapping[str, ImageAnatomy]) -> Duplicates:
    """Duplicates among the images, keyed by the names given (files need the content hashes)."""
    file_holders: dict[tuple[str, int, bytes], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    dist_holders: dict[tuple[str, str], dict[tuple[str, str], tuple[int, list[str]]]] = defaultdict(dict)
    heavy: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for image, anatomy in anatomies.items():
        digests = [layer.digest for layer in anatomy.layers]
        for file in anatomy.visible.values():
            if file.sha256 is not None:
                file_holders[(file.path, file.size, file.sha256)][digests[file.layer]].append(image)
        for dist in anatomy.distributions:
            where = (digests[dist.layer], dist.path)
            if dist.heavy:
                heavy[canonical_name(dist.name)].add(where)
            if dist.status == INSTALLED:
                key = (canonical_name(dist.name), dist.version)
                dist_holders[key].setdefault(where, (dist.size, []))[1].append(image)
    files = [
        DuplicatedFile(path, size, len(layers), _images(layers.values()))
        for (path, size, _), layers in file_holders.items()
        if len(layers) > 1
    ]
    distributions = []
    for (name, version), installs in dist_holders.items():
        images = _images(holders for _, holders in installs.values())
        per_image = [[size for size, holders in installs.values() if image in holders] for image in images]
        most = max(per_image, key=lambda sizes: (len(sizes), sum(sizes)))
        if len(installs) > len(most):
            total = sum(size for size, _ in installs.values())
            distributions.append(DuplicatedDistribution(name, version, len(installs), images, total - sum(most)))
    return Duplicates(
        tuple(anatomies),
        tuple(sorted(files, key=lambda f: (-f.extra_bytes, f.path))),
        tuple(sorted(distributions, key=lambda d: (-d.extra_bytes, d.name, d.version))),
        {name: len(places) for name, places in sorted(heavy.items())},
    )


def _images(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """The images of all groups, each once, in the order met."""
    seen: dict[str, None] = {}
    for group in groups:
        for image in group:
            seen.setdefault(image, None)
    return tuple(seen)
