"""Configuration: ``[tool.dockopt]`` in pyproject.toml or a ``.dockopt.toml``, plus command-line overrides.

Keys (kebab-case)::

    select = ["DO1", "DO501"]        # rule ids or prefixes; "ALL" for every rule
    extend-select = ["DO305"]        # added to the default selection
    ignore = ["DO104"]
    fail-on = "warning"              # exit 1 when a finding is at least this severe
    exclude = ["third_party/**"]     # paths never searched for Dockerfiles
    [severity]                       # per-rule severity overrides
    DO203 = "warning"
    [per-file-ignores]               # glob (relative to the config file) -> rule ids
    "legacy/**" = ["DO401"]
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dockopt.errors import ConfigError
from dockopt.findings import Severity

_KNOWN_KEYS = frozenset({"select", "extend-select", "ignore", "fail-on", "exclude", "severity", "per-file-ignores"})


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: the rules enabled by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    root: Path | None = None  # directory of the config file; per-file globs are relative to it
    source: Path | None = None

    def with_overrides(
        self,
        select: tuple[str, ...] | None = None,
        extend_select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        fail_on: Severity | None = None,
    ) -> Config:
        return replace(
            self,
            select=select if select is not None else self.select,
            extend_select=self.extend_select + extend_select,
            ignore=self.ignore + ignore,
            fail_on=fail_on or self.fail_on,
        )

    def is_enabled(self, rule_id: str, enabled_by_default: bool) -> bool:
        """Most specific match wins between a selection and an ignore (``DO5`` vs ``DO501``)."""
        chosen = _best_match(rule_id, (*(self.select or ()), *self.extend_select))
        dropped = _best_match(rule_id, self.ignore)
        if chosen is None:
            selected = enabled_by_default and self.select is None
            chosen_len = -1
        else:
            # A default-off rule is only switched on when named (or by a prefix of it, or ALL).
            selected = True
            chosen_len = chosen
        if dropped is not None and dropped >= chosen_len:
            return False
        return selected

    def ignored_for_path(self, display_path: str, rule_id: str) -> bool:
        if not self.per_file_ignores:
            return False
        path = _path_in_project(display_path, self.root, str(Path.cwd()) if self.root is not None else "")
        for pattern, rules in self.per_file_ignores.items():
            if _path_matches(path, pattern) and _best_match(rule_id, rules) is not None:
                return True
        return False

    def is_excluded(self, relative_path: str) -> bool:
        return any(_path_matches(relative_path, pattern) for pattern in self.exclude)


@functools.lru_cache(maxsize=256)  # asked once per rule for the same file
def _path_in_project(display_path: str, root: Path | None, cwd: str) -> str:  # noqa: ARG001 (a key: paths resolve against it)
    """The path relative to the configuration's directory (as written when there is none)."""
    path = display_path.replace("\\", "/")
    if root is not None:
        with contextlib.suppress(ValueError):
            path = Path(display_path).resolve().relative_to(root.resolve()).as_posix()
    return path


def _path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*"):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def _best_match(rule_id: str, patterns: tuple[str, ...]) -> int | None:
    """Length of the longest pattern that matches ``rule_id`` ("ALL" matches with length 0)."""
    best: int | None = None
    for pattern in patterns:
        pat = pattern.strip().upper()
        if pat == "ALL":
            length = 0
        elif rule_id.startswith(pat):
            length = len(pat)
        else:
            continue
        if best is None or length > best:
            best = length
    return best


def find_config(start: Path) -> Path | None:
    """The nearest ``.dockopt.toml``, or ``pyproject.toml`` with ``[tool.dockopt]``, at or above ``start``."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for candidate_dir in (directory, *directory.parents):
        dedicated = candidate_dir / ".dockopt.toml"
        if dedicated.is_file():
            return dedicated
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "dockopt" in data["tool"]


def load_config(path: Path, known_rules: frozenset[str]) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8") from exc
    section: Any = data
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("dockopt", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.dockopt] must be a table")
    return config_from_mapping(section, path, known_rules)


def config_from_mapping(section: dict[str, Any], path: Path, known_rules: frozenset[str]) -> Config:
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}")

    def rule_list(key: str) -> tuple[str, ...]:
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {key} must be a list of rule ids")
        for item in value:
            check_rule_selector(item, known_rules, f"{path}: {key}")
        return tuple(value)

    severity: dict[str, Severity] = {}
    raw_severity = section.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise ConfigError(f"{path}: severity must be a table of rule id = severity")
    for rule_id, level in raw_severity.items():
        check_rule_selector(rule_id, known_rules, f"{path}: severity")
        try:
            severity[rule_id.upper()] = Severity.parse(str(level))
        except ValueError as exc:
            raise ConfigError(f"{path}: severity.{rule_id}: {exc}") from exc
    per_file: dict[str, tuple[str, ...]] = {}
    raw_per_file = section.get("per-file-ignores", {})
    if not isinstance(raw_per_file, dict):
        raise ConfigError(f"{path}: per-file-ignores must be a table of glob = [rule ids]")
    for pattern, rules in raw_per_file.items():
        if not isinstance(rules, list):
            raise ConfigError(f"{path}: per-file-ignores.{pattern!r} must be a list of rule ids")
        for item in rules:
            check_rule_selector(str(item), known_rules, f"{path}: per-file-ignores")
        per_file[str(pattern)] = tuple(str(r) for r in rules)
    fail_on = Severity.WARNING
    if "fail-on" in section:
        try:
            fail_on = Severity.parse(str(section["fail-on"]))
        except ValueError as exc:
            raise ConfigError(f"{path}: fail-on: {exc}") from exc
    exclude = section.get("exclude", [])
    if not isinstance(exclude, list):
        raise ConfigError(f"{path}: exclude must be a list of globs")
    return Config(
        select=rule_list("select") if "select" in section else None,
        extend_select=rule_list("extend-select"),
        ignore=rule_list("ignore"),
        fail_on=fail_on,
        exclude=tuple(str(e) for e in exclude),
        severity=severity,
        per_file_ignores=per_file,
        root=path.parent.resolve(),
        source=path,
    )


def check_rule_selector(selector: str, known_rules: frozenset[str], where: str) -> None:
    """A selector must be ALL, a known rule id, or a prefix of at least one."""
    sel = selector.strip().upper()
    if sel == "ALL" or (any(rule.startswith(sel) for rule in known_rules) and sel.startswith("DO")):
        return
    raise ConfigError(f"{where}: {selector!r} matches no rule (rule ids look like DO501; prefixes like DO5 work)")
