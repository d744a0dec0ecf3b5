"""Shared by the HTML report's unit and browser tests: reports of examples/ml-pipeline written by the real
command (with and without a results file), and a reader of the page's elements built on ``html.parser``."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from dockopt.commands.verify import VerifyOptions, run_verify
from dockopt.results import empty_results

ROOT = Path(__file__).resolve().parents[1]
ML_PIPELINE = ROOT / "examples" / "ml-pipeline"

# Figures as `dockopt build`/`measure` record them (docs/results-json.md), for five of the example's ten
# images: some over the built-in policy's limits (5 GB, 100 MB wasted, 60 s rebuild), some within.
ML_PIPELINE_FIGURES: dict[str, dict[str, object]] = {
    "pipeline-cpu-base": {"measure": {"size": 412_000_000, "wasted_bytes": 31_000_000}, "build": {"seconds": 48.2}},
    "pipeline-cuda-base": {
        "measure": {"size": 6_900_000_000, "wasted_bytes": 240_000_000},
        "build": {"seconds": 212.0},
    },
    "pipeline-ml-base": {"measure": {"size": 9_800_000_000, "wasted_bytes": 95_000_000}, "build": {"seconds": 388.5}},
    "pipeline-asr": {
        "measure": {"size": 12_400_000_000, "wasted_bytes": 2_300_000_000},
        "build": {"seconds": 301.0},
        "rebuild": {"code_change": {"seconds": 284.0}},
    },
    "pipeline-ingest": {"build": {"seconds": 20.0}, "rebuild": {"code_change": {"seconds": 3.1}}},
}

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# Elements that may be closed implicitly (by the next sibling or the parent's end tag).
OPTIONAL_END = frozenset({"p", "li", "td", "th", "tr", "thead", "tbody"})


def write_results(path: Path) -> Path:
    document = empty_results()
    document["images"] = ML_PIPELINE_FIGURES
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def write_report(output: Path, results: Path | None = None, root: Path = ML_PIPELINE) -> str:
    """``dockopt verify ROOT --format html -o OUTPUT [--results F]``; returns the page."""
    options = VerifyOptions(
        str(root), results=str(results) if results else None, output_format="html", output=str(output)
    )
    assert run_verify(options, log=io.StringIO()) == 0
    return output.read_text(encoding="utf-8")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return self.text + "".join(child.all_text() for child in self.children)

    def ancestors(self) -> list[Element]:
        found, node = [], self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found


class Page(HTMLParser):
    """The page as a tree of elements; a start or end tag that does not nest is a recorded error."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.elements: list[Element] = []
        self.errors: list[str] = []
        self.doctype = ""
        self.feed(html)
        self.close()
        if len(self.stack) != 1:
            self.errors.append(f"not closed: {[e.tag for e in self.stack[1:]]}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(element)
        self.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(element)
        self.elements.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        while self.stack[-1].tag != tag and self.stack[-1].tag in OPTIONAL_END and len(self.stack) > 1:
            self.stack.pop()
        if self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Element("#text", {}, data, parent=self.stack[-1]))

    def find_all(self, tag: str | None = None, css_class: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag) and (css_class is None or css_class in e.classes())
        ]

    def by_id(self, element_id: str) -> Element:
        (found,) = [e for e in self.elements if e.attrs.get("id") == element_id]
        return found
