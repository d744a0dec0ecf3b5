"""DO201: build toolchain (compilers, headers, git, Rust) left in the final image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._size import DEVELOPMENT_STAGE_NAMES, Run, image_runs, later
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation

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
        Unsafe: the fix splits the image into a builder stage that installs the toolchain and
        builds a virtualenv or wheels, and a runtime stage that copies only the result. Runtime
        libraries the headers pulled in (`libpq5` for `libpq-dev`) must then be installed by
        name, and anything that runs `git` or a compiler at run time breaks.
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
