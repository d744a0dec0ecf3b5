"""Verification policies: TOML files of requirements, checked when loaded; the built-in default policy.

A policy (full reference: docs/policy.md)::

    name = "Platform Docker policy"
    description = "What every image of this repository must do."

    [[requirements]]
    id = "cache-mounts"
    title = "Every package install uses an effective BuildKit cache mount"
    category = "Build cache"
    weight = 3
    description = "..."
    check = { kind = "cache_mounts" }

A bad policy is a ``ConfigError`` (exit 2) naming the file and, where it can be found, the line:
tomllib's own position for syntax errors, the requirement's ``[[requirements]]`` header or the
offending key's line for everything else.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dockopt.config import check_rule_selector
from dockopt.errors import ConfigError
from dockopt.rules.registry import all_rules
from dockopt.verify.report import Requirement

DEFAULT_POLICY = "default_policy.toml"
BUILT_IN = "built-in"
PER_VALUES = ("dockerfile", "final-image", "repository")
CACHE_MANAGERS = ("pip", "uv", "poetry", "conda", "apt", "npm", "yarn", "pnpm")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_REQUIREMENT_HEADER = re.compile(r"^\s*\[\[\s*requirements\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Field:
    """One field of a check: its type, and its default when it is optional."""

    type: str  # "str", "number", "rules", "managers", "globs", "per"
    required: bool = False
    default: object = None


# Check kinds and their fields (what each kind verifies: dockopt.verify.checks, docs/policy.md).
_LIMIT = {"limit": Field("number", required=True), "images": Field("globs", default=("*",))}
CHECK_KINDS: Mapping[str, Mapping[str, Field]] = {
    "rules": {"rules": Field("rules", required=True), "per": Field("per", default="dockerfile")},
    "base_digests": {},
    "base_hierarchy": {},
    "heavy_packages_once": {},
    "cache_mounts": {"managers": Field("managers", default=CACHE_MANAGERS)},
    "layer_order": {},
    "requirement_files": {},
    "versions_file": {"path": Field("str", default="docker/versions.txt")},
    "build_order": {},
    "dockerignore": {},
    "system_packages": {},
    "non_root": {},
    "healthcheck": {},
    "max_size_mb": _LIMIT,
    "max_wasted_mb": _LIMIT,
    "max_code_change_rebuild_s": _LIMIT,
    "max_build_s": _LIMIT,
}
_REQUIREMENT_KEYS = frozenset({"id", "title", "category", "weight", "description", "check"})
_TOP_KEYS = frozenset({"name", "description", "requirements"})


@dataclass(frozen=True)
class Check:
    """What satisfies a requirement: a kind and its fields (defaults filled in)."""

    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.options[name]


@dataclass(frozen=True)
class PolicyRequirement:
    requirement: Requirement
    check: Check

    @property
    def id(self) -> str:
        return self.requirement.id


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    source: str  # "built-in" or the file's path
    requirements: tuple[PolicyRequirement, ...]

    def rule_ids(self) -> frozenset[str]:
        """Every rule id the ``rules`` checks of this policy name (prefixes expanded)."""
        known = all_rules()
        found: set[str] = set()
        for item in self.requirements:
            if item.check.kind == "rules":
                for selector in item.check.get("rules"):
                    found.update(rule for rule in known if rule.startswith(selector.upper()))
        return frozenset(found)


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the built-in default policy when None."""
    if path is None:
        text = resources.files("dockopt.verify").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
        return parse_policy(text, BUILT_IN)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read policy: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: policy is not valid UTF-8") from exc
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            detail = _TOML_POSITION.sub("", message).strip()
            raise ConfigError(f"{source}:{position[1]}:{position[2]}: invalid TOML: {detail}") from exc
        raise ConfigError(f"{source}: invalid TOML: {message}") from exc
    return _Reader(text, source).policy(data)


class _Reader:
    """Turns the parsed TOML into a Policy, with errors that name the file and the line."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, line in enumerate(self.lines) if _REQUIREMENT_HEADER.match(line)]

    def policy(self, data: dict[str, Any]) -> Policy:
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            key = unknown[0]
            raise self.error(self.top_line(key), f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
        name = data.get("name", "")
        description = data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                raise self.error(self.top_line(key), f"{key} must be a string")
        raw = data.get("requirements", [])
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise self.error(
                self.top_line("requirements"), "requirements must be an array of tables ([[requirements]])"
            )
        if not raw:
            raise self.error(1, "the policy has no requirements ([[requirements]] tables)")
        requirements: list[PolicyRequirement] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            requirement = self.requirement(index, item)
            if requirement.id in seen:
                raise self.error(
                    self.line(index, "id"),
                    f"requirement id {requirement.id!r} is used twice (first at line {seen[requirement.id]})",
                )
            seen[requirement.id] = self.line(index, "id")
            requirements.append(requirement)
        return Policy(name or "dockopt policy", description, self.source, tuple(requirements))

    def requirement(self, index: int, item: dict[str, Any]) -> PolicyRequirement:
        label = f"requirement {item['id']!r}" if isinstance(item.get("id"), str) else f"requirement #{index + 1}"
        unknown = sorted(set(item) - _REQUIREMENT_KEYS)
        if unknown:
            key = unknown[0]
            known = ", ".join(sorted(_REQUIREMENT_KEYS))
            raise self.error(self.line(index, key), f"{label}: unknown key {key!r} (known: {known})")
        for key in ("id", "title", "category", "check"):
            if key not in item:
                raise self.error(self.line(index, None), f"{label}: missing {key!r}")
        for key in ("id", "title", "category", "description"):
            if key in item and (not isinstance(item[key], str) or (key != "description" and not item[key].strip())):
                raise self.error(self.line(index, key), f"{label}: {key} must be a non-empty string")
        if not _ID.match(item["id"]):
            raise self.error(
                self.line(index, "id"),
                f"{label}: id must be lower case letters, digits, '-', '.' or '_' (like 'cache-mounts')",
            )
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise self.error(self.line(index, "weight"), f"{label}: weight must be a positive number")
        check = self.check(index, label, item["check"])
        requirement = Requirement(
            id=item["id"],
            title=item["title"].strip(),
            category=item["category"].strip(),
            weight=float(weight),
            description=" ".join(item.get("description", "").split()),
            kind=check.kind,
        )
        return PolicyRequirement(requirement, check)

    def check(self, index: int, label: str, raw: object) -> Check:
        if not isinstance(raw, dict):
            raise self.error(self.line(index, "check"), f"{label}: check must be a table with a kind")
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in CHECK_KINDS:
            kinds = ", ".join(CHECK_KINDS)
            raise self.error(self.line(index, "kind"), f"{label}: check kind {kind!r} is not one of: {kinds}")
        fields = CHECK_KINDS[kind]
        unknown = sorted(set(raw) - set(fields) - {"kind"})
        if unknown:
            allowed = ", ".join(fields) or "none"
            raise self.error(
                self.line(index, unknown[0]),
                f"{label}: check kind {kind!r} has no field {unknown[0]!r} (its fields: {allowed})",
            )
        options: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in raw:
                if spec.required:
                    raise self.error(self.line(index, "kind"), f"{label}: check kind {kind!r} needs {name!r}")
                options[name] = spec.default
                continue
            problem = _field_problem(spec, raw[name])
            if problem:
                raise self.error(self.line(index, name), f"{label}: {name} {problem}")
            value = raw[name]
            options[name] = tuple(value) if isinstance(value, list) else value
        return Check(kind, options)

    # -- where things are written -----------------------------------------------------------
    def line(self, index: int, key: str | None) -> int:
        """The line of ``key`` inside the index-th ``[[requirements]]`` block (its header without a key)."""
        if index >= len(self.headers):
            return 1  # requirements written as an inline array: no header to point at
        start = self.headers[index]
        end = self.headers[index + 1] - 1 if index + 1 < len(self.headers) else len(self.lines)
        if key is not None:
            pattern = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=")
            for number in range(start + 1, end + 1):
                if pattern.search(self.lines[number - 1]):
                    return number
        return start

    def top_line(self, key: str) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number, text in enumerate(self.lines, 1):
            if _TABLE_HEADER.match(text):
                break
            if pattern.match(text):
                return number
        return 1

    def error(self, line: int, message: str) -> ConfigError:
        return ConfigError(f"{self.source}:{line}: {message}")


def _field_problem(spec: Field, value: object) -> str | None:
    """Why ``value`` does not fit ``spec``, or None."""
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return "must be a number of at least 0"
        return None
    if spec.type == "str":
        return None if isinstance(value, str) and value.strip() else "must be a non-empty string"
    if spec.type == "per":
        return None if value in PER_VALUES else f"must be one of {', '.join(PER_VALUES)}"
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return "must be a non-empty list of strings"
    if spec.type == "rules":
        known = frozenset(all_rules())
        for selector in value:
            try:
                check_rule_selector(selector, known, "rules")
            except ConfigError:
                return f"names {selector!r}, which matches no rule (see `dockopt rules`)"
    if spec.type == "managers":
        unknown = [v for v in value if v not in CACHE_MANAGERS]
        if unknown:
            return f"names {unknown[0]!r}; known package managers: {', '.join(CACHE_MANAGERS)}"
    return None
