"""What `dockopt init` needs to know of a Python project, read from its files.

``read_project(root)`` reads pyproject.toml (PEP 621 ``[project]``: dependencies, optional
dependencies, scripts; ``[build-system]``: the build backend; Poetry's ``[tool.poetry]``), the
requirements file the image should install (and the files it includes with ``-r``/``-c``),
``uv.lock`` and ``poetry.lock`` (for the package manager and the locked versions of heavy
packages). The entry point is found by ``scaffold.entrypoint``.

A file that cannot be parsed raises ``ConfigError`` naming the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockopt.errors import ConfigError
from dockopt.heavy import is_heavy
from dockopt.shell.requirements import Requirement, canonical_name, logical_lines, parse_requirement

# Requirement files installed into the image, in order of preference; dev/test files never are.
MAIN_REQUIREMENTS = (
    "requirements.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
    "requirements/main.txt",
    "requirements/base.txt",
    "requirements-prod.txt",
    "requirements-production.txt",
    "requirements-main.txt",
    "requirements-base.txt",
)
# PyTorch's packages come from its own wheel index per accelerator (scaffold.variants).
TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")
FRAMEWORKS = ("torch", "tensorflow", "jax")
_INCLUDE = re.compile(r"(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_IMAGE_NAME = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class HeavyRequirement:
    """A heavy package the project depends on, as the install should name it (``torch==2.2.2``)."""

    name: str
    specifier: str  # "" when the project does not constrain it
    source: str  # the file that names it

    @property
    def argument(self) -> str:
        return f"{self.name}{self.specifier}"


@dataclass(frozen=True)
class Project:
    """A Python project as init sees it. Paths are relative to ``root``, ``/``-separated."""

    root: Path
    name: str  # usable as an image name
    version: str | None
    manager: str  # "pip", "uv" or "poetry"
    has_pyproject: bool
    build_backend: str | None  # [build-system] build-backend
    installable: bool  # the project itself is a package the build can install
    dependencies: tuple[Requirement, ...]  # the main dependencies, wherever they are declared
    pyproject_dependencies: bool  # [project].dependencies is not empty (pip installs it from pyproject.toml)
    optional_dependencies: dict[str, tuple[str, ...]]
    scripts: dict[str, str]  # console scripts: name -> "module:function"
    requirements: tuple[str, ...]  # the requirements file to install first, then the files it includes
    lock_file: str | None  # "uv.lock" or "poetry.lock"
    locked_versions: dict[str, str]  # canonical name -> version, from the lock file
    python_version_file: bool  # .python-version (uv reads it)
    heavy: tuple[HeavyRequirement, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The ML frameworks among the dependencies (torch, tensorflow, jax)."""
        names = {r.name for r in self.dependencies}
        return tuple(f for f in FRAMEWORKS if f in names or (f == "tensorflow" and "tensorflow-cpu" in names))

    @property
    def torch(self) -> tuple[HeavyRequirement, ...]:
        """torch, torchvision and torchaudio, when the project depends on them."""
        return tuple(h for h in self.heavy if h.name in TORCH_PACKAGES)

    def depends_on(self, name: str) -> bool:
        return any(r.name == name for r in self.dependencies)

    def depends_on_extra(self, name: str, extra: str) -> bool:
        return any(r.name == name and extra in r.extras for r in self.dependencies)


def read_project(root: Path) -> Project:
    """Read the project at ``root``; ConfigError for a file that cannot be parsed."""
    pyproject_path = root / "pyproject.toml"
    data = _load_toml(pyproject_path) if pyproject_path.is_file() else {}
    project = _table(data, "project", pyproject_path)
    poetry = _table(_table(data, "tool", pyproject_path), "poetry", pyproject_path)
    build_system = _table(data, "build-system", pyproject_path)

    uv_lock = (root / "uv.lock").is_file()
    poetry_lock = (root / "poetry.lock").is_file()
    manager = "uv" if uv_lock else "poetry" if poetry_lock or poetry else "pip"
    lock_file = "uv.lock" if uv_lock else "poetry.lock" if poetry_lock else None
    locked = _locked_versions(root / lock_file) if lock_file else {}

    pyproject_entries = _strings(project.get("dependencies", []), pyproject_path, "project.dependencies")
    dependencies = [_requirement(entry, pyproject_path, "project.dependencies") for entry in pyproject_entries]
    dependencies += _poetry_dependencies(poetry, pyproject_path)
    requirements, installed_files = _main_requirements(root)
    heavy_sources: dict[str, tuple[Requirement, str]] = {
        r.name: (r, "pyproject.toml") for r in dependencies if is_heavy(r.name)
    }
    for file in installed_files:
        for requirement in _read_requirements(root / file):
            dependencies.append(requirement)
            if is_heavy(requirement.name):
                heavy_sources.setdefault(requirement.name, (requirement, file))

    optional = {
        str(extra): tuple(_strings(entries, pyproject_path, f"project.optional-dependencies.{extra}"))
        for extra, entries in _table(project, "optional-dependencies", pyproject_path).items()
    }
    scripts = {str(k): str(v) for k, v in _table(project, "scripts", pyproject_path).items()}
    scripts.update({str(k): str(v) for k, v in _table(poetry, "scripts", pyproject_path).items() if isinstance(v, str)})

    backend = build_system.get("build-backend")
    backend = backend if isinstance(backend, str) else None
    package_mode = poetry.get("package-mode", True) is not False
    installable = backend is not None and (manager != "poetry" or package_mode)
    name = str(project.get("name") or poetry.get("name") or root.resolve().name)
    version = project.get("version") or poetry.get("version")

    heavy = tuple(
        HeavyRequirement(n, _install_specifier(requirement, locked.get(n)), source)
        for n, (requirement, source) in heavy_sources.items()
    )
    return Project(
        root=root,
        name=_IMAGE_NAME.sub("-", name.lower()).strip("-._") or "app",
        version=str(version) if version else None,
        manager=manager,
        has_pyproject=pyproject_path.is_file(),
        build_backend=backend,
        installable=installable,
        dependencies=tuple(dependencies),
        pyproject_dependencies=bool(pyproject_entries),
        optional_dependencies=optional,
        scripts=scripts,
        requirements=requirements,
        lock_file=lock_file,
        locked_versions=locked,
        python_version_file=(root / ".python-version").is_file(),
        heavy=heavy,
        notes=tuple(_notes(uv_lock, poetry_lock)),
    )


def _notes(uv_lock: bool, poetry_lock: bool) -> list[str]:
    if uv_lock and poetry_lock:
        return ["both uv.lock and poetry.lock exist: the Dockerfiles install with uv (uv.lock)"]
    return []


def _install_specifier(requirement: Requirement, locked: str | None) -> str:
    """The locked version when there is a lock, else the project's own specifier."""
    return f"=={locked}" if locked else requirement.specifier


# -- TOML ----------------------------------------------------------------------------------------


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _TOML_LINE.search(message)
        if where is None:
            raise ConfigError(f"{path}: not valid TOML: {message}") from exc
        reason = message[: where.start()].strip()
        raise ConfigError(f"{path}:{where.group(1)}:{where.group(2)}: not valid TOML: {reason}") from exc


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table")
    return value


def _strings(value: object, path: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of strings")
    return list(value)


def _requirement(entry: str, path: Path, key: str) -> Requirement:
    requirement = parse_requirement(entry)
    if requirement is None:
        raise ConfigError(f"{path}:{_line_of(path, entry)}: `{key}` has an entry pip cannot read: {entry!r}")
    return requirement


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((number for number, line in enumerate(lines, 1) if text in line), 1)


def _poetry_dependencies(poetry: dict[str, Any], path: Path) -> list[Requirement]:
    """``[tool.poetry.dependencies]``: names and, for plain version strings, the version (``^2.2`` kept as is)."""
    dependencies = _table(poetry, "dependencies", path)
    result = []
    for name in dependencies:
        if canonical_name(name) != "python":
            constraint = dependencies[name]
            version = constraint if isinstance(constraint, str) else ""
            specifier = version if version[:1] in "=<>!~" else (f"=={version}" if version[:1].isdigit() else "")
            result.append(Requirement(canonical_name(name), specifier=specifier))
    return result


def _locked_versions(path: Path) -> dict[str, str]:
    """Package versions from uv.lock or poetry.lock (both are TOML with ``[[package]]`` name and version)."""
    data = _load_toml(path)
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise ConfigError(f"{path}: `package` must be an array of tables")
    return {
        canonical_name(p["name"]): str(p["version"])
        for p in packages
        if isinstance(p, dict) and isinstance(p.get("name"), str) and "version" in p
    }


# -- requirements files --------------------------------------------------------------------------


def _main_requirements(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The requirements file the image installs and the files it includes (-r, -c), as context paths;
    and those of them that list requirements (not only constraints)."""
    main = next((name for name in MAIN_REQUIREMENTS if (root / name).is_file()), None)
    if main is None:
        return (), ()
    found = [main]
    installed = [main]
    for file in found:
        text = _read_text(root / file)
        for start, _, _, line in logical_lines(text):
            include = _INCLUDE.match(line)
            if include is None:
                continue
            target = (Path(file).parent / include.group(2)).as_posix()
            if not (root / target).is_file():
                raise ConfigError(f"{root / file}:{start}: includes {include.group(2)}, which does not exist")
            if target not in found:
                found.append(target)
            if include.group(1) in ("-r", "--requirement") and file in installed and target not in installed:
                installed.append(target)
    return tuple(found), tuple(installed)


def _read_requirements(path: Path) -> list[Requirement]:
    """The requirements a file names itself (options, includes, URLs and local paths are pip's business)."""
    result = []
    for start, _, _, line in logical_lines(_read_text(path)):
        if line.startswith(("-", ".", "/")) or "://" in line:
            continue
        requirement = parse_requirement(line.split(" --", 1)[0])
        if requirement is None:
            raise ConfigError(f"{path}:{start}: not a requirement pip can read: {line!r}")
        result.append(requirement)
    return result


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
