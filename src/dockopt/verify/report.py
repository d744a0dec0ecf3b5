"""The compliance report ``dockopt verify`` builds: one data model that every output format renders.

    VerifyReport
    ├── requirements: RequirementResult      status, fraction, evidence, actions (one per policy requirement)
    ├── categories: CategoryScore            weighted score per category
    ├── score                                weighted overall score (0-100), None when nothing applies
    ├── gaps: Gap                            the requirements not met, by weight x gap
    ├── presence_gaps: PresenceGap           optimizations present in the text but without effect
    └── images: ImageFacts                   the image hierarchy and its measured figures

Paths in evidence are relative to the verified repository's root; renderers turn them into links.
Nothing here reads files or knows a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    COMPLIANT = "compliant"
    PARTLY = "partly"
    NOT = "not"
    NOT_APPLICABLE = "not-applicable"


class FixAvailability(StrEnum):
    """What ``dockopt fix`` can do about a rule's findings (the rule's metadata)."""

    SAFE = "safe"  # `dockopt fix --write`
    UNSAFE = "unsafe"  # `dockopt fix --write --unsafe-fixes`
    NONE = "none"  # by hand


@dataclass(frozen=True)
class Measurement:
    """A figure read from a results file, and the limit it was held to."""

    image: str
    metric: str  # size_mb, wasted_mb, code_change_rebuild_s, build_s
    value: float
    unit: str  # "MB" or "s"
    limit: float
    source: str  # "results.json: images.pipeline-asr.measure.size"


@dataclass(frozen=True)
class Evidence:
    """One fact behind a status: a place in the repository (file:line) or a measurement.

    ``ok`` is True for evidence of compliance (a pinned FROM, an effective cache mount) and False
    for evidence of a gap. ``rule`` names the dockopt rule whose finding this is, if any.
    """

    message: str
    ok: bool
    file: str | None = None
    line: int | None = None
    rule: str | None = None
    measurement: Measurement | None = None

    @property
    def where(self) -> str:
        """``docker/asr/Dockerfile:13``, ``docker/asr/Dockerfile``, or "" when it is no place in a file."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Action:
    """What to do about a gap: a rule's findings and whether ``dockopt fix`` fixes them, or a manual step."""

    advice: str
    rule: str | None = None
    rule_name: str | None = None
    findings: int = 0
    fix: FixAvailability = FixAvailability.NONE  # the rule's fix availability
    fixable: int = 0  # findings that carry a fix (a rule's fix may not apply to every finding)


@dataclass(frozen=True)
class Requirement:
    """A requirement of the policy as written (the check itself lives in ``dockopt.verify.policy``)."""

    id: str
    title: str
    category: str
    weight: float
    description: str
    kind: str


@dataclass
class RequirementResult:
    """A requirement's status and the evidence for it.

    ``passed``/``total`` count the units the requirement is about ("11/15 Dockerfiles") when it is
    countable; both are None otherwise. ``score`` is in [0, 1], None when not applicable.
    """

    requirement: Requirement
    status: Status
    summary: str  # one sentence: why this status
    passed: int | None = None
    total: int | None = None
    unit: str = ""  # plural noun: "Dockerfiles", "final images", "cache-mounted installs"
    score: float | None = None
    evidence: list[Evidence] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def fraction(self) -> str:
        """``11/15 Dockerfiles``, or "" when not countable."""
        if self.passed is None or self.total is None:
            return ""
        return f"{self.passed}/{self.total} {self.unit}".rstrip()


@dataclass(frozen=True)
class CategoryScore:
    name: str
    score: float | None  # 0-100, None when no requirement of the category applies
    weight: float  # sum of the weights of its applicable requirements
    requirements: tuple[str, ...]  # ids, in policy order
    counts: dict[str, int]  # status value -> number of requirements


@dataclass(frozen=True)
class Gap:
    """A requirement not fully met. ``points`` is what it costs the overall score (0-100 scale)."""

    requirement: str
    title: str
    category: str
    weight: float
    gap: float  # 1 - score
    priority: float  # weight x gap
    points: float
    status: Status
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class PresenceGap:
    """An optimization a text search would find, that does not work: what is there, and why it has no effect."""

    requirement: str
    title: str  # "pip cache mount disabled by an inherited PIP_NO_CACHE_DIR"
    present: tuple[Evidence, ...]  # the construct that is there (ok=True)
    ineffective: tuple[Evidence, ...]  # why it does nothing (ok=False)


@dataclass(frozen=True)
class ImageFacts:
    """One image of the repository, for the hierarchy diagram and the figures of a results file."""

    name: str
    dockerfile: str
    parents: tuple[str, ...]  # images of the repository it is built from
    external_bases: tuple[str, ...]  # external images it is built from
    children: tuple[str, ...]
    heavy_packages: tuple[str, ...]  # "torch==2.2.2"
    size_bytes: int | None = None
    wasted_bytes: int | None = None
    code_change_rebuild_s: float | None = None
    build_s: float | None = None


@dataclass
class VerifyReport:
    root: str  # the repository as given on the command line
    policy_name: str
    policy_source: str  # "built-in" or the policy file's path
    results_source: str | None  # the results file's path, None when none was given
    version: str
    requirements: list[RequirementResult]
    categories: list[CategoryScore]
    score: float | None  # 0-100
    gaps: list[Gap]
    presence_gaps: list[PresenceGap]
    images: list[ImageFacts]
    build_order: tuple[str, ...]
    problems: list[Evidence] = field(default_factory=list)  # files that could not be read or parsed
    fail_under: float | None = None

    @property
    def failed(self) -> bool:
        """True when a --fail-under threshold is given and the score is below it."""
        return self.fail_under is not None and self.score is not None and self.score < self.fail_under
