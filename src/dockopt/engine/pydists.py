"""Python distributions installed by a layer, from the packaging metadata the layer holds.

A distribution is found by its metadata in a ``site-packages`` or ``dist-packages`` directory:
``NAME-VERSION.dist-info/METADATA`` (wheels: pip, uv, poetry), ``NAME-VERSION.egg-info/PKG-INFO``
(setuptools, Debian's python3-* packages) or a single-file ``NAME-VERSION.egg-info`` (distutils).

Its installed size is what that installation wrote into the layer: the bytes of the files its
``RECORD`` lists (dist-info; pip lists the bytecode it compiles there too) or its
``installed-files.txt`` lists (egg-info written by pip), found in the same layer. An egg-info without
a file list is measured by its top-level names (``top_level.txt``): the files under
``site-packages/<name>/``, the modules ``<name>.*`` and their ``__pycache__`` bytecode, plus the
metadata itself. A file of the list that the layer does not hold counts nothing: it came from
another layer (or never existed).
"""

from __future__ import annotations

import csv
import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

_SITE_DIRS = ("site-packages", "dist-packages")
_METADATA_FILES = frozenset({"METADATA", "RECORD", "PKG-INFO", "installed-files.txt", "top_level.txt"})


class SizedEntry(Protocol):
    """What sizing needs of a layer's entry (engine.layers.LayerEntry is one)."""

    @property
    def size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class InstalledDistribution:
    name: str  # as its metadata spells it
    version: str
    path: str  # the .dist-info / .egg-info directory (or file)
    site: str  # the site-packages directory it is installed in
    size: int  # bytes it wrote into the layer


def is_metadata_path(path: str) -> bool:
    """Whether the scanner must keep this file's content: metadata of an installed distribution."""
    parent, base = path.rsplit("/", 1)
    if base.endswith(".egg-info"):
        return _is_site(parent)
    if base not in _METADATA_FILES:
        return False
    site, directory = parent.rsplit("/", 1) if "/" in parent else ("", parent)
    return directory.endswith((".dist-info", ".egg-info")) and _is_site(site)


def _is_site(directory: str) -> bool:
    return directory.rsplit("/", 1)[-1] in _SITE_DIRS


def distributions_in_layer(
    entries: Mapping[str, SizedEntry], metadata: Mapping[str, bytes]
) -> list[InstalledDistribution]:
    """The distributions whose metadata the layer holds, sized from the layer's ``entries``."""
    found: list[tuple[str, str, str, str]] = []  # name, version, metadata path, site
    for path, data in metadata.items():
        parent, base = path.rsplit("/", 1)
        if base in {"METADATA", "PKG-INFO"} or (base.endswith(".egg-info") and _is_site(parent)):
            location = path if base.endswith(".egg-info") else parent
            name, version = _name_and_version(data)
            if name:
                found.append((name, version, location, posixpath.dirname(location)))
    lists = {location: _file_list(location, metadata) for _, _, location, _ in found}
    undeclared = {location: site for _, _, location, site in found if lists[location] is None}
    under_site = _sizes_under(entries, set(undeclared.values()), set(undeclared))
    distributions = []
    for name, version, location, site in sorted(found, key=lambda item: item[2]):
        listed = lists[location]
        if listed is None:
            size = _size_by_top_level(location, site, metadata, under_site)
        else:
            size = sum(entries[p].size for p in listed if p in entries)
        distributions.append(InstalledDistribution(name, version, location, site, size))
    return distributions


def _name_and_version(data: bytes) -> tuple[str, str]:
    """``Name`` and ``Version`` from the header part of a METADATA / PKG-INFO file."""
    name = version = ""
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            break  # the body (long description) starts
        key, _, value = line.partition(":")
        if key.lower() == "name" and not name:
            name = value.strip()
        elif key.lower() == "version" and not version:
            version = value.strip()
    return name, version


def _file_list(location: str, metadata: Mapping[str, bytes]) -> set[str] | None:
    """Absolute paths from RECORD (relative to the site directory) or installed-files.txt (to the egg-info)."""
    record = metadata.get(f"{location}/RECORD")
    if record is not None:
        base = posixpath.dirname(location)
        rows = csv.reader(record.decode("utf-8", errors="replace").splitlines())
        return {posixpath.normpath(posixpath.join(base, row[0])) for row in rows if row and row[0]}
    installed = metadata.get(f"{location}/installed-files.txt")
    if installed is not None:
        lines = installed.decode("utf-8", errors="replace").splitlines()
        return {posixpath.normpath(posixpath.join(location, line.strip())) for line in lines if line.strip()}
    return None


def _sizes_under(entries: Mapping[str, SizedEntry], sites: set[str], locations: set[str]) -> dict[str, dict[str, int]]:
    """Bytes per site directory and top-level name (``__pycache__`` per file), and per metadata location.

    One pass over the layer, done only for distributions without a file list. A metadata location
    (an egg-info directory or file) gets its bytes under its own path.
    """
    sizes: dict[str, dict[str, int]] = {site: defaultdict(int) for site in sites}
    prefixes = tuple(site + "/" for site in sites)
    for path, entry in entries.items():
        if not entry.size or not path.startswith(prefixes):
            continue
        parent = path.rsplit("/", 1)[0]
        location = path if path in locations else parent if parent in locations else None
        if location is not None:
            sizes[location.rsplit("/", 1)[0]]["\0" + location] += entry.size
        site = max((site for site in sites if path.startswith(site + "/")), key=len)  # the deepest one
        name, _, rest = path[len(site) + 1 :].partition("/")
        if name == "__pycache__" and rest:
            name = "__pycache__/" + rest.rsplit("/", 1)[-1]
        sizes[site][name] += entry.size
    return sizes


def _size_by_top_level(
    location: str, site: str, metadata: Mapping[str, bytes], under_site: dict[str, dict[str, int]]
) -> int:
    top_level = metadata.get(f"{location}/top_level.txt", b"").decode("utf-8", errors="replace").split()
    sizes = under_site.get(site, {})
    size = sizes.get("\0" + location, 0)
    for name, size_under in sizes.items():
        module = name.removeprefix("__pycache__/")
        if module.endswith((".egg-info", ".dist-info")):
            continue  # metadata: its own, counted above, or another distribution's
        if any(module == top or module.startswith(top + ".") for top in top_level):
            size += size_under
    return size
