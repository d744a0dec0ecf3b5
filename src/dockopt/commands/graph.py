"""`dockopt graph ROOT`: the image hierarchy, build order and heavy packages, as a tree, Mermaid, DOT, JSON or bake.

Formats:

    tree     the hierarchy with external bases at the roots (rich), then the numbered build order
    mermaid  a Mermaid flowchart (base --> image; COPY --from and mount references dotted)
    dot      a Graphviz digraph, the same edges
    json     everything the graph knows (schema: docs/graph-json.md)
    bake     a docker-bake.json with one target per image; a child's ``contexts`` point its FROM at
             its base's target (``target:NAME``), so ``docker buildx bake`` builds the graph in order

Problems go to standard error as ``file:line: message``. Exit 0, or 2 when a file could not be
read or parsed (the graph of everything else is still printed).
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from dockopt import __version__
from dockopt.errors import EXIT_ERROR, EXIT_OK, UsageError
from dockopt.repo.builds import Problem, is_resolved
from dockopt.repo.graph import Image, ImageGraph, build_graph, familiar_name

FORMATS = ("tree", "mermaid", "dot", "json", "bake")
PLAIN_WIDTH = 120


@dataclass(frozen=True)
class GraphOptions:
    root: str
    output_format: str = "tree"
    output: str | None = None  # a file to write instead of standard output
    color: bool | None = None  # tree only: None decides from the stream and the environment


def run_graph(options: GraphOptions, stream: TextIO | None = None, errors: TextIO | None = None) -> int:
    """Build the graph of ``options.root`` and render it; the exit code."""
    root = Path(options.root)
    if not root.is_dir():
        raise UsageError(f"{options.root}: not a directory")
    if options.output_format not in FORMATS:
        raise UsageError(f"unknown format {options.output_format!r} (expected one of {', '.join(FORMATS)})")
    graph = build_graph(root)
    display = Path(options.root).as_posix()
    err = errors if errors is not None else sys.stderr
    for label, problems in (("error", graph.errors), ("warning", graph.warnings)):
        for problem in problems:
            err.write(f"dockopt: {label}: {_where(display, problem)}: {problem.message}\n")
    if options.output:
        target = Path(options.output)
        bake_root = os.path.relpath(root.resolve(), target.resolve().parent).replace(os.sep, "/")
        with target.open("w", encoding="utf-8") as handle:
            _render(graph, options.output_format, display, handle, bake_root, color=False)
    else:
        _render(graph, options.output_format, display, stream or sys.stdout, ".", color=options.color)
    return EXIT_ERROR if graph.errors else EXIT_OK


def _where(display: str, problem: Problem) -> str:
    return f"{posixpath.normpath(posixpath.join(display, problem.file))}:{problem.line}"


def _render(graph: ImageGraph, fmt: str, display: str, stream: TextIO, bake_root: str, color: bool | None) -> None:
    """``bake_root``: the repository root as seen from where the bake file goes."""
    if fmt == "tree":
        render_tree(graph, stream, display, color=color)
    elif fmt == "mermaid":
        render_mermaid(graph, stream)
    elif fmt == "dot":
        render_dot(graph, stream)
    elif fmt == "json":
        render_json(graph, stream, display)
    else:
        render_bake(graph, stream, bake_root)


# -- tree --------------------------------------------------------------------------------------


def render_tree(graph: ImageGraph, stream: TextIO, root: str, *, color: bool | None = None) -> None:
    """The hierarchy, external bases at the roots, then the build order."""
    # off a terminal nothing is cut: the width is that of the longest line the tree can have
    longest = max((len(_label(image).plain) for image in graph.images.values()), default=0)
    console = _console(stream, color, longest + 4 * (len(graph.images) + 1))
    externals = graph.external_bases()
    console.print(
        Text.assemble(
            (root, "bold"),
            f": {_count(len(graph.images), 'image')}, {_count(len(externals), 'external base')}",
        )
    )
    placed: set[str] = set()
    for label, names in _roots(graph):
        tree = Tree(label, guide_style="dim")
        for name in names:
            _branch(graph, tree, name, placed)
        console.print(tree)
    for name in graph.build_order:
        if name not in placed:  # its base is in a cycle, so no root leads to it
            tree = Tree(Text("(built on a cycle)", style="red"), guide_style="dim")
            _branch(graph, tree, name, placed)
            console.print(tree)
    if graph.cycles:
        console.print()
        for cycle in graph.cycles:
            console.print(Text(f"cycle: {' -> '.join(cycle.images)} ({', '.join(cycle.files)})", style="bold red"))
    console.print()
    console.print(Text("Build order", style="bold"))
    width = len(str(len(graph.build_order)))
    name_width = max((len(n) for n in graph.build_order), default=0)
    for number, name in enumerate(graph.build_order, 1):
        line = Text(f"{number:>{width}}. ")
        line.append(name.ljust(name_width), style="bold")
        line.append("  " + graph.images[name].dockerfile, style="dim")
        console.print(line)


def _console(stream: TextIO, color: bool | None, plain_width: int) -> Console:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if color is None:
        color = (tty or os.environ.get("FORCE_COLOR", "") != "") and os.environ.get("NO_COLOR", "") == ""
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        width=None if tty else max(PLAIN_WIDTH, plain_width),
        soft_wrap=True,
        markup=False,
        emoji=False,
        highlight=False,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _placement(image: Image) -> str | None:
    """Where an image hangs in the tree: its primary in-repository base, ``ext:REF``, or None."""
    primary = image.primary_base
    if primary is None:
        return None
    return primary.image if primary.image is not None else "ext:" + primary.resolved


def _roots(graph: ImageGraph) -> list[tuple[Text, list[str]]]:
    """Tree roots, in build order of their first image: external bases, and images on no base."""
    roots: dict[str, list[str]] = {}
    for name in graph.build_order:
        where = _placement(graph.images[name])
        if where is None:
            roots.setdefault("image:" + name, []).append(name)
        elif where.startswith("ext:"):
            roots.setdefault(where, []).append(name)
    result: list[tuple[Text, list[str]]] = []
    for key, names in roots.items():
        if key.startswith("image:"):
            result.append((Text("(no base image)", style="dim"), names))
        else:
            result.append((Text.assemble((key[4:], "cyan"), ("  external", "dim")), names))
    return result


def _branch(graph: ImageGraph, parent: Tree, name: str, placed: set[str]) -> None:
    placed.add(name)
    node = parent.add(_label(graph.images[name]))
    for child in graph.children(name):
        if child not in placed and _placement(graph.images[child]) == name:
            _branch(graph, node, child, placed)


def _label(image: Image) -> Text:
    text = Text.assemble((image.name, "bold"), "  ", (image.dockerfile, "dim"), no_wrap=True, overflow="ignore")
    if image.target:
        text.append(f" --target {image.target}", style="dim")
    if image.heavy_packages:
        text.append("  heavy: ", style="magenta")
        text.append(_heavy_summary(image), style="magenta")
    primary = image.primary_base
    shown = {primary.image or primary.resolved} if primary is not None else set()
    others = [name for name in dict.fromkeys(b.image or b.resolved for b in image.bases) if name not in shown]
    if others:
        text.append("  also from: " + ", ".join(others), style="dim")
    return text


def _heavy_summary(image: Image) -> str:
    """``torch==2.2.2, torchaudio==2.2.2 (requirements/ml.txt)``, grouped by where they are listed."""
    groups: dict[str, list[str]] = {}
    for package in image.heavy_packages:
        origin = package.requirement.rsplit(":", 1)[0] if package.requirement else f"line {package.line}"
        specs = groups.setdefault(origin, [])
        if package.spec not in specs:
            specs.append(package.spec)
    return "; ".join(f"{', '.join(specs)} ({origin})" for origin, specs in groups.items())


# -- mermaid and dot ---------------------------------------------------------------------------


def _edges(graph: ImageGraph) -> list[tuple[str, str, bool]]:
    """(source id, image name, solid) for every base reference, in build order, without repeats."""
    edges: dict[tuple[str, str], bool] = {}
    for name in graph.build_order:
        for base in graph.images[name].bases:
            source = "image:" + base.image if base.image is not None else "ext:" + base.resolved
            solid = base.kind == "from"
            edges[(source, name)] = edges.get((source, name), False) or solid
    return [(source, name, solid) for (source, name), solid in edges.items()]


def render_mermaid(graph: ImageGraph, stream: TextIO) -> None:
    """A Mermaid flowchart: external bases dashed, FROM edges solid, COPY --from/mount edges dotted."""
    ids: dict[str, str] = {}
    lines = ["flowchart TD"]
    for number, reference in enumerate(graph.external_bases(), 1):
        ids["ext:" + reference] = f"x{number}"
        lines.append(f'    x{number}["{_mermaid_text(reference)}"]:::external')
    for number, name in enumerate(graph.build_order, 1):
        image = graph.images[name]
        ids["image:" + name] = f"n{number}"
        label = f"<b>{_mermaid_text(name)}</b><br/>{_mermaid_text(image.dockerfile)}"
        if image.heavy_packages:
            label += "<br/>" + _mermaid_text(", ".join(dict.fromkeys(p.spec for p in image.heavy_packages)))
        lines.append(f'    n{number}["{label}"]')
    for source, name, solid in _edges(graph):
        arrow = "-->" if solid else "-.->"
        lines.append(f"    {ids[source]} {arrow} {ids['image:' + name]}")
    lines.append("    classDef external stroke-dasharray: 4 4")
    stream.write("\n".join(lines) + "\n")


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_dot(graph: ImageGraph, stream: TextIO) -> None:
    """A Graphviz digraph: external bases dashed, FROM edges solid, COPY --from/mount edges dashed."""
    lines = ["digraph images {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']
    for reference in graph.external_bases():
        lines.append(f"  {_dot_id('ext:' + reference)} [label={_dot_id(reference)}, style=dashed];")
    for name in graph.build_order:
        image = graph.images[name]
        label = f"{name}\n{image.dockerfile}"
        if image.heavy_packages:
            label += "\n" + ", ".join(dict.fromkeys(p.spec for p in image.heavy_packages))
        lines.append(f"  {_dot_id('image:' + name)} [label={_dot_id(label)}];")
    for source, name, solid in _edges(graph):
        style = "" if solid else " [style=dashed]"
        lines.append(f"  {_dot_id(source)} -> {_dot_id('image:' + name)}{style};")
    lines.append("}")
    stream.write("\n".join(lines) + "\n")


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# -- json --------------------------------------------------------------------------------------


def graph_data(graph: ImageGraph, root: str) -> dict[str, Any]:
    """The graph as the JSON document of docs/graph-json.md."""
    image_of = {id(build): image.name for image in graph.images.values() for build in image.builds}
    return {
        "tool": "dockopt",
        "version": __version__,
        "root": root,
        "images": [_image_data(graph.images[name]) for name in graph.images],
        "edges": [{"base": base, "image": image} for base, image in graph.edges()],
        "external_bases": [{"reference": ref, "images": names} for ref, names in graph.external_bases().items()],
        "build_order": list(graph.build_order),
        "cycles": [{"images": list(c.images), "files": list(c.files)} for c in graph.cycles],
        "sources": list(graph.sources),
        "builds": [
            {
                "file": b.source, "line": b.line, "kind": b.kind, "name": b.name, "order": b.order,
                "conditional": b.conditional, "dockerfile": b.dockerfile, "context": b.context, "tags": list(b.tags),
                "args": dict(b.args), "target": b.target, "contexts": dict(b.contexts), "image": image_of.get(id(b)),
            }
            for b in graph.builds
        ],
        "rewrites": [
            {
                "file": r.source, "line": r.line, "order": r.order, "expression": r.expression, "address": r.address,
                "pattern": r.pattern, "replacement": r.replacement, "flags": r.flags, "extended": r.extended,
                "targets": list(r.targets), "files": list(r.files), "conditional": r.conditional,
            }
            for r in graph.rewrites
        ],
        "errors": _problems(graph.errors),
        "warnings": _problems(graph.warnings),
    }  # fmt: skip


def _image_data(image: Image) -> dict[str, Any]:
    return {
        "name": image.name,
        "dockerfile": image.dockerfile,
        "context": image.context,
        "tags": list(image.tags),
        "args": dict(image.args),
        "target": image.target,
        "declared_in": [{"file": b.source, "line": b.line, "kind": b.kind, "name": b.name} for b in image.builds],
        "parents": list(image.parents),
        "bases": [
            {
                "line": b.line, "kind": b.kind, "written": b.written, "resolved": b.resolved, "image": b.image,
                "match": b.match or None, "primary": b.primary,
            }
            for b in image.bases
        ],
        "heavy_packages": [
            {
                "name": p.name, "specifier": p.specifier, "manager": p.manager, "file": p.file, "line": p.line,
                "requirement": p.requirement,
            }
            for p in image.heavy_packages
        ],
    }  # fmt: skip


def _problems(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [{"file": p.file, "line": p.line, "message": p.message} for p in problems]


def render_json(graph: ImageGraph, stream: TextIO, root: str) -> None:
    json.dump(graph_data(graph, root), stream, indent=2)
    stream.write("\n")


# -- bake --------------------------------------------------------------------------------------


def bake_data(graph: ImageGraph, root: str = ".") -> dict[str, Any]:
    """A docker-bake.json for the graph; paths are ``root`` (the repository seen from the bake file) joined."""
    targets: dict[str, Any] = {}

    def join(path: str) -> str:
        return posixpath.normpath(posixpath.join(root, path))

    for name in graph.build_order:
        image = graph.images[name]
        context = join(image.context)
        dockerfile = posixpath.relpath(join(image.dockerfile), context)
        target: dict[str, Any] = {"context": context, "dockerfile": dockerfile}
        tags = [tag for tag in image.tags if is_resolved(tag)]
        if tags:
            target["tags"] = tags
        args = {key: value for key, value in image.args.items() if is_resolved(value)}
        if args:
            target["args"] = args
        if image.target:
            target["target"] = image.target
        contexts = {
            familiar_name(base.resolved): f"target:{base.image}"
            for base in image.bases
            if base.image is not None and is_resolved(base.resolved)
        }
        if contexts:
            target["contexts"] = contexts
        targets[name] = target
    return {"group": {"default": {"targets": list(graph.build_order)}}, "target": targets}


def render_bake(graph: ImageGraph, stream: TextIO, root: str = ".") -> None:
    json.dump(bake_data(graph, root), stream, indent=2)
    stream.write("\n")
