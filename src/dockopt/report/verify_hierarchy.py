"""The image hierarchy of ``verify --format html`` as an SVG diagram.

A box per image, in rows by depth (an image sits one row below the deepest image it is built from),
an arrow from each base to each image built on it. External bases (pulled, not built here) are dashed
boxes one row above their first child. Heavy packages are listed in the box; one that a base of the
image already has (installed again, a second copy) is marked. Within a row, boxes are ordered to
keep arrows short: a few sweeps that sort each row by the mean position of its neighbours in the
row above, then below (the usual layered-drawing heuristic), ties kept in build order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from dockopt.report.svg import MONO_CHAR_WIDTH, element, fits, fitted_text, rect, svg, text
from dockopt.verify.report import ImageFacts

BOX_WIDTH, BOX_HEIGHT = 214.0, 78.0
HEAVY_LINES = 2
COLUMN_GAP, ROW_GAP, MARGIN = 26.0, 46.0, 16.0
MAX_PER_LINE = 6  # a wider row wraps onto a second line, so the diagram stays readable on a laptop
SWEEPS = 3


@dataclass
class _Node:
    key: str
    label: str
    external: bool
    image: ImageFacts | None = None
    row: int = 0
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    row_top: float = 0.0  # y of the first line of its row (a wide row wraps onto more lines)
    row_bottom: float = 0.0  # y of the bottom of its row's last line


def package_name(spec: str) -> str:
    """``torch==2.2.2`` -> ``torch``."""
    for separator in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", "@", " "):
        spec = spec.split(separator, 1)[0]
    return spec.strip().lower()


def reinstalled_packages(images: Sequence[ImageFacts]) -> dict[str, set[str]]:
    """Image name -> the heavy packages it installs although an image it is built from (at any depth) has them."""
    by_name = {image.name: image for image in images}

    def ancestors(name: str) -> set[str]:
        found: set[str] = set()
        pending = list(by_name[name].parents)
        while pending:
            parent = pending.pop()
            if parent in found or parent not in by_name:
                continue
            found.add(parent)
            pending.extend(by_name[parent].parents)
        found.discard(name)  # an image in a build cycle is not its own base
        return found

    result: dict[str, set[str]] = {}
    for image in images:
        inherited = {package_name(p) for a in ancestors(image.name) for p in by_name[a].heavy_packages}
        again = {p for p in image.heavy_packages if package_name(p) in inherited}
        if again:
            result[image.name] = again
    return result


def _nodes(images: Sequence[ImageFacts]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    names = {image.name for image in images}
    for image in images:
        nodes[image.name] = _Node(image.name, image.name, external=False, image=image)
    for image in images:
        for parent in image.parents:
            if parent in names:
                nodes[image.name].parents.append(parent)
                nodes[parent].children.append(image.name)
        for base in image.external_bases:
            key = f"external:{base}"
            node = nodes.setdefault(key, _Node(key, base, external=True))
            node.children.append(image.name)
            nodes[image.name].parents.append(key)
    return nodes


def _assign_rows(nodes: dict[str, _Node]) -> None:
    depth: dict[str, int] = {}

    def internal_row(key: str, visiting: frozenset[str]) -> int:
        if key in depth:
            return depth[key]
        parents = [p for p in nodes[key].parents if not nodes[p].external and p not in visiting]
        row = 1 + max((internal_row(p, visiting | {key}) for p in parents), default=0)
        depth[key] = row
        return row

    for key, node in nodes.items():
        if not node.external:
            node.row = internal_row(key, frozenset())
    for node in nodes.values():
        if node.external:
            node.row = min(nodes[c].row for c in node.children) - 1
    lowest = min((node.row for node in nodes.values()), default=0)
    for node in nodes.values():
        node.row -= lowest


def _order_rows(nodes: dict[str, _Node]) -> list[list[_Node]]:
    rows: list[list[_Node]] = [[] for _ in range(max(node.row for node in nodes.values()) + 1)]
    for node in nodes.values():  # build order for images, then externals in order of first sight
        rows[node.row].append(node)
    position = {node.key: float(i) for row in rows for i, node in enumerate(row)}

    def sweep(order: list[list[_Node]], neighbours: Callable[[_Node], list[str]]) -> None:
        for row in order:
            row.sort(key=lambda node: _barycenter(node, neighbours(node), nodes, position))
            for index, node in enumerate(row):
                position[node.key] = float(index)

    for _ in range(SWEEPS):
        sweep(rows[1:], lambda node: node.parents)
        sweep(rows[-2::-1], lambda node: node.children)
    return rows


def _barycenter(node: _Node, linked: list[str], nodes: dict[str, _Node], position: dict[str, float]) -> float:
    """The mean position of the boxes ``node`` is linked to in other rows; its own position when there are none."""
    places = [position[key] for key in linked if nodes[key].row != node.row]
    return sum(places) / len(places) if places else position[node.key]


def _place(rows: list[list[_Node]]) -> tuple[float, float]:
    """Sets every node's x, y; returns the diagram's width and height.

    The lines of a wrapped row share one grid (the first line's, centred), so the gaps between boxes
    line up from line to line and the arrows to the lower lines can run down through them.
    """
    widest = min(max(len(row) for row in rows), MAX_PER_LINE)
    width = 2 * MARGIN + widest * BOX_WIDTH + (widest - 1) * COLUMN_GAP
    y = MARGIN
    for row in rows:
        first = min(len(row), MAX_PER_LINE)
        left = (width - first * BOX_WIDTH - (first - 1) * COLUMN_GAP) / 2
        top = y
        for start in range(0, len(row), MAX_PER_LINE):
            for column, node in enumerate(row[start : start + MAX_PER_LINE]):
                node.x, node.y, node.row_top = left + column * (BOX_WIDTH + COLUMN_GAP), y, top
            y += BOX_HEIGHT + ROW_GAP
        for node in row:
            node.row_bottom = y - ROW_GAP
    return width, y - ROW_GAP + MARGIN


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A vertical S-curve from the current point (x1, y1) to (x2, y2)."""
    middle = (y1 + y2) / 2
    return f"C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"


def _arrow(parent: _Node, child: _Node) -> Markup:
    """From the bottom of the base to the top of the image; across a wrapped row, down the gaps between boxes."""
    x, y = parent.x + BOX_WIDTH / 2, parent.y + BOX_HEIGHT
    x2, y2 = child.x + BOX_WIDTH / 2, child.y - 3
    if child.y <= parent.y:  # a build cycle: go around the side
        x, y = parent.x + BOX_WIDTH, parent.y + BOX_HEIGHT / 2
        x2, y2 = child.x + BOX_WIDTH, child.y + BOX_HEIGHT / 2 - 3
        path = f"M{x:.1f},{y:.1f} C{x + 40:.1f},{y:.1f} {x2 + 40:.1f},{y2:.1f} {x2 + 3:.1f},{y2:.1f}"
    else:
        path = f"M{x:.1f},{y:.1f}"
        if y < parent.row_bottom:  # lines of its own row below the base: leave by the gap on its right
            gap_x = parent.x + BOX_WIDTH + COLUMN_GAP / 2
            path += f" {_curve(x, y, gap_x, y + ROW_GAP / 2)} L{gap_x:.1f},{parent.row_bottom + ROW_GAP / 2:.1f}"
            x, y = gap_x, parent.row_bottom + ROW_GAP / 2
        if child.y > child.row_top:  # a lower line of the image's row: enter by the gap on its left
            gap_x = child.x - COLUMN_GAP / 2
            path += f" {_curve(x, y, gap_x, child.row_top - ROW_GAP / 2)} L{gap_x:.1f},{child.y - ROW_GAP / 2:.1f}"
            x, y = gap_x, child.y - ROW_GAP / 2
        path += f" {_curve(x, y, x2, y2)}"
    css = "edge edge-external" if parent.external else "edge"
    title = f"{child.label} is built on {parent.label}"
    return element("path", {"d": path, "class": css, "marker_end": "url(#arrow)"}, element("title", {}, title))


def _wrap(items: Sequence[str], width: float, lines: int) -> list[str]:
    """``items`` joined with ", " into at most ``lines`` lines of ``width``; the last line takes the rest."""
    wrapped: list[str] = []
    for item in items:
        if wrapped and len(wrapped) < lines and not fits(f"{wrapped[-1]}, {item}", width):
            wrapped[-1] += ","
            wrapped.append(item)
        elif wrapped:
            wrapped[-1] += f", {item}"
        else:
            wrapped.append(item)
    return wrapped


def _box(node: _Node, again: set[str], size_label: str | None) -> Markup:
    inner = BOX_WIDTH - 16
    x, y = node.x, node.y
    if node.external:
        parts = [
            rect(x, y, BOX_WIDTH, BOX_HEIGHT, "node node-external", rx=6),
            text(x + 8, y + 18, "external base", "node-kind"),
            fitted_text(x + 8, y + 36, node.label, inner, "node-name"),
        ]
        return element("g", {}, element("title", {}, f"external base image {node.label}"), *parts)
    image = node.image
    assert image is not None
    parts = [rect(x, y, BOX_WIDTH, BOX_HEIGHT, "node node-reinstalls" if again else "node", rx=6)]
    name_width = inner
    if size_label is not None:
        parts.append(element("text", {"x": x + BOX_WIDTH - 8, "y": y + 18, "class": "node-size", "text_anchor": "end"},
                             size_label))  # fmt: skip
        name_width -= (len(size_label) + 1) * MONO_CHAR_WIDTH
    parts.append(fitted_text(x + 8, y + 18, image.name, name_width, "node-name"))
    parts.append(fitted_text(x + 8, y + 34, image.dockerfile, inner, "node-detail", keep_end=True))
    heavy = [f"⚠ {p}" if p in again else p for p in image.heavy_packages]
    for index, line in enumerate(_wrap(heavy, inner, HEAVY_LINES)):
        css = "node-heavy node-again" if again else "node-heavy"
        parts.append(fitted_text(x + 8, y + 51 + 15 * index, line, inner, css))
    tooltip = [f"{image.name} ({image.dockerfile})"]
    if size_label is not None:
        tooltip.append(f"size {size_label}")
    if image.heavy_packages:
        tooltip.append("heavy packages: " + ", ".join(image.heavy_packages))
    if again:
        tooltip.append("installed again although a base has them: " + ", ".join(sorted(again)))
    return element("a", {"href": f"#image-{image.name}"}, element("title", {}, "; ".join(tooltip)), *parts)


def hierarchy_diagram(images: Sequence[ImageFacts], size_labels: dict[str, str]) -> Markup:
    """The diagram; ``size_labels`` maps an image to its measured size ("1.2 GB") when a results file has it."""
    nodes = _nodes(images)
    _assign_rows(nodes)
    rows = _order_rows(nodes)
    width, height = _place(rows)
    again = reinstalled_packages(images)
    marker = element(
        "marker",
        {"id": "arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5", "markerWidth": "7", "markerHeight": "7",
         "orient": "auto-start-reverse"},
        element("path", {"d": "M0,0 L10,5 L0,10 z", "class": "arrow-head"}),
    )  # fmt: skip
    parts = [element("defs", {}, marker)]
    for node in nodes.values():
        for child in node.children:
            parts.append(_arrow(node, nodes[child]))
    for row in rows:
        for node in row:
            parts.append(_box(node, again.get(node.key, set()), size_labels.get(node.key)))
    label = f"Image hierarchy: {len(images)} images, bases above the images built on them"
    return svg(width, height, label, parts, "hierarchy")
