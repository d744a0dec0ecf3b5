"""DO303: pip/uv package versions not pinned in a RUN."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, Flag, PackageOperation, PackageSpec, classify


class PipUnpinned(Rule):
    """pip or uv installs a package named on the command line without an exact version.

    What it does:
        Flags `pip install` (also `python -m pip`, `pip3`), `uv pip install`, `uv add` and
        `uv tool install` in a RUN when a package on the command line is not pinned to one
        version: a bare name (`pip install requests`), or a range (`"numpy>=1.26"`).
        Pinned: `==` or `===` (no wildcard), a wheel or sdist file or URL, a VCS URL at a
        commit. `pip install --upgrade pip` is reported like any other package. Not flagged:
        packages from requirement files (`-r`), every package of a command with a constraints
        file (`-c`, or `PIP_CONSTRAINT`/`UV_CONSTRAINT` in force), local projects and files
        (`pip install .`, `-e .`, `/wheels/*.whl`), `--no-index` installs (only local wheels
        are used), and arguments that are variables.

    Why is this bad?
        An unpinned package installs whatever version is newest when the layer is built. Two
        builds of the same commit can contain different code, a release of a dependency breaks
        the image without any change to the repository, and the layer cache hides the
        difference until it is invalidated. A range (`>=1.26`) has the same problem.

    Example:
        ```dockerfile
        RUN pip install --upgrade pip && pip install requests "numpy>=1.26"
        ```

    Use instead:
        ```dockerfile
        RUN pip install pip==24.2 && pip install requests==2.32.3 numpy==1.26.4
        ```
        or list the pins in a requirements or constraints file (`pip install -r requirements.txt`).

    Deliberate differences:
        hadolint's DL3013 counts any version operator (`>=`, `<`, `~=`, `!=`) as pinned; dockopt
        wants one exact version. hadolint skips a whole command that has `-r` or `.`; dockopt
        still reports the other packages named on that command line. dockopt also reports pip
        run by its path (`/opt/venv/bin/pip install`) or through a wrapper (`sudo pip3
        install`), which DL3013 does not recognise, and uv (`uv pip install`, `uv add`), which
        hadolint does not know; findings about uv have no hadolint equivalent.
    """

    id = "DO303"
    name = "pip-version-not-pinned"
    severity = Severity.INFO
    groups = ("reproducibility",)
    equivalents = ("hadolint:DL3013",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins
            if target.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            env = ctx.state(ins).env  # the state's own mapping: classify's memo knows it by identity
            for command in script.commands:
                operation = classify(command, script, env=env)
                if not isinstance(operation, PackageOperation) or not _checked(operation):
                    continue
                loose = [p for p in operation.packages if not p.pinned and "$" not in p.word.raw]
                if loose:
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        _message(operation, loose),
                        equivalents=self.equivalents if operation.manager == "pip" else (),  # DL3013 knows pip only
                    )


def _checked(operation: PackageOperation) -> bool:
    return (
        operation.manager in ("pip", "uv")
        and operation.action is Action.INSTALL
        and not operation.constraint_files
        and Flag.NO_INDEX not in operation.flags
    )


def _message(operation: PackageOperation, loose: list[PackageSpec]) -> str:
    redirected = {r.package.start for r in operation.unquoted_specifier_redirects}
    names = []
    for package in loose:
        if package.word.start in redirected:
            names.append(f"{package.word.text} (its version specifier is a shell redirect, see DO304)")
        elif package.specifier.startswith("@"):
            names.append(f"{package.name} (a URL that is neither a fixed file nor a commit)")
        elif package.specifier:
            names.append(f"{package.word.text} (a range, not a pin)")
        else:
            names.append(package.word.text)
    subject = ", ".join(names)
    verb, pronoun = ("is", "it") if len(loose) == 1 else ("are", "them")
    example = f"{loose[0].name}==<version>"
    return (
        f"{operation.manager} install: {subject} {verb} not pinned to one version, so each build takes whatever is "
        f"newest then and two builds of this file can differ; pin {pronoun} ({example}) or install from a "
        "requirements or constraints file with pinned versions"
    )
