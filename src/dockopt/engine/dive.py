"""dive's image efficiency figures, computed the way dive 0.13 computes them, from layer summaries.

dive (github.com/wagoodman/dive, ``filetree/efficiency.go`` and ``image/image.go``) builds a tree per
layer and visits its *leaves* (nodes without children in that layer: files, symlinks, empty
directories, whiteouts). For every path it adds up a size per occurrence: the tar header's size for an
entry (0 for directories, symlinks and hard links); for a whiteout, 0 when the deleted path was a file,
and when it was a directory, the sizes of everything under it in the layers below stacked together.
Then:

- ``efficiency`` = sum over paths of the smallest occurrence / sum over paths of all occurrences
  (1.0 when nothing has a size);
- ``wasted_bytes`` = sum of all occurrences of the paths that occur in two layers or more, the copy
  that stays visible included.

Consequences that differ from dockopt's true waste (engine/anatomy.py): an overwritten file counts both
copies; a deleted directory whose path was not itself a leaf below counts once, so it is not waste to
dive; opaque directories are ignored (the stacked tree keeps what they hide); a directory only implied
by deeper entries of a layer is not a directory to dive when a whiteout deletes it. dive also stops
reading a layer's leaves, in name order, at a whiteout of a path the layers below do not have; that
is reproduced too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockopt.engine.layers import DIRECTORY, WHITEOUT_PREFIX, LayerSummary


@dataclass(frozen=True, slots=True)
class DiveFigures:
    wasted_bytes: int
    efficiency: float
    size_bytes: int  # the sum of dive's layer sizes: every file member's header size


@dataclass(slots=True)
class _Node:
    size: int = 0
    is_dir: bool = False
    children: dict[str, _Node] | None = None


class _StackedTree:
    """dive's tree of the layers below, stacked: whiteouts remove paths, every node of a layer sets its info."""

    def __init__(self) -> None:
        self.root = _Node(children={})

    def get(self, path: str) -> _Node | None:
        node = self.root
        for name in path.strip("/").split("/"):
            if node.children is None or name not in node.children:
                return None
            node = node.children[name]
        return node

    def set(self, path: str, size: int, is_dir: bool) -> None:
        node = self.root
        for name in path.strip("/").split("/"):
            if node.children is None:
                node.children = {}
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = _Node()  # dive's empty info until an entry describes it
            node = child
        node.size, node.is_dir = size, is_dir

    def remove(self, path: str) -> None:
        parent_path, name = path.rsplit("/", 1)
        parent = self.get(parent_path) if parent_path else self.root
        if parent is not None and parent.children:
            parent.children.pop(name, None)


def _subtree_size(node: _Node) -> int:
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += current.size
        if current.children:
            stack.extend(current.children.values())
    return total


@dataclass(frozen=True, slots=True)
class _DiveLayer:
    nodes: dict[str, tuple[int, bool]]  # every node of the layer's tree (whiteouts by their literal name)
    whiteouts: dict[str, str]  # literal whiteout node path -> the path it deletes
    leaves: list[str]


def _dive_layer(summary: LayerSummary) -> _DiveLayer:
    nodes: dict[str, tuple[int, bool]] = {
        path: (entry.size, entry.kind == DIRECTORY) for path, entry in summary.entries.items()
    }
    whiteouts: dict[str, str] = {}
    for deleted in summary.whiteouts:
        parent, name = deleted.rsplit("/", 1)
        literal = f"{parent}/{WHITEOUT_PREFIX}{name}"
        whiteouts[literal] = deleted
        nodes[literal] = (0, False)
    for directory in summary.opaque:
        if directory != "/":  # dive never adds the marker, but does add the directories on its way
            nodes.setdefault(directory, (0, False))
    parents: set[str] = set()
    for path in list(nodes):
        parent = path.rsplit("/", 1)[0]
        while parent and parent not in parents:
            parents.add(parent)
            nodes.setdefault(parent, (0, False))  # a directory no entry describes has dive's empty info
            parent = parent.rsplit("/", 1)[0]
    leaves = [path for path in nodes if path not in parents]
    return _DiveLayer(nodes, whiteouts, leaves)


def _stack(tree: _StackedTree, layer: _DiveLayer) -> None:
    for deleted in layer.whiteouts.values():
        tree.remove(deleted)
    for path, (size, is_dir) in layer.nodes.items():
        if path not in layer.whiteouts:
            tree.set(path, size, is_dir)


def _order_key(path: str) -> list[str]:
    """dive visits a layer's tree depth first, children in name order."""
    return path.split("/")


def dive_figures(layers: Sequence[LayerSummary]) -> DiveFigures:
    """dive's ``efficiencyScore``, ``inefficientBytes`` and ``sizeBytes`` for these layers, bottom first."""
    occurrences: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size, count]
    below = _StackedTree()
    for index, summary in enumerate(layers):
        layer = _dive_layer(summary)
        if index == 0:
            # dive looks the first layer's whiteouts up in that layer itself (its own tree, not stacked)
            for path, (size, is_dir) in layer.nodes.items():
                below.set(path, size, is_dir)
        sizes: dict[str, int] = {}
        missing: list[str] = []
        for literal, deleted in layer.whiteouts.items():
            node = below.get(deleted)
            if node is None:
                missing.append(literal)
            else:
                sizes[literal] = _subtree_size(node) if node.is_dir else 0
        leaves = layer.leaves
        if missing:
            # dive's visit fails at the first such whiteout, after it has made an entry for the path with
            # no occurrence and a smallest size of -1 (which the score then adds)
            first = min(missing, key=_order_key)
            leaves = [path for path in leaves if _order_key(path) < _order_key(first)]
            occurrences.setdefault(layer.whiteouts[first], [0, -1, 0])
        for leaf in leaves:
            size = sizes[leaf] if leaf in layer.whiteouts else layer.nodes[leaf][0]
            key = layer.whiteouts.get(leaf, leaf)
            seen = occurrences.get(key)
            if seen is None:
                occurrences[key] = [size, size, 1]
            else:
                seen[0] += size
                seen[1] = size if seen[1] < 0 else min(seen[1], size)
                seen[2] += 1
        _stack(below, layer)
    cumulative = sum(seen[0] for seen in occurrences.values())
    smallest = sum(seen[1] for seen in occurrences.values())
    wasted = sum(seen[0] for seen in occurrences.values() if seen[2] >= 2)
    size_bytes = sum(summary.content_bytes for summary in layers)
    return DiveFigures(wasted, smallest / cumulative if cumulative else 1.0, size_bytes)
