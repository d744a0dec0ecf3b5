"""DO101: dependency install after a broad COPY in the same stage."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel, State
from dockopt.rules._cache import INSTALLING, operations, spelling
from dockopt.rules._insert import indentation, line_ending
from dockopt.rules._runfix import body
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Script
from dockopt.shell.packages import Flag, PackageOperation
from dockopt.syntax import Comment, Instruction

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
        Unsafe. For `COPY . <dest>` (or `ADD . <dest>`), the fix inserts before it a
        `COPY <manifests> <dest>/` (with the broad COPY's --chown/--chmod) of exactly the files the
        install reads, as context paths: the requirement and constraint files it names (and, when the
        build context is known, the files they include with -r/-c; each must exist there),
        pyproject.toml + poetry.lock (+ poetry.toml) for poetry, pyproject.toml + uv.lock
        (+ .python-version) for `uv sync`, package.json + package-lock.json for `npm ci`
        (`package*.json` for `npm install` when the context is not known), and for `pip install .` /
        `pip install -e .` the project's requirements.lock or requirements.txt next to its
        pyproject.toml (context known only), installed with `pip install -r`. Then, when the RUN only
        installs from those files and named packages, the whole RUN moves above the broad COPY;
        otherwise a RUN with the install alone goes there (with what precedes it in the RUN when that
        only installs named packages, such as poetry itself), as `poetry install --no-root` or
        `uv sync --no-install-project`, and the original RUN stays after the COPY, where it finds the
        dependencies installed and only installs the project. The build can break or change: the install
        may read files it does not name (a setup.py that reads the source, a local package, a path
        dependency, a VCS checkout), and the steps between the COPY and the install now run after it.
        No fix when that is likely: a requirements file names a local path; the pyproject has path
        sources or a workspace; a file is missing from the context; anything between the COPY and the
        install sets what it sees (ENV, ARG, USER, WORKDIR, SHELL), brings files (COPY, ADD) or runs more
        than file and account housekeeping; the COPY is not of the whole context; or the install is of
        the project itself and no requirements file lists its dependencies apart from the code.
        The build context is the Dockerfile's directory when the file is on disk; for text linted alone
        the paths the command names are used as they are.
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
                    fix = _fix(ctx, stage, broad[0], state, script, operation)
                    yield self.finding(ctx, (command.start, command.end), _message(operation, *broad), fix=fix)


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


# -- the fix ---------------------------------------------------------------------------------------------

# Between the broad COPY and the install, these change nothing the install reads.
_INERT = frozenset({"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER"})
# Commands of a RUN between them that only arrange files and accounts.
_HOUSEKEEPING = frozenset(
    {
        "chown", "chmod", "chgrp", "mkdir", "touch", "ln", "rm", "cp", "mv", "echo", "printf", "true",
        "useradd", "groupadd", "adduser", "addgroup", "install",
    }
)  # fmt: skip
_COPY_FLAGS = frozenset({"chown", "chmod", "link"})
# A requirements line that names a local directory or file: the install would need more of the context.
_LOCAL_REQUIREMENT = re.compile(r"^(?:-e|--editable)?\s*(?:\.|/|file:)|@\s*file:")
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=?\s*)(\S+)")
_PLAIN_PATH = re.compile(r"^[\w./@+-]+$")


@dataclass(frozen=True)
class _Plan:
    """What goes before the broad COPY: the manifests (context paths), and either the install RUN itself
    (moved) or an install of the dependencies alone (``early``), after which the original RUN stays."""

    manifests: tuple[str, ...]
    early: str | None


def _fix(
    ctx: FileContext, stage: StageModel, copy: Instruction, state: State, script: Script, operation: PackageOperation
) -> Fix | None:
    run = state.instruction
    values = ctx.expansion.at(copy).values or copy.values
    if len(copy.values) != 2 or len(values) != 2 or values[0].strip().rstrip("/") not in (".", ""):
        return None  # only `COPY . <dest>`: the context path of every file is known
    if any(flag.name not in _COPY_FLAGS for flag in copy.flags) or "$" in values[1] or run.arguments_span is None:
        return None
    if not _nothing_needed_between(ctx, stage, copy, run):
        return None
    destination = posixpath.normpath(posixpath.join(ctx.state(copy).workdir, values[1]))
    plan = _plan(ctx, state, script, operation, destination)
    if plan is None:
        return None
    lines = _manifest_copies(copy, plan.manifests)
    indent = indentation(ctx.df, copy)
    eol = line_ending(ctx.df)
    inserted = "".join(f"{indent}{line}{eol}" for line in lines)
    at = _block_start(ctx, copy)  # the edits below rewrite its first character: a fix of the COPY waits
    edits: list[Edit] = []
    if plan.early is None:
        start = _block_start(ctx, run)
        moved = ctx.df.text[start : run.span.end]
        if not moved.endswith("\n"):
            moved += eol
        edits.append(Edit(at, at + 1, inserted + moved + ctx.df.text[at : at + 1]))
        edits.append(Edit(start, run.span.end, ""))
        what = f"move the RUN on line {run.start_line} above line {copy.start_line}"
    else:
        flags = "".join(f"{flag.raw} " for flag in run.flags)
        edits.append(Edit(at, at + 1, f"{inserted}{indent}RUN {flags}{plan.early}{eol}{ctx.df.text[at : at + 1]}"))
        what = f"install the dependencies with `{plan.early}` above line {copy.start_line}"
    if plan.manifests:
        what = f"copy {', '.join(plan.manifests)} and {what}"
    return Fix(FixSafety.UNSAFE, what, tuple(edits))


def _nothing_needed_between(ctx: FileContext, stage: StageModel, copy: Instruction, run: Instruction) -> bool:
    """Between the COPY and the install: nothing that sets what the install sees (ENV, ARG, USER, WORKDIR,
    SHELL), brings files (COPY, ADD) or runs more than file and account housekeeping."""
    for state in stage.states:
        ins = state.instruction
        if ins.span.start <= copy.span.start:
            continue
        if ins.span.start >= run.span.start:
            return True
        if ins.keyword in _INERT:
            continue
        if ins.keyword != "RUN":
            return False
        script = ctx.script(ins)
        if script is None or script.has_error or operations(ctx, state, script):
            return False
        if any(command.name not in _HOUSEKEEPING for command in script.commands):
            return False
    return True


def _plan(
    ctx: FileContext, state: State, script: Script, operation: PackageOperation, destination: str
) -> _Plan | None:
    workdir = state.workdir
    context = _context_dir(ctx)
    manager = operation.manager
    command = operation.command
    text = _through(ctx, state, script, operation)
    if text is None:
        return None

    def in_context(path: str) -> str | None:
        """The context path of a file the install names (relative to its working directory)."""
        absolute = posixpath.normpath(posixpath.join(workdir, path))
        if not absolute.startswith(destination.rstrip("/") + "/") or not _PLAIN_PATH.match(path):
            return None
        return absolute[len(destination.rstrip("/")) + 1 :]

    if manager in ("pip", "uv") and not operation.manifests:
        if operation.local_paths or operation.editable:
            return _project_plan(state, operation, destination, context, text)
        if operation.urls:
            return None
        files = [in_context(f) for f in (*operation.requirement_files, *operation.constraint_files)]
        if any(f is None for f in files):
            return None
        manifests = _with_includes(context, [f for f in files if f is not None])
        if manifests is None:
            return None
        if _only_installs(ctx, state, script, {operation.manager}):
            every = _all_files(ctx, state, script, in_context)
            moved = None if every is None else _with_includes(context, every)
            return None if moved is None else _Plan(tuple(moved), None)
        return _Plan(tuple(manifests), text) if manifests and text else None
    if manager in ("uv", "poetry") and operation.manifests:
        names = [in_context(m) for m in operation.manifests]
        if any(n is None for n in names) or command.has_flag("--only-root"):
            return None
        found = [n for n in names if n is not None]
        directory = posixpath.dirname(found[0])
        extra = ".python-version" if manager == "uv" else "poetry.toml"
        if context is not None:
            if not all((context / n).is_file() for n in found) or _path_dependencies(context / found[0]):
                return None
            if (context / directory / extra).is_file():
                found.append(posixpath.join(directory, extra))
        if Flag.NO_ROOT in operation.flags:
            return _Plan(tuple(found), None) if _only_installs(ctx, state, script, {manager}) else None
        flag = "--no-install-project" if manager == "uv" else "--no-root"
        return _Plan(tuple(found), f"{text} {flag}") if text else None
    if manager == "npm" and operation.manifests and _only_installs(ctx, state, script, {"npm"}):
        names = [in_context(m) for m in operation.manifests]
        if any(n is None for n in names):
            return None
        found = [n for n in names if n is not None]
        if context is not None:
            found = [n for n in found if (context / n).is_file()]
            if not found or (command.subcommand == "ci" and len(found) < 2):
                return None
        elif command.subcommand != "ci":
            found = [posixpath.join(posixpath.dirname(found[0]), "package*.json")]
        return _Plan(tuple(found), None)
    return None


_LOCK_FILES = ("requirements.lock", "requirements.txt")


def _project_plan(
    state: State,
    operation: PackageOperation,
    destination: str,
    context: Path | None,
    text: str | None,
) -> _Plan | None:
    """``pip install .`` of a project whose dependencies are also locked in a requirements file next to its
    pyproject.toml: install that file before the broad COPY (``pip install -r requirements.lock``)."""
    paths = (*operation.local_paths, *operation.editable)
    if context is None or not text or len(paths) != 1 or operation.requirement_files or operation.urls:
        return None
    project = posixpath.normpath(posixpath.join(state.workdir, paths[0]))
    root = destination.rstrip("/")
    if project != root and not project.startswith(root + "/"):
        return None
    relative = project[len(root) + 1 :] if project != root else ""
    if not (context / relative / "pyproject.toml").is_file():
        return None
    lock = next((name for name in _LOCK_FILES if (context / relative / name).is_file()), None)
    manifests = None if lock is None else _with_includes(context, [posixpath.join(relative, lock)])
    if lock is None or manifests is None:
        return None
    command = operation.command
    words = list(command.args)
    index = next(
        (i for i, w in enumerate(words) if w.text in (paths[0], f"-e{paths[0]}", f"--editable={paths[0]}")), None
    )
    if index is None:
        return None
    first = words[index - 1] if index > 0 and words[index - 1].text in ("-e", "--editable") else words[index]
    requirement = posixpath.relpath(posixpath.join(project, lock), state.workdir)
    start = command.end - len(text)  # `text` runs from the RUN's first statement to the end of the install
    early = text[: first.start - start] + f"-r {requirement}" + text[words[index].end - start :]
    return _Plan(tuple(manifests), early)


def _through(ctx: FileContext, state: State, script: Script, operation: PackageOperation) -> str | None:
    """The RUN's shell text up to the end of the install, when what comes before it only installs named
    packages (``pip install poetry==1.8.3 && poetry install``); "" when that is not so (no early install)."""
    command = operation.command
    found = {id(op.command): op for op in operations(ctx, state, script)}
    before = [other for other in script.commands if other.start < command.start]
    installs = True
    for other in before:
        op = found.get(id(other))
        if op is None or op.action not in INSTALLING or op.requirement_files or op.manifests or op.local_paths:
            installs = False
    if not installs:
        # file housekeeping before it (`chown -R … && pip install …`) does not concern the install
        housekeeping = all(other.name in _HOUSEKEEPING and not other.nested for other in before)
        single = not (command.nested or command.conditional or command.in_subshell or command.in_pipeline)
        return ctx.df.text[command.start : command.end] if housekeeping and single else ""
    shape = body(state.instruction)
    if shape is None:
        if state.instruction.heredocs or any(other.start < command.start for other in script.commands):
            return ""
        return ctx.df.text[command.start : command.end]
    if not shape.chain or command.nested or command.conditional or command.in_subshell:
        return ""
    return ctx.df.text[shape.start : command.end]


def _only_installs(ctx: FileContext, state: State, script: Script, managers: set[str]) -> bool:
    """Every command of the RUN installs with one of ``managers``, from named packages and manifests only."""
    found = {id(op.command): op for op in operations(ctx, state, script)}
    for command in script.commands:
        op = found.get(id(command))
        if op is None or op.manager not in managers or op.action not in INSTALLING:
            return False
        if command.nested or command.conditional or op.local_paths or op.editable or op.urls:
            return False
    return True


def _all_files(
    ctx: FileContext, state: State, script: Script, in_context: Callable[[str], str | None]
) -> list[str] | None:
    """The requirement and constraint files of every install of the RUN, as context paths."""
    files: list[str] = []
    for op in operations(ctx, state, script):
        for name in (*op.requirement_files, *op.constraint_files):
            path = in_context(name)
            if path is None:
                return None
            if path not in files:
                files.append(path)
    return files


def _with_includes(context: Path | None, files: list[str]) -> list[str] | None:
    """``files`` and the files they include with -r/-c (when the context is known); None when one of them is
    missing from the context or names a local path (the install would need more of the context)."""
    if context is None:
        return files
    result: list[str] = []
    queue = list(files)
    while queue:
        name = queue.pop(0)
        if name in result:
            continue
        path = context / name
        if not path.is_file():
            return None
        result.append(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        for raw in text.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*", "", raw).strip()
            if not line:
                continue
            if _LOCAL_REQUIREMENT.search(line):
                return None
            match = _INCLUDE.match(line)
            if match is not None:
                included = match.group(1)
                if "://" in included:
                    continue
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), included))
                if joined.startswith("../") or not _PLAIN_PATH.match(joined):
                    return None
                queue.append(joined)
    return result


def _path_dependencies(pyproject: Path) -> bool:
    """The project depends on other directories of the context (path sources, workspace members)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    return bool(re.search(r"\bpath\s*=|\[tool\.uv\.workspace\]|\bdevelop\s*=", text))


def _context_dir(ctx: FileContext) -> Path | None:
    """The build context: the Dockerfile's directory when the file is on disk (None for text linted alone)."""
    if not ctx.display_path or ctx.display_path == "-":
        return None
    path = Path(ctx.display_path)
    return path.parent if path.is_file() else None


def _manifest_copies(copy: Instruction, manifests: tuple[str, ...]) -> list[str]:
    """``COPY requirements.txt ./`` lines, one per directory of the context, with the broad COPY's flags."""
    destination = copy.values[-1]
    base = "./" if destination.rstrip("/") in (".", "") else destination.rstrip("/") + "/"
    flags = "".join(f"{flag.raw} " for flag in copy.flags)
    by_directory: dict[str, list[str]] = {}
    for manifest in manifests:
        by_directory.setdefault(posixpath.dirname(manifest), []).append(manifest)
    lines = []
    for directory, files in by_directory.items():
        target = base + (directory + "/" if directory else "")
        lines.append(f"COPY {flags}{' '.join(files)} {target}")
    return lines


def _block_start(ctx: FileContext, ins: Instruction) -> int:
    """Where ``ins`` starts, with the comment lines directly above it (they describe it)."""
    nodes = ctx.df.nodes
    index = next(i for i, node in enumerate(nodes) if node is ins)
    start = ins.span.start
    while index > 0 and isinstance(nodes[index - 1], Comment):
        index -= 1
        start = nodes[index].span.start
    return start
