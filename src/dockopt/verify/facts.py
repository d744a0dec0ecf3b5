"""Everything a verification reads about a repository, gathered once: graph, findings, models, results.

The checks of ``dockopt.verify.checks`` only ask questions of a ``RepositoryFacts``; none of them
reads a Dockerfile or runs a rule itself. Paths are relative to the repository root.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dockopt.config import Config, find_config, load_config
from dockopt.findings import Finding
from dockopt.lint import PARSE_ERROR_RULE, lint_files, lint_repository
from dockopt.model import ImageModel
from dockopt.repo.discovery import find_dockerfiles
from dockopt.repo.graph import Image, ImageGraph, build_graph, discover
from dockopt.repo.inheritance import Inherited, inherited_states
from dockopt.results import image_of_entries
from dockopt.rules.context import RepositoryContext
from dockopt.rules.registry import all_rules
from dockopt.syntax import load_file


@dataclass
class RepositoryFacts:
    root: Path
    graph: ImageGraph
    dockerfiles: list[str]  # every Dockerfile found, relative to root, sorted
    findings: list[Finding]  # of the rules verification runs (file and repository rules)
    inherited: dict[str, Inherited]  # Dockerfile -> what its in-repository bases hand down
    repository: RepositoryContext  # what the repository rules saw (their collected facts)
    results: dict[str, Any] | None = None  # a results file (dockopt.results), when given
    results_source: str | None = None
    _models: dict[str, ImageModel | None] = field(default_factory=dict, repr=False)

    # -- findings -----------------------------------------------------------------------------
    def findings_of(self, rules: frozenset[str], file: str | None = None) -> list[Finding]:
        """Findings of these rules (anywhere, or in one file)."""
        return [f for f in self.findings if f.rule in rules and (file is None or f.file == file)]

    def findings_at(self, rules: frozenset[str], file: str, first: int, last: int) -> list[Finding]:
        """Findings of these rules in ``file`` that start within lines ``first``..``last``."""
        return [f for f in self.findings if f.rule in rules and f.file == file and first <= f.line <= last]

    @cached_property
    def parse_errors(self) -> list[Finding]:
        return [f for f in self.findings if f.rule == PARSE_ERROR_RULE]

    # -- images and models --------------------------------------------------------------------
    def model(self, dockerfile: str) -> ImageModel | None:
        """The semantic model of a Dockerfile, with what its in-repository bases hand down."""
        if dockerfile not in self._models:
            df = load_file(self.root / dockerfile, dockerfile)
            if df.errors or not df.nodes:
                self._models[dockerfile] = None
            else:
                known = self.inherited.get(dockerfile)
                self._models[dockerfile] = ImageModel(
                    df, known.bases if known else None, known.build_args if known else None
                )
        return self._models[dockerfile]

    def images(self) -> list[Image]:
        """Every image of the graph, in build order (images in a cycle, which have none, last)."""
        ordered = [self.graph.images[name] for name in self.graph.build_order]
        return ordered + [image for image in self.graph.images.values() if image.name not in self.graph.build_order]

    def final_images(self) -> list[Image]:
        """The images no other image of the repository is built FROM or copies from: the ones that run."""
        used = {parent for image in self.graph.images.values() for parent in image.parents}
        return [image for image in self.images() if image.name not in used]

    def hierarchy_root(self, name: str) -> str:
        """The top in-repository ancestor of an image, following primary bases."""
        seen = {name}
        image = self.graph.images[name]
        while True:
            base = image.primary_base
            if base is None or base.image is None or base.image in seen:
                return image.name
            seen.add(base.image)
            image = self.graph.images[base.image]

    def ancestors(self, name: str) -> list[str]:
        """The in-repository images ``name`` is built on, nearest first (primary bases)."""
        found: list[str] = []
        image = self.graph.images[name]
        while (base := image.primary_base) is not None and base.image is not None and base.image not in found:
            if base.image == name:
                break
            found.append(base.image)
            image = self.graph.images[base.image]
        return found

    # -- results ------------------------------------------------------------------------------
    @cached_property
    def _results_index(self) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], str]]:
        """The results file's sections by image name (``results.image_of_entries``), and the entry each
        section comes from."""
        if self.results is None:
            return {}, {}
        entries: dict[str, dict[str, Any]] = self.results.get("images", {})
        image_of = image_of_entries(entries)
        merged: dict[str, dict[str, Any]] = {}
        origins: dict[tuple[str, str], str] = {}
        for name, entry in sorted(entries.items()):
            image = image_of[name]
            sections = merged.setdefault(image, {})
            for key, value in entry.items():
                if key not in sections:
                    sections[key] = value
                    origins[(image, key)] = name
        return merged, origins

    @property
    def results_by_image(self) -> dict[str, dict[str, Any]]:
        return self._results_index[0]

    def results_key(self, image: str, section: str) -> str:
        """Where a section of an image's figures is in the results file: ``images.<entry>.<section>``."""
        return f"images.{self._results_index[1].get((image, section), image)}.{section}"

    def measured(self, patterns: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(image name, sections) of the results file's images whose name matches one of ``patterns``."""
        for name, sections in sorted(self.results_by_image.items()):
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                yield name, sections


def gather(
    root: Path, rules: frozenset[str], results: dict[str, Any] | None, results_source: str | None
) -> RepositoryFacts:
    """Lint ``root`` with ``rules`` (plus DO900) as a repository and build its graph.

    The repository's own configuration (``.dockopt.toml`` or ``[tool.dockopt]``) still excludes
    paths and ignores rules per file, and inline suppressions count: a deliberate, recorded
    exception is not evidence of a gap. Which rules run is the policy's decision, not the
    configuration's.
    """
    found = find_config(root)
    known = frozenset(all_rules())
    base = load_config(found, known) if found else Config()
    selected = tuple(sorted(rules | {PARSE_ERROR_RULE}))
    config = Config(
        select=selected,
        exclude=base.exclude,
        severity=base.severity,
        per_file_ignores=base.per_file_ignores,
        root=base.root,
        source=base.source,
    )
    discovery = discover(root)
    graph = build_graph(root, discovery)
    inherited = inherited_states(graph)
    paths = list(find_dockerfiles(root, config.is_excluded))
    files = [(path, path.relative_to(root).as_posix()) for path in paths]
    by_path = {path: inherited[display] for path, display in files if display in inherited}
    results_per_file = lint_files(files, config, inherited=by_path)
    findings = [finding for result in results_per_file for finding in result.findings]
    under = {display: result for (_, display), result in zip(files, results_per_file, strict=True)}
    findings.extend(lint_repository(root, "", under, config))
    findings.sort(key=Finding.sort_key)
    collected: dict[str, dict[str, object]] = {}
    for display, result in under.items():
        for rule_id, fact in result.facts.items():
            collected.setdefault(rule_id, {})[display] = fact
    return RepositoryFacts(
        root=root,
        graph=graph,
        dockerfiles=sorted(under),
        findings=findings,
        inherited=inherited,
        repository=RepositoryContext(root, "", sorted(under), collected),
        results=results,
        results_source=results_source,
    )
