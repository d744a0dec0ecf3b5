"""Check kinds about the repository as a whole: bases, hierarchy, heavy packages, versions, build order, contexts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockopt.findings import Finding
from dockopt.repo.dockerignore import find_ignore_file
from dockopt.repo.graph import Image
from dockopt.rules._cache import split_image
from dockopt.rules._repo import listing, same_version
from dockopt.rules.do605_conflicting_pins import Pin, repository_pins
from dockopt.shell.requirements import canonical_name
from dockopt.verify.facts import RepositoryFacts
from dockopt.verify.outcome import Outcome, actions_for, counted, finding_evidence, manual, not_applicable
from dockopt.verify.policy import Check
from dockopt.verify.report import Evidence, PresenceGap, Status

_VERSION_ENTRY = re.compile(r"""^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*["']?([^\s"'#]+)""")
_LEADING_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _failures_first(evidence: list[Evidence]) -> list[Evidence]:
    return [e for e in evidence if not e.ok] + [e for e in evidence if e.ok]


@dataclass(frozen=True)
class _ExternalReference:
    image: str
    dockerfile: str
    line: int
    kind: str
    written: str
    resolved: str


def _external_references(facts: RepositoryFacts) -> Iterator[_ExternalReference]:
    """Each external image a Dockerfile names (FROM, COPY --from, RUN --mount from), once per line."""
    seen: set[tuple[str, int]] = set()
    for image in facts.images():
        for base in image.bases:
            key = (image.dockerfile, base.line)
            if base.image is not None or key in seen or base.resolved.lower() == "scratch":
                continue
            seen.add(key)
            yield _ExternalReference(image.name, image.dockerfile, base.line, base.kind, base.written, base.resolved)


# -- digests -----------------------------------------------------------------------------------------


def base_digests(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Every external image the Dockerfiles build on or copy from is pinned by digest."""
    total = passed = 0
    evidence: list[Evidence] = []
    gaps: list[Finding] = []
    unresolved: list[Evidence] = []
    for reference in _external_references(facts):
        if "$" in reference.resolved:
            unresolved.append(
                Evidence(
                    f"`{reference.written}` has no known value: not judged", False, reference.dockerfile, reference.line
                )
            )
            continue
        total += 1
        if "@sha256:" in reference.resolved:
            passed += 1
            evidence.append(
                Evidence(f"`{reference.resolved}` pinned by digest", True, reference.dockerfile, reference.line)
            )
            continue
        found = facts.findings_at(frozenset({"DO301"}), reference.dockerfile, reference.line, reference.line)
        gaps += found
        evidence += [finding_evidence(f) for f in found] or [
            Evidence(f"`{reference.resolved}` is not pinned by digest", False, reference.dockerfile, reference.line)
        ]
    outcome = counted(passed, total, "external image references", "are pinned by digest")
    outcome.evidence = _failures_first(evidence) + unresolved
    outcome.actions = actions_for(gaps)
    if passed < total and not gaps:
        outcome.actions = [manual("append `@sha256:<digest>` to each external image reference")]
    return outcome


# -- hierarchy ---------------------------------------------------------------------------------------


def base_hierarchy(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """The images that run are built on bases of the repository, which hold what they share."""
    if len(facts.graph.images) < 2:
        return not_applicable("the repository builds fewer than two images: there is nothing to share", "final images")
    finals = facts.final_images()
    passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    direct: dict[str, list[Image]] = {}
    for image in finals:
        base = image.primary_base
        if base is not None and base.image is not None:
            passed += 1
            evidence.append(Evidence(f"{image.name} is built on {base.image}", True, image.dockerfile, base.line))
            continue
        line = base.line if base is not None else None
        resolved = base.resolved if base is not None else "no base"
        evidence.append(Evidence(f"{image.name} is built directly on {resolved}", False, image.dockerfile, line))
        if base is not None:
            direct.setdefault(base.resolved, []).append(image)
            if "${" in base.written and "/" in base.written:
                presence.append(
                    PresenceGap(
                        "",
                        f"{image.name} names an in-house base, but the repository builds no such image",
                        (Evidence(f"`FROM {base.written}`", True, image.dockerfile, base.line),),
                        (Evidence(f"no image of the repository is {base.resolved}: it comes from a registry, "
                                  "whatever version was pushed last", False, image.dockerfile, base.line),),
                    )
                )  # fmt: skip
    outcome = counted(passed, len(finals), "final images", "are built on a base image of the repository")
    outcome.evidence = _failures_first(evidence)
    outcome.presence = presence
    shared = {ref: images for ref, images in direct.items() if len(images) > 1}
    for reference, images in sorted(shared.items()):
        names = listing([i.name for i in images])
        outcome.actions.append(
            manual(f"build one base image FROM {reference} with what {names} share, and build them FROM it")
        )
    if passed < len(finals) and not shared:
        outcome.actions.append(manual("build the images that run on a base image built in this repository"))
    return outcome


def heavy_packages_once(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Each heavy package (torch, tensorflow, nvidia-*…) is installed by one image per hierarchy, not reinstalled."""
    by_hierarchy: dict[tuple[str, str], list[tuple[Image, str, str, int, str | None]]] = {}
    for image in facts.images():
        root = facts.hierarchy_root(image.name)
        for package in image.heavy_packages:
            key = (root, canonical_name(package.name))
            by_hierarchy.setdefault(key, []).append(
                (image, package.spec, package.file, package.line, package.requirement)
            )
    if not by_hierarchy:
        return not_applicable(
            "no image installs a heavy package (torch, tensorflow, jax, nvidia-*, opencv…)", "heavy packages"
        )
    passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    for (root, name), installs in sorted(by_hierarchy.items()):
        flagged = [
            f
            for _, _, file, line, _ in installs
            for f in facts.findings_at(frozenset({"DO603"}), file, line, line)
            if re.search(rf"\b{re.escape(name)}\b", f.message)
        ]
        flagged = list(dict.fromkeys(flagged))
        sites = [
            Evidence(
                f"{image.name} installs {spec}" + (f" ({requirement})" if requirement else ""), not flagged, file, line
            )
            for image, spec, file, line, requirement in installs
        ]
        if not flagged:
            passed += 1
            where = listing(sorted({image.name for image, *_ in installs}))
            evidence.append(
                Evidence(
                    f"{name} in the {root} hierarchy: installed once, by {where}", True, sites[0].file, sites[0].line
                )
            )
            continue
        gaps += [f for f in flagged if f not in gaps]  # one finding can name several packages
        evidence += [finding_evidence(f) for f in flagged if finding_evidence(f) not in evidence]
        flagged_files = {(f.file, f.line) for f in flagged}
        in_base = [s for s in sites if (s.file, s.line) not in flagged_files]
        if in_base:
            base_sites = tuple(Evidence(s.message, True, s.file, s.line) for s in in_base)
            presence.append(
                PresenceGap(
                    "",
                    f"{name} is installed in a base of the {root} hierarchy, but installed again below it",
                    base_sites,
                    tuple(finding_evidence(f) for f in flagged),
                )
            )
    outcome = counted(passed, len(by_hierarchy), "heavy packages", "are installed once per hierarchy")
    outcome.summary += " (a package counts once per image hierarchy)"
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps)
    outcome.presence = presence
    return outcome


# -- versions file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    """Something in the repository that names a version a versions-file entry also names."""

    written: str
    file: str
    line: int
    agrees: bool


def versions_file(facts: RepositoryFacts, check: Check) -> Outcome:
    """A central versions file exists, and the pins, base image tags, digests and ARG defaults agree with it."""
    path = check.get("path")
    file = facts.root / path
    if not file.is_file():
        outcome = Outcome(f"{path} does not exist", status=Status.NOT)
        outcome.evidence = [Evidence(f"no {path} in the repository", False)]
        outcome.actions = [
            manual(f"create {path} with one NAME_VERSION=x line per pinned package and base image (and the base "
                   "digests), and make the Dockerfiles and requirement files agree with it")
        ]  # fmt: skip
        return outcome
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        outcome = Outcome(f"{path} cannot be read: {exc}", status=Status.NOT)
        outcome.evidence = [Evidence(f"{path} cannot be read", False, path)]
        return outcome
    pins = [p for p in repository_pins(facts.repository) if p.ecosystem == "python" and p.file != path]
    froms = [r for r in _external_references(facts) if "$" not in r.resolved]
    args = list(_arg_defaults(facts))
    total = passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    disagreeing_pins: set[tuple[str, int]] = set()
    entries = 0
    for number, raw in enumerate(lines, 1):
        match = _VERSION_ENTRY.match(raw)
        if match is None:
            continue
        entries += 1
        key, value = match.group(1), match.group(2)
        sites = _entry_sites(key, value, pins, froms, args)
        if not sites:
            continue
        total += 1
        entry = Evidence(f"`{key}={value}`", True, path, number)
        wrong = [s for s in sites if not s.agrees]
        if not wrong:
            passed += 1
            evidence.append(
                Evidence(
                    f"`{key}={value}` agrees with {listing([f'{s.file}:{s.line}' for s in sites])}", True, path, number
                )
            )
            continue
        disagreeing_pins |= {(s.file, s.line) for s in wrong}
        failures = tuple(
            Evidence(f"{s.written} disagrees with `{key}={value}` ({path}:{number})", False, s.file, s.line)
            for s in wrong
        )
        evidence += failures
        presence.append(
            PresenceGap("", f"{path} pins {key}={value}, but the repository uses another version", (entry,), failures)
        )
    if total == 0:
        outcome = Outcome(
            f"{path} exists; none of its {entries} entries is named anywhere else", status=Status.COMPLIANT
        )
        outcome.evidence = [Evidence(f"{path}: {entries} entries", True, path)]
        return outcome
    outcome = counted(passed, total, "versions-file entries", f"agree with every place that names them ({path})")
    outcome.evidence = _failures_first(evidence)
    outcome.presence = presence
    findings = [f for f in facts.findings_of(frozenset({"DO605"})) if (f.file, f.line) in disagreeing_pins]
    outcome.actions = actions_for(findings)
    if passed < total:
        outcome.actions.append(manual(f"make every pin, tag, digest and ARG default agree with {path} (or update it)"))
    return outcome


def _entry_sites(
    key: str, value: str, pins: list[Pin], froms: list[_ExternalReference], args: list[tuple[str, str, str, int]]
) -> list[_Site]:
    sites: list[_Site] = []
    upper = key.upper()
    if upper.endswith("_VERSION"):
        subject = upper[: -len("_VERSION")]
        package = canonical_name(subject)
        for pin in pins:
            if canonical_name(pin.name) == package:
                sites.append(_Site(f"`{pin.written}`", pin.file, pin.line, same_version(pin.version, value)))
        for reference in froms:
            name, tag = split_image(reference.resolved)
            if name.rsplit("/", 1)[-1] == subject.lower().replace("_", "-"):
                leading = _LEADING_VERSION.match(tag)
                if leading:
                    agrees = _version_prefix(leading.group(1), value.lstrip("v"))
                    sites.append(_Site(f"`{reference.resolved}`", reference.dockerfile, reference.line, agrees))
    digest = _DIGEST.search(value)
    if digest is not None:
        named = value.split("@", 1)[0] if "@" in value else None
        subject = upper.removesuffix("_DIGEST").removesuffix("_IMAGE").lower().replace("_", "-")
        for reference in froms:
            if "@sha256:" not in reference.resolved:
                continue
            name, _ = split_image(reference.resolved)
            wanted = split_image(named)[0] if named else None
            if (wanted is not None and name == wanted) or (wanted is None and name.rsplit("/", 1)[-1] == subject):
                sites.append(_Site(f"`{reference.resolved}`", reference.dockerfile, reference.line,
                                   reference.resolved.endswith(digest.group(0))))  # fmt: skip
    for name, default, dockerfile, line in args:
        if name == key:
            sites.append(_Site(f"`ARG {name}={default}`", dockerfile, line, default == value))
    return sites


def _version_prefix(tag_version: str, value: str) -> bool:
    """``3.11`` and ``3.11.9`` agree (one is the other, less precise); ``12.1.1`` and ``12.1.0`` do not."""
    one, other = tag_version.split("."), value.split(".")
    shortest = min(len(one), len(other))
    return one[:shortest] == other[:shortest]


def _arg_defaults(facts: RepositoryFacts) -> Iterator[tuple[str, str, str, int]]:
    """(name, default, Dockerfile, line) of every ``ARG NAME=default``."""
    for dockerfile in facts.dockerfiles:
        model = facts.model(dockerfile)
        if model is None:
            continue
        for ins in model.df.instructions:
            if ins.keyword != "ARG":
                continue
            for value in ins.values:
                name, sep, default = value.partition("=")
                if sep and default and "$" not in default:
                    yield name, default.strip("\"'"), dockerfile, ins.start_line


# -- build order ---------------------------------------------------------------------------------------


def build_order(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Build scripts build every base before the images built on it, and their FROM rewrites match."""
    image_of: dict[tuple[str, int, int], str] = {}
    for image in facts.graph.images.values():
        for build in image.builds:
            image_of[(build.source, build.line, build.order)] = image.name
    total = passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    rule = frozenset({"DO604"})
    for build in facts.graph.builds:
        name = image_of.get((build.source, build.line, build.order))
        if build.kind != "script" or name is None or not facts.graph.images[name].parents:
            continue
        total += 1
        parents = listing(list(facts.graph.images[name].parents))
        found = [
            f
            for f in facts.findings_at(rule, build.source, build.line, build.line)
            if re.search(rf"\b{re.escape(name)}\b", f.message)
        ]
        if found:
            gaps += found
            evidence += [finding_evidence(f) for f in found]
        else:
            passed += 1
            evidence.append(
                Evidence(
                    f"builds {name} after its base {parents} (or expects it from the registry)",
                    True,
                    build.source,
                    build.line,
                )
            )
    for rewrite in facts.graph.rewrites:
        if "from" not in f"{rewrite.address} {rewrite.pattern} {rewrite.replacement}".lower():
            continue
        total += 1
        found = facts.findings_at(rule, rewrite.source, rewrite.line, rewrite.line)
        if not found:
            passed += 1
            evidence.append(
                Evidence(
                    f"`sed` rewrite of FROM lines matches: `{rewrite.expression}`", True, rewrite.source, rewrite.line
                )
            )
            continue
        gaps += found
        evidence += [finding_evidence(f) for f in found]
        presence.append(
            PresenceGap(
                "",
                "a build script rewrites FROM lines, but its pattern matches none",
                (Evidence(f"`sed -i '{rewrite.expression}'`", True, rewrite.source, rewrite.line),),
                tuple(finding_evidence(f) for f in found),
            )
        )
    gaps = list(dict.fromkeys(gaps))
    if total == 0:
        return not_applicable(
            "no build script builds an image on a base of the repository (compose and bake order builds themselves)",
            "script builds",
        )
    outcome = counted(passed, total, "script builds and FROM rewrites", "are in a consistent order")
    outcome.evidence = _failures_first(list(dict.fromkeys(evidence)))
    outcome.actions = actions_for(gaps)
    outcome.presence = presence
    return outcome


# -- .dockerignore --------------------------------------------------------------------------------------


def dockerignore(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Every build context has an ignore file, and its patterns exclude what they mean to."""
    contexts: dict[str, list[Image]] = {}
    for image in facts.images():
        contexts.setdefault(image.context, []).append(image)
    if not contexts:
        return not_applicable("no image is built in this repository", "build contexts")
    passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    for context, images in sorted(contexts.items()):
        shown = context if context not in ("", ".") else "the repository root"
        ignore_files = {_ignore_file(facts.root, context, image.dockerfile) for image in images}
        if None in ignore_files:
            missing = [i for i in images if _ignore_file(facts.root, context, i.dockerfile) is None]
            files = {i.dockerfile for i in missing} | {b.source for i in missing for b in i.builds}
            found = [f for f in facts.findings_of(frozenset({"DO601"})) if f.file in files]
            gaps += found
            names = listing([i.name for i in missing])
            message = f"the build context {shown} has no .dockerignore (images: {names})"
            evidence.append(Evidence(message, False, missing[0].dockerfile))
            evidence += [finding_evidence(f) for f in found]
            continue
        paths = sorted(p for p in ignore_files if p is not None)
        found = [f for path in paths for f in facts.findings_of(frozenset({"DO602"}), path)]
        if not found:
            passed += 1
            evidence.append(Evidence(f"{', '.join(paths)} excludes what it should from {shown}", True, paths[0]))
            continue
        gaps += found
        evidence += [finding_evidence(f) for f in found]
        presence.append(
            PresenceGap(
                "",
                f"{paths[0]} exists, but its patterns let through what they mean to exclude",
                tuple(Evidence(f"{p} ({_pattern_count(facts.root / p)} patterns)", True, p) for p in paths),
                tuple(finding_evidence(f) for f in found),
            )
        )
    outcome = counted(passed, len(contexts), "build contexts", "have an effective .dockerignore")
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps)
    if any("has no .dockerignore" in e.message for e in evidence):
        outcome.actions.append(
            manual("write a .dockerignore in each build context (`dockopt context DIR` suggests the lines)")
        )
    outcome.presence = presence
    return outcome


def _ignore_file(root: Path, context: str, dockerfile: str) -> str | None:
    found = find_ignore_file(root / context, root / dockerfile)
    return found.relative_to(root).as_posix() if found is not None else None


def _pattern_count(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))
