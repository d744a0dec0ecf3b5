"""DO210: development tools or an editable install in the final image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.model import State
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command
from dockopt.shell.packages import Action, Flag, PackageOperation

_DEV_TOOLS = frozenset(
    {"pytest", "black", "ruff", "mypy", "ipython", "jupyter", "jupyterlab", "notebook", "flake8", "pylint",
     "pre-commit", "isort", "tox", "nox", "ipdb", "pytest-cov", "coverage"}
)  # fmt: skip
_NOTEBOOK_TOOLS = frozenset({"ipython", "jupyter", "jupyterlab", "notebook", "ipykernel"})
_DEV_EXTRAS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint", "typing"})
_DEV_REQUIREMENTS = re.compile(r"(?:^|[/_.-])(?:dev|develop|development|test|tests|testing|lint)(?:$|[/_.-])", re.I)
_PATH_EXTRAS = re.compile(r"^(?:\.{1,2}|\.{0,2}/.*)\[(?P<extras>[^\]]+)\]$")
_PYTHON_MANAGERS = frozenset({"pip", "uv", "poetry"})


class DevToolsInImage(Rule):
    """Development tools, development dependencies or an editable install in the final image.

    What it does:
        In the final stage and the stages it is built FROM, flags a pip/uv/poetry install of
        test, lint and notebook tools (pytest, black, ruff, mypy, ipython, jupyter, flake8,
        pylint, pre-commit, …), of a requirements file or extra named for development
        (`requirements-dev.txt`, `.[test]`), `poetry install` without `--only main` /
        `--without dev`, `uv sync` without `--no-dev`, and `pip install -e`. Images meant for
        development are left alone: a file named like `Dockerfile.dev` or `test.Dockerfile`, a
        final stage named `dev`/`test`/`ci`, a `.devcontainer`, notebook tools in an image whose
        CMD/ENTRYPOINT runs Jupyter, and installs inside an `if`.

    Why is this bad?
        Test runners, linters, type checkers and notebooks are not needed to run the service,
        but they add tens to hundreds of megabytes and their own dependencies (and CVEs) to
        every copy of the image. An editable install (`pip install -e`) points the environment
        at the source tree: the installed package breaks when the tree moves or is not copied,
        and it leaves build metadata next to the code.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        COPY . /app
        RUN pip install -e /app pytest black
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        COPY . /app
        RUN pip install /app
        ```
        Run tests in a separate `test` stage (`docker build --target test`) or in CI.
    """

    id = "DO210"
    name = "dev-tools-in-image"
    severity = Severity.INFO
    groups = ("size",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if _layers.is_dev_image(ctx):
            return
        notebook_image = _runs_notebook(ctx)
        for state in _layers.image_states(ctx):
            if state.instruction.keyword != "RUN":
                continue
            script = ctx.script(state.instruction)
            if script is None:
                continue
            for command in script.commands:
                if command.conditional:
                    continue
                op = _layers.kind_of(ctx, state, script, command)
                if not isinstance(op, PackageOperation) or op.manager not in _PYTHON_MANAGERS or not op.installs:
                    continue
                problem = _problem(op, command, state, notebook_image)
                if problem:
                    yield self.finding(ctx, (command.start, command.end), problem)


def _problem(op: PackageOperation, command: Command, state: State, notebook_image: bool) -> str | None:
    tools = [
        p.name
        for p in op.packages
        if (p.name in _DEV_TOOLS or p.name.startswith(("pytest-", "flake8-")))
        and not (notebook_image and p.name in _NOTEBOOK_TOOLS)
    ]
    extras = sorted(
        {e for p in op.packages for e in p.extras if e in _DEV_EXTRAS} | _path_extras(command) | _editable_extras(op)
    )
    files = [f for f in op.requirement_files if _DEV_REQUIREMENTS.search(f.rsplit("/", 1)[-1].rsplit(".", 1)[0])]
    reasons: list[str] = []
    if tools:
        reasons.append(f"development tools ({', '.join(tools)})")
    if extras:
        reasons.append(f"the development extras [{','.join(extras)}]")
    if files:
        reasons.append(f"development requirements ({', '.join(files)})")
    groups = _dev_groups(op, command, state)
    if groups:
        reasons.append(groups)
    if reasons:
        editable = f" (and `-e {op.editable[0]}` is an editable install)" if op.editable else ""
        return (
            f"installs {' and '.join(reasons)} into the final image{editable}: they are not needed to run it and "
            "add size and dependencies to every copy; install them in a separate test stage or in CI"
        )
    if op.editable:
        target = op.editable[0]
        return (
            f"`{op.manager} install -e {target}` is an editable install: the environment points at the source "
            f"tree instead of containing the package, and breaks when that tree changes; install it normally "
            f"({op.manager} install {target})"
        )
    return None


def _path_extras(command: Command) -> set[str]:
    """``.[dev]`` and ``./pkg[test]``: extras of a local project, which the package model leaves out."""
    found: set[str] = set()
    for word in command.args:
        match = _PATH_EXTRAS.match(word.text)
        if match:
            found |= {e.strip().lower() for e in match["extras"].split(",")} & _DEV_EXTRAS
    return found


def _editable_extras(op: PackageOperation) -> set[str]:
    found: set[str] = set()
    for target in op.editable:
        if "[" in target and target.endswith("]"):
            found |= {e.strip().lower() for e in target[target.index("[") + 1 : -1].split(",")} & _DEV_EXTRAS
    return found


def _dev_groups(op: PackageOperation, command: Command, state: State) -> str | None:
    """``poetry install`` / ``uv sync`` that install the project's dev dependency group (their default)."""
    if Flag.NO_DEV in op.flags:
        return None
    if op.manager == "poetry" and op.action in (Action.INSTALL, Action.SYNC) and command.subcommand != "add":
        if command.has_flag("--only-root"):
            return None
        return "the project's development dependency groups (poetry installs them unless --only main)"
    if op.manager == "uv" and op.action is Action.SYNC and command.subcommand == "sync":
        if command.has_flag("--no-default-groups") or state.env_true("UV_NO_DEV"):
            return None
        only = command.flag_value("--only-group")
        if only is not None and only != "dev":
            return None
        if "dev" in (command.flag_value("--no-group") or "").split(","):
            return None
        return "the dev dependency group (uv sync installs it unless --no-dev)"
    return None


def _runs_notebook(ctx: FileContext) -> bool:
    """CMD or ENTRYPOINT of the final stage starts Jupyter or IPython: they are the application."""
    final = ctx.model.final
    if final is None:
        return False
    for state in final.states:
        ins = state.instruction
        if ins.keyword in ("CMD", "ENTRYPOINT"):
            text = " ".join(ins.exec_args) if ins.exec_args is not None else ins.arguments
            if re.search(r"\b(?:jupyter|ipython|jupyterhub|voila)\b", text):
                return True
    return False
