"""DO201: build toolchain (compilers, headers, git, Rust) left in the final image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import State
from dockopt.rules import _rewrite
from dockopt.rules._cache import Run
from dockopt.rules._cache import operations as operations_of
from dockopt.rules._size import DEVELOPMENT_STAGE_NAMES, image_runs, later, named_by_argument, split_image
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Script
from dockopt.shell.packages import Action, PackageOperation
from dockopt.syntax import Instruction

_SYSTEM_MANAGERS = frozenset({"apt", "apk", "dnf", "yum", "microdnf", "zypper"})
_FAMILY = {"apt": "apt", "apk": "apk", "dnf": "rpm", "yum": "rpm", "microdnf": "rpm", "zypper": "zypper"}
_TOOLCHAIN = frozenset(
    {
        "build-essential", "build-base", "alpine-sdk", "gcc", "g++", "gcc-c++", "clang", "gfortran", "cmake",
        "rustc", "cargo", "rust", "rustup",
    }
)  # fmt: skip
# Named only next to a compiler or headers: on their own they are small, or often run by the application
# (git for VCS installs, experiment trackers and model hubs; make for task runners).
_COMPANIONS = frozenset({"git", "make", "pkg-config", "pkgconf", "ninja-build", "autoconf", "automake", "libtool"})
_VERSIONED = re.compile(r"(?:gcc|g\+\+|clang|gfortran|cpp)-\d+(?:\.\d+)?")
_HEADERS = ("-dev", "-devel")
# Written as a single `$VAR` / `${VAR}`: a package list kept in an ENV or ARG.
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class BuildToolchain(Rule):
    """A build toolchain (compilers, headers, Rust) installed in the final image and never removed.

    What it does:
        Flags a system-package install (apt, apk, dnf/yum, zypper) in the final stage, or a
        stage it is built FROM, that installs a build toolchain: `build-essential`, `build-base`,
        `gcc`, `g++`, `clang`, `gfortran`, `cmake`, development headers (`*-dev`, `*-devel`:
        `python3-dev`, `libpq-dev`), `rustc`/`cargo`; `git`, `make`, `ninja-build`, `autoconf`
        and the like are named when installed with them (on their own they are small, or used
        at run time). Not flagged when the same RUN removes the packages again (`apt-get purge`
        of them or `apt-get autoremove`/`--auto-remove`, `apk del` of them or of their
        `--virtual` group, `dnf remove`). Package lists kept in an ENV or ARG (`apt-get install
        $BUILD_DEPS`) are read. A final stage named `dev`, `build`, `builder` or `ci` is a
        development image and is not checked.

    Why is this bad?
        A toolchain is needed to build wheels or extensions, not to run them: `build-essential`
        plus headers is 200-400 MB, and every compiler and `git` in a production image is more to
        patch and more for an attacker to use. Removing the packages in a later RUN saves
        nothing, because the earlier layer keeps them.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \\
            && rm -rf /var/lib/apt/lists/*
        RUN pip install --no-cache-dir -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim AS build
        RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev
        RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.txt

        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
            && rm -rf /var/lib/apt/lists/*
        COPY --from=build /venv /venv
        ```

    Fix safety:
        Unsafe: the fix rewrites a single-stage image on an official `python` base into two
        stages. The builder (`FROM <same base> AS builder`) repeats the instructions up to the
        last `pip install`, with `python -m venv /opt/venv` and `ENV PATH=/opt/venv/bin:$PATH`
        after the toolchain's RUN, so the packages are built into the venv. The runtime stage
        keeps the original instructions, with the toolchain taken out of the apt install (the
        other packages stay; the RUN goes when nothing else is left; `libpq-dev` becomes
        `libpq5`), and `COPY --from=builder /opt/venv /opt/venv` plus the ENV PATH in place of
        the pip RUNs. What changes: the packages live in /opt/venv instead of the interpreter's
        site-packages; runtime libraries of other headers (`libxml2` for `libxml2-dev`) are no
        longer installed, so an extension that links them fails to import; `git`, `make` or a
        compiler used at run time are gone. Offered only for the pattern it knows: one stage,
        the toolchain in a RUN of apt commands only, then RUNs of `pip install` from indexes or
        requirement files as root (only ENV/ARG/WORKDIR/COPY/LABEL between them), no package
        installed into the interpreter before or after them, and nothing naming
        `/usr/local/lib/python…` or `site-packages`.
    """

    id = "DO201"
    name = "build-toolchain-in-image"
    severity = Severity.WARNING
    groups = ("size",)
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        final = ctx.model.final
        if final is None or (final.name or "") in DEVELOPMENT_STAGE_NAMES or ".devcontainer" in ctx.display_path:
            return
        for run in image_runs(ctx):
            for operation in run.operations:
                if operation.manager not in _SYSTEM_MANAGERS or operation.action is not Action.INSTALL:
                    continue
                names = _installed(run, operation)
                kept = [name for name in names if _is_toolchain(name) and not _removed_later(run, operation, name)]
                if not kept:
                    continue
                kept += [name for name in names if name in _COMPANIONS and not _removed_later(run, operation, name)]
                command = operation.command
                listed = ", ".join(dict.fromkeys(kept))
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"{listed} stay{'s' if len(set(kept)) == 1 else ''} in the final image: build tools that only "
                    "building needs (compilers and headers run to hundreds of MB, and are more to patch); install "
                    "them in a builder stage, build a virtualenv or wheels there and copy only the result into the "
                    "runtime stage (or purge them in the same RUN)",
                    fix=_fix(ctx, run, operation),
                )


def _installed(run: Run, operation: PackageOperation) -> list[str]:
    """Package names, with `$VAR` words read from ENV/ARG."""
    names = [p.name.lower() for p in operation.packages]
    for word in operation.command.args:
        match = _VARIABLE.fullmatch(word.text)
        if match is not None:
            value = run.state.env.get(match.group(1) or match.group(2), "")
            names += [_bare(item) for item in value.split() if not item.startswith("-")]
    return names


def _bare(spec: str) -> str:
    """``gcc=4:12.2.0-3`` / ``gcc~12`` -> ``gcc``."""
    return re.split(r"[=<>~:]", spec, maxsplit=1)[0].lower()


def _is_toolchain(name: str) -> bool:
    return name in _TOOLCHAIN or _VERSIONED.fullmatch(name) is not None or name.endswith(_HEADERS)


def _removed_later(run: Run, install: PackageOperation, name: str) -> bool:
    """A later command of the same RUN removes ``name`` (or everything installed as a dependency)."""
    family = _FAMILY[install.manager]
    for other in later(run.operations, install.command):
        if other.manager not in _FAMILY or _FAMILY[other.manager] != family or other.action is not Action.REMOVE:
            continue
        command = other.command
        removed = set(_installed(run, other))
        if name in removed or (install.virtual is not None and install.virtual in _words(other)):
            return True
        if family == "apt" and (
            command.has_flag("--auto-remove", "--autoremove") or command.subcommand in ("autoremove", "autopurge")
        ):
            return True  # with `apt-mark auto`, the usual way to drop build dependencies
        if family == "rpm" and command.subcommand == "autoremove":
            return True
    return False


def _words(operation: PackageOperation) -> set[str]:
    return {word.text for word in operation.command.args}


# -- fix: a builder stage with the toolchain and a virtualenv ---------------------------------------------------

VENV = "/opt/venv"
_PATH = f"ENV PATH={VENV}/bin:$PATH"
_PIP_PROGRAM = re.compile(r"(?:pip|python)(?:3(?:\.\d+)?)?")
# Instructions that may stand between the toolchain's RUN and the pip installs: the builder needs them too.
_SETUP = frozenset({"ENV", "ARG", "WORKDIR", "COPY", "LABEL"})
# What the venv would hide: code that names the interpreter's own packages by path.
_SYSTEM_PYTHON = re.compile(r"/usr/local/(?:bin/(?:python|pip)|lib/python)|site-packages|dist-packages")
# Runtime libraries of development headers whose package name has been stable across Debian releases.
_RUNTIME_LIBRARIES = {"libpq-dev": "libpq5"}


def _fix(ctx: FileContext, run: Run, operation: PackageOperation) -> Fix | None:
    """Split the common single-stage Python image: toolchain + `pip install` -> builder stage with a venv.

    Offered only for the pattern it knows: one stage on an official `python` image; the toolchain
    installed by a RUN of apt commands only; after it, RUNs of `pip install` (as root, into the system
    interpreter, of indexes and requirement files), with only ENV/ARG/WORKDIR/COPY/LABEL between
    them; no pip install after them, and nothing naming the interpreter's own site-packages.
    """
    model = ctx.model
    if len(model.stages) != 1 or ctx.df.stages[0].name or ctx.df.stages[0].platform:
        return None
    stage = model.stages[0]
    name, _ = split_image(stage.base_image)
    if name != "python" or named_by_argument(stage, registry_too=True) or stage.base.known:
        return None
    if _SYSTEM_PYTHON.search(ctx.df.text) or VENV in ctx.df.text:
        return None
    states = stage.states
    toolchain = next(i for i, state in enumerate(states) if state.instruction is run.state.instruction)
    if not _root(run.state) or not _apt_only(ctx, run.state, run.script):
        return None
    if any(_installs_packages(ctx, state) for state in states[:toolchain]):
        return None  # packages in the system interpreter, which the venv's python would not see
    installs: list[int] = []
    for index in range(toolchain + 1, len(states)):
        state = states[index]
        ins = state.instruction
        kind = _pip_run(ctx, state)
        if kind == "other" or (kind == "pip" and not _root(state)):
            return None
        if kind == "pip":
            installs.append(index)
        elif ins.keyword not in _SETUP or (ins.keyword == "COPY" and ins.flag("from") is not None):
            break  # the installs are over; what follows stays in the runtime stage only
    if not installs:
        return None
    if not _after_installs(ctx, states[installs[-1] + 1 :]):
        return None
    runtime = _runtime_apt(ctx, run, operation)
    if runtime is None:
        return None
    newline = _rewrite.line_ending(states[0].instruction, ctx.df)
    edits = [_builder(ctx, stage.stage.from_instruction, states[: installs[-1] + 1], toolchain, newline), runtime]
    first, *others = (states[i].instruction for i in installs)
    edits.append(Edit(first.span.start, first.span.end, f"COPY --from=builder {VENV} {VENV}{newline}{_PATH}{newline}"))
    edits += [Edit(ins.span.start, ins.span.end, "") for ins in others]
    return Fix(FixSafety.UNSAFE, "build the packages in a builder stage and copy its virtualenv", tuple(edits))


def _root(state: State) -> bool:
    return (state.user or "root").split(":", 1)[0] in ("root", "0")


def _apt_only(ctx: FileContext, state: State, script: Script) -> bool:
    """The RUN only updates, installs, cleans and removes the lists: it can be kept or dropped as a whole."""
    operations = {op.command.start: op for op in operations_of(ctx, state, script)}
    installs = 0
    for command in script.commands:
        operation = operations.get(command.start)
        if operation is not None and operation.manager == "apt":
            installs += operation.action is Action.INSTALL
            if operation.action not in (Action.INSTALL, Action.UPDATE, Action.CLEAN):
                return False
            continue
        if command.name == "rm" and all(w.text.startswith("/var/lib/apt/lists") for w in command.positional()):
            continue
        if command.name == "set":
            continue
        return False
    return installs == 1


def _pip_run(ctx: FileContext, state: State) -> str:
    """``pip``: a RUN of pip installs the venv can take; ``other``: another install; ``none``: no install."""
    ins = state.instruction
    if ins.keyword != "RUN":
        return "none"
    script = ctx.script(ins)
    if script is None:
        return "other"
    operations = {op.command.start: op for op in operations_of(ctx, state, script)}
    if not any(op.manager in ("pip", "uv", "poetry", "conda") for op in operations.values()):
        return "other" if _compiles(script) else "none"
    for command in script.commands:
        operation = operations.get(command.start)
        if (
            operation is None
            or operation.manager != "pip"
            or operation.action is not Action.INSTALL
            or not _PIP_PROGRAM.fullmatch(command.argv[0].text)
            or operation.local_paths
            or operation.editable
            or operation.target
            or operation.prefix
            or command.has_flag("--user", "--root", "--src")
            or not _rewrite.plain(command)
        ):
            return "other"
    return "pip"


def _installs_packages(ctx: FileContext, state: State) -> bool:
    """A RUN that installs Python packages (other than pip's own tools) or that cannot be read."""
    if state.instruction.keyword != "RUN":
        return False
    script = ctx.script(state.instruction)
    if script is None:
        return True
    return any(
        op.manager in ("pip", "uv", "poetry", "conda")
        and op.action in (Action.INSTALL, Action.SYNC, Action.UPGRADE)
        and (op.requirement_files or op.local_paths or op.urls or any(p.name not in _PIP_TOOLS for p in op.packages))
        for op in operations_of(ctx, state, script)
    )


_PIP_TOOLS = frozenset({"pip", "setuptools", "wheel"})


def _compiles(script: Script) -> bool:
    return any(c.name in ("gcc", "cc", "g++", "make", "cmake", "cargo", "rustc") for c in script.commands) or any(
        "setup.py" in (w.text for w in c.args) for c in script.commands
    )


def _after_installs(ctx: FileContext, states: list[State]) -> bool:
    """Nothing after the moved installs installs Python packages or compiles (the toolchain is gone)."""
    for state in states:
        kind = _pip_run(ctx, state)
        if kind != "none":
            return False
    return True


def _runtime_apt(ctx: FileContext, run: Run, operation: PackageOperation) -> Edit | None:
    """The toolchain's RUN for the runtime stage: without the toolchain (its runtime libraries instead), or gone."""
    ins = run.state.instruction
    command = operation.command
    if any(w.dynamic for w in command.args) or _rewrite.has_comment_lines(ins):
        return None
    words = {p.word.start: p for p in operation.packages}
    keep: list[str] = []
    replaced: dict[int, str] = {}
    for word in command.args:
        spec = words.get(word.start)
        if spec is None:
            keep.append(word.text)
            continue
        name = spec.name.lower()
        if name in _RUNTIME_LIBRARIES:
            replaced[word.start] = _RUNTIME_LIBRARIES[name]
            keep.append(_RUNTIME_LIBRARIES[name])
        elif _is_toolchain(name) or name in _COMPANIONS:
            continue
        else:
            keep.append(word.text)
    if len(keep) == len([w for w in command.args if w.start not in words]):
        return Edit(ins.span.start, ins.span.end, "")  # nothing but the toolchain: the runtime needs no such RUN
    text = ctx.df.text
    pieces: list[str] = []
    cursor = previous_end = command.start
    for word in command.argv:
        spec = words.get(word.start)
        if (
            spec is not None
            and word.start not in replaced
            and (_is_toolchain(spec.name.lower()) or spec.name.lower() in _COMPANIONS)
        ):
            pieces.append(text[cursor:previous_end])
            cursor = word.end
        elif word.start in replaced:
            pieces.append(text[cursor : word.start] + replaced[word.start])
            cursor = word.end
        previous_end = word.end
    pieces.append(text[cursor : command.end])
    edit = Edit(command.start, command.end, "".join(pieces))
    head = _rewrite.shape(command)
    expected = [
        (head[0], (command.argv[0].text, *keep), *head[2:]) if c is command else _rewrite.shape(c)
        for c in run.script.commands
    ]
    return edit if _rewrite.script_becomes(ctx.df, ins, [edit], expected) else None


def _builder(ctx: FileContext, from_ins: Instruction, states: list[State], toolchain: int, newline: str) -> Edit:
    """The builder stage, inserted above the FROM: the instructions up to the last install, and the venv."""
    flags = "".join(f" {flag.raw}" for flag in from_ins.flags)
    base = ctx.df.stages[0].base
    lines = [f"{from_ins.raw_keyword}{flags} {base} AS builder{newline}"]
    for index, state in enumerate(states):
        source = ctx.df.source(state.instruction.span)
        lines.append(source if source.endswith("\n") else source + newline)
        if index == toolchain:
            # ENV on both sides keeps the venv's RUN apart from the toolchain's (no RUNs to join)
            lines += [f"ENV VIRTUAL_ENV={VENV}{newline}", f"RUN python -m venv {VENV}{newline}", _PATH + newline]
    lines.append(newline)
    start = from_ins.span.start
    return Edit(start, start, "".join(lines))
