"""DO101: dependency install after a broad COPY in the same stage."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._cache import INSTALLING, operations, spelling
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Flag, PackageOperation
from dockopt.syntax import Instruction

_MANAGERS = frozenset({"pip", "uv", "poetry", "conda", "npm", "yarn", "pnpm"})
# The installer's own tooling: cheap, and often installed together with the code on purpose.
_BOOTSTRAP = frozenset(
    {"pip", "setuptools", "wheel", "poetry", "uv", "pipx", "pip-tools", "virtualenv", "pdm", "hatch"}
)
_VERBS = frozenset({"install", "sync", "add", "ci", "i", "create", "update", "upgrade"})
# Files read by installs, or that rarely change: copying them alone is what the fix does.
_MANIFEST_FILES = frozenset(
    {
        "pyproject.toml", "poetry.lock", "uv.lock", "pdm.lock", "setup.py", "setup.cfg", "pipfile", "pipfile.lock",
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
        "pnpm-workspace.yaml", ".npmrc", ".yarnrc", ".yarnrc.yml", "environment.yml", "environment.yaml",
        "conda-lock.yml", "manifest.in", ".python-version",
    }
)  # fmt: skip
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".deb")
# Names without a dot that are files, not directories.
_PLAIN_FILES = frozenset(
    {
        "makefile", "dockerfile", "containerfile", "license", "licence", "notice", "readme", "pipfile",
        "procfile", "gemfile", "version", "changelog", "authors", "justfile", "rakefile", "taskfile",
    }
)  # fmt: skip
# Directories that hold manifests or prebuilt dependencies, not code.
_MANIFEST_DIRS = ("requirement", "reqs", "constraint", "deps", "lock", "wheel", "conda")


class InstallAfterBroadCopy(Rule):
    """Dependencies installed after a COPY of the whole context (or of the source tree).

    What it does:
        Flags the first dependency install of each package manager (pip, uv, poetry, conda, npm, yarn,
        pnpm) that runs after a broad COPY or ADD in the same stage: `COPY . .`, `COPY src/ ./src/`,
        `ADD . /app`, a glob over code. A COPY of single files (manifests, lock files, a script) and
        `COPY --from` are not broad. Not reported: installing the project itself after its
        dependencies were installed before the broad COPY (`pip install --no-deps .`,
        `uv sync` after `uv sync --no-install-project`, `poetry install --only-root`), and installs of
        only the installer's tooling (pip, setuptools, wheel, poetry, uv, pipx). The message names the
        COPY line.

    Why is this bad?
        BuildKit reuses a RUN layer only while every earlier layer is unchanged. After `COPY . .`, any
        edit to any file in the context (a comment in one module) invalidates the install, and every
        rebuild downloads and installs all dependencies again: minutes, or tens of minutes with
        torch and CUDA wheels, for a one-line change.

    Example:
        ```dockerfile
        WORKDIR /app
        COPY . .
        RUN pip install -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        COPY . .
        ```

    Fix safety:
        Unsafe: the fix copies the manifests the install reads before it and moves the broad COPY
        after it. An install step that also needs other files of the context (a local package, a
        build script named in setup.py) would then fail, so the change needs a look.
    """

    id = "DO101"
    name = "install-after-broad-copy"
    severity = Severity.WARNING
    groups = ("cache",)
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            broad: tuple[Instruction, str] | None = None
            installed: dict[str, set[str]] = {}  # manager -> requirement files installed before the broad COPY
            reported: set[str] = set()
            for state in stage.states:
                ins = state.instruction
                if ins.keyword in ("COPY", "ADD") and broad is None:
                    source = _broad_source(ctx, ins)
                    if source is not None:
                        broad = (ins, source)
                    continue
                if ins.keyword != "RUN":
                    continue
                script = ctx.script(ins)
                if script is None:
                    continue
                for operation in operations(ctx, state, script):
                    if operation.manager not in _MANAGERS or operation.action not in INSTALLING:
                        continue
                    if broad is None:
                        installed.setdefault(operation.manager, set()).update(operation.requirement_files)
                        continue
                    if operation.manager in reported or _excused(operation, installed):
                        continue
                    reported.add(operation.manager)
                    command = operation.command
                    yield self.finding(ctx, (command.start, command.end), _message(operation, *broad))


def _broad_source(ctx: FileContext, ins: Instruction) -> str | None:
    """The first source of a COPY/ADD that brings in the code (``.``, a directory, a glob over code)."""
    if ins.flag("from") is not None or ins.heredocs:
        return None
    values = ctx.expansion.at(ins).values or ins.values
    for source in values[:-1]:
        if "://" in source or source.startswith("git@"):
            continue
        if _is_broad(source):
            return source
    return None


def _is_broad(source: str) -> bool:
    text = source.strip()
    while text.startswith("./"):
        text = text[2:]
    if text in ("", ".", "/", "*"):
        return True
    path = text.rstrip("/")
    name = posixpath.basename(path).lower()
    if any(ch in posixpath.dirname(path) for ch in "*?["):
        return True
    if any(ch in name for ch in "*?["):
        return not _manifest_pattern(name)
    if text.endswith("/") or ("." not in name and name not in _PLAIN_FILES):
        return not any(word in name for word in _MANIFEST_DIRS)  # a directory
    return False


def _manifest_pattern(name: str) -> bool:
    """A glob that selects manifests: ``requirements*.txt``, ``package*.json``, ``*.lock``."""
    if name.endswith((".txt", ".lock", ".toml", ".cfg", ".yml", ".yaml", ".in")):
        return True
    return name.startswith(("package", "requirement", "constraint", "poetry", "uv", "pyproject"))


def _excused(operation: PackageOperation, installed: dict[str, set[str]]) -> bool:
    files = operation.requirement_files
    project = operation.manifests or operation.local_paths or operation.editable
    if not files and not project and not operation.urls:
        named = {p.name for p in operation.packages}
        return not named or named <= _BOOTSTRAP  # nothing known, or only the installer's tooling
    if files:
        return set(files) <= installed.get(operation.manager, set())
    if Flag.NO_DEPS in operation.flags or operation.command.has_flag("--only-root"):
        return True  # the project alone: its dependencies come from elsewhere
    return operation.manager in installed  # the dependencies were installed before the broad COPY


def _message(operation: PackageOperation, copy: Instruction, source: str) -> str:
    written = f"`{spelling(operation.command, _VERBS)}`"
    what = f"`{copy.keyword} {' '.join(copy.values)}` (line {copy.start_line})"
    scope = "in the build context" if source.strip("./*") == "" else f"under {source}"
    head = (
        f"{written} runs after {what}: a change to any file {scope} invalidates this layer and every "
        "rebuild reinstalls the dependencies; "
    )
    manager = operation.manager
    project = [p for p in operation.local_paths if not p.endswith(_ARCHIVES)]
    if not (operation.requirement_files or operation.manifests or project or operation.editable):
        return head + f"it needs nothing the COPY brings in: move it above line {copy.start_line}"
    if operation.requirement_files:
        files = ", ".join(_in_context(f, copy, source) for f in operation.requirement_files)
        return head + f"copy only {files} before this RUN and the rest of the code after it"
    if manager == "uv":
        return head + (
            "copy pyproject.toml and uv.lock first and run `uv sync --locked --no-install-project` before the "
            "broad COPY; after it, `uv sync --locked` only installs the project"
        )
    if manager == "poetry":
        return head + (
            "copy pyproject.toml and poetry.lock first and run `poetry install --no-root` before the broad COPY; "
            "after it, `poetry install --only-root` only installs the project"
        )
    if manager in ("npm", "yarn", "pnpm"):
        return head + "copy package.json and its lock file first, install, then copy the rest"
    if manager == "conda":
        return head + "copy the environment file first, create the environment, then copy the rest"
    return head + (
        "copy the project metadata (pyproject.toml, setup.cfg/setup.py) or a requirements file first and "
        "install the dependencies before the broad COPY; after it, `pip install --no-deps .` only installs "
        "the project"
    )


def _in_context(path: str, copy: Instruction, source: str) -> str:
    """``/srv/requirements.txt`` after ``COPY . /srv`` is ``requirements.txt`` in the context."""
    destination = copy.values[-1].rstrip("/")
    if source.strip("./") == "" and destination.startswith("/") and path.startswith(destination + "/"):
        return path[len(destination) + 1 :]
    return path
