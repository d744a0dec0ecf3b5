"""DO503: a Python runtime image without PYTHONUNBUFFERED=1 / PYTHONDONTWRITEBYTECODE=1."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules import _insert, _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import parse_shell
from dockopt.shell.packages import PackageOperation
from dockopt.syntax import Instruction

VARIABLES = ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")
_WHY = {
    "PYTHONUNBUFFERED": "output is block-buffered, so log lines arrive late and the last ones are lost when the "
    "container is killed",
    "PYTHONDONTWRITEBYTECODE": "imports write __pycache__/*.pyc into the container's writable layer",
}
# Official images whose environment is known and sets neither variable; the first group ships Python.
_PYTHON_IMAGES = frozenset({"python", "pypy", "pytorch/pytorch", "continuumio/miniconda3", "continuumio/anaconda3"})
_OTHER_IMAGES = frozenset(
    {"debian", "ubuntu", "alpine", "buildpack-deps", "nvidia/cuda", "fedora", "rockylinux", "almalinux", "amazonlinux"}
)
_REGISTRY_PREFIXES = ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/", "library/")
# Programs that are Python: a CMD/ENTRYPOINT starting one of these runs a Python process.
_PYTHON_PROGRAMS = frozenset(
    {"python", "python3", "pypy", "pypy3", "uvicorn", "gunicorn", "celery", "hypercorn", "daphne", "flask",
     "streamlit", "dagster", "airflow", "jupyter", "ipython", "pytest"}
)  # fmt: skip
_SYSTEM_MANAGERS = frozenset({"apt", "apk", "dnf", "yum", "microdnf", "zypper", "conda"})
_PYTHON_MANAGERS = frozenset({"pip", "uv", "poetry"})


class PythonEnv(Rule):
    """A Python runtime image without `PYTHONUNBUFFERED=1` and `PYTHONDONTWRITEBYTECODE=1`.

    What it does:
        Looks at the final stage when the image runs Python: it is built on `python`, `pypy` or
        another image that ships Python (`pytorch/pytorch`, `continuumio/miniconda3`), or its
        stages install Python (`apt-get install python3`, `pip install`), or its CMD/ENTRYPOINT
        starts `python`, `uvicorn`, `gunicorn`, `celery` or a similar Python program. Reports
        it when `PYTHONUNBUFFERED` or `PYTHONDONTWRITEBYTECODE` is set nowhere: not in the final
        stage, not in the stages it is built FROM, and not in a base image built in the same
        repository (an inherited `ENV` counts). Only bases whose environment is known are judged:
        official images known not to set the variables, and images of the same repository; a
        base image from elsewhere may set them itself.

    Why is this bad?
        When standard output is not a terminal, as in a container, Python buffers it in blocks:
        log lines reach `docker logs` and the log collector minutes late or out of order with
        standard error, and whatever is still buffered is lost when the container is killed,
        often the lines that explain why. Without `PYTHONDONTWRITEBYTECODE`, every import
        writes `__pycache__/*.pyc` files into the container's writable layer (or fails to, on
        a read-only root filesystem): bytecode the next container recompiles anyway.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        COPY app/ /app/
        CMD ["python", "-m", "app"]
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
        COPY app/ /app/
        CMD ["python", "-m", "app"]
        ```

    Fix safety:
        Safe: the fix adds one `ENV` with the missing variables right after the final stage's FROM
        (after the ARG lines that directly follow it). No file of the image changes but bytecode:
        with `PYTHONDONTWRITEBYTECODE=1` the interpreter no longer writes `__pycache__/*.pyc`
        when later RUN steps import modules (pip and `compileall` still compile what they
        install), and `*.pyc` files are ignored by `--verify-build`. The image's configuration
        gains the two variables, which processes in the container and images built FROM it
        inherit: output is unbuffered (written at once, which costs a little speed in programs
        that print a great deal) and imports write no bytecode at run time.
    """

    id = "DO503"
    name = "python-env"
    severity = Severity.INFO
    groups = ("runtime",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        final = ctx.model.final
        if final is None:
            return
        chain = _chain(final)
        root = chain[0]
        image = _official_name(root.base_image)
        if not root.base.known and image not in _PYTHON_IMAGES | _OTHER_IMAGES:
            return  # a base from elsewhere may set them itself
        if not (image in _PYTHON_IMAGES or _runs_python(ctx, chain) or _installs_python(ctx, chain)):
            return
        assigned = set(root.base.env) | {name for stage in chain for name in _env_names(ctx, stage)}
        missing = [name for name in VARIABLES if name not in assigned]
        if not missing:
            return
        settings = " ".join(f"{name}=1" for name in missing)
        why = " and ".join(f"{name}=1 ({_WHY[name]})" for name in missing)
        anchor = _insertion_point(final)
        fix = Fix(FixSafety.SAFE, f"set {settings}", (_insert.insert_after(ctx.df, anchor, [f"ENV {settings}"]),))
        yield self.finding(
            ctx,
            final.stage.from_instruction,
            f"the image runs Python without {why}; add ENV {settings} after FROM",
            fix,
        )


def _chain(stage: StageModel) -> list[StageModel]:
    chain = [stage]
    while chain[0].parent is not None:
        chain.insert(0, chain[0].parent)
    return chain


def _official_name(image: str) -> str:
    """``docker.io/library/python:3.11-slim@sha256:…`` -> ``python``."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    name = name.lower()
    for prefix in _REGISTRY_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def _env_names(ctx: FileContext, stage: StageModel) -> Iterator[str]:
    for state in stage.states:
        ins = state.instruction
        if ins.keyword == "ENV":
            values = ctx.expansion.at(ins).values or ins.values
            yield from values[0::2]


def _runs_python(ctx: FileContext, chain: list[StageModel]) -> bool:
    """The last CMD or ENTRYPOINT in force starts a Python program (directly, or under a shell)."""
    states = [state for stage in chain for state in stage.states]
    commands = [s.instruction for s in states if s.instruction.keyword in ("CMD", "ENTRYPOINT")]
    entrypoint = next((ins for ins in reversed(commands) if ins.keyword == "ENTRYPOINT"), None)
    cmd = next((ins for ins in reversed(commands) if ins.keyword == "CMD"), None)
    first = entrypoint or cmd
    if first is None:
        return False
    if first.exec_args is not None:
        program = first.exec_args[0] if first.exec_args else ""
        if program.rsplit("/", 1)[-1] in ("sh", "bash") and "-c" in first.exec_args[1:3]:
            inner = parse_shell(first.exec_args[-1])  # ["sh", "-c", "exec gunicorn …"]
            return any(_is_python_program(command.name) for command in inner.commands)
        return _is_python_program(program)
    script = ctx.script(first)
    return script is not None and any(_is_python_program(command.name) for command in script.commands)


def _is_python_program(path: str) -> bool:
    program = path.rsplit("/", 1)[-1]
    if program in _PYTHON_PROGRAMS:
        return True
    return program.startswith(("python3.", "pypy3.")) and program.split(".", 1)[1].isdigit()


def _installs_python(ctx: FileContext, chain: list[StageModel]) -> bool:
    """A RUN of these stages installs Python packages, or Python itself with the system's package manager."""
    for stage in chain:
        for state in stage.states:
            script = ctx.script(state.instruction) if state.instruction.keyword == "RUN" else None
            if script is None:
                continue
            for command in script.commands:
                operation = _layers.kind_of(ctx, state, script, command)
                if not isinstance(operation, PackageOperation) or not operation.installs:
                    continue
                packages = operation.packages
                if operation.manager in _PYTHON_MANAGERS or (
                    operation.manager in _SYSTEM_MANAGERS and any(_is_python_package(p.name) for p in packages)
                ):
                    return True
    return False


def _is_python_package(name: str) -> bool:
    name = name.split("=", 1)[0]
    return name in ("python", "python3", "pypy3", "python-is-python3") or (
        name.startswith(("python3.", "python3-minimal", "python3-pip", "python3-venv"))
    )


def _insertion_point(final: StageModel) -> Instruction:
    """The final stage's FROM, or the last of the ARG instructions directly after it."""
    anchor = final.stage.from_instruction
    for ins in final.stage.instructions:
        if ins.keyword != "ARG":
            break
        anchor = ins
    return anchor
