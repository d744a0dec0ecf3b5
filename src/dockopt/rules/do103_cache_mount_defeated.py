"""DO103: a cache mount that something in the build keeps empty."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._cache import (
    APT_ARCHIVES,
    INSTALLING,
    Run,
    all_runs,
    cache_mount,
    docker_clean_removed,
    has_docker_clean,
    home_of,
    lineage,
    mentions_before,
    spelling,
)
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command
from dockopt.shell.packages import Action, PackageOperation

_USES_CACHE = INSTALLING | {Action.WHEEL, Action.DOWNLOAD}
_VERBS = frozenset({"install", "sync", "add", "wheel", "download", "purge", "clean", "prune", "clear"})
_GLOB = re.compile(r"[*?\[]")
_HOME_VARIABLE = re.compile(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")


class CacheMountDefeated(Rule):
    """A BuildKit cache mount that the build itself keeps empty.

    What it does:
        Flags a `RUN --mount=type=cache` whose cache can never be reused:

        - pip with `--no-cache-dir`, or with `PIP_NO_CACHE_DIR` in force (set by ENV or ARG earlier in the
          stage, in a stage it is built FROM, or in a base image built in the same repository); uv with
          `--no-cache` or `UV_NO_CACHE`; poetry with `--no-cache` — under a cache mount on that
          manager's cache directory;
        - apt installing under a cache mount on /var/cache/apt while the base image's
          `/etc/apt/apt.conf.d/docker-clean` hook is still in place (official Debian and Ubuntu images
          and the images built on them ship it; a RUN of this stage or a parent stage that removes it
          counts), or using `apt`, which deletes downloaded packages unless
          `Binary::apt::APT::Keep-Downloaded-Packages` is set;
        - cleaning the mounted directory: `rm -rf /var/lib/apt/lists/*` under a mount on /var/lib/apt,
          `apt-get clean`, `pip cache purge`, `conda clean -a`, `npm cache clean` … under a mount on
          their cache.

        The finding points at the command that defeats the mount and names where a setting came from.

    Why is this bad?
        The mount looks like an optimization but does nothing: pip with its cache disabled neither
        reads nor writes it, docker-clean deletes every .deb right after dpkg runs, and cleaning the
        mounted directory throws the cache away at the end of each build. Every rebuild downloads
        everything again, while the Dockerfile (and often a comment next to it) claims otherwise.
        Nothing needs cleaning under a cache mount: its contents never reach the image.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        ENV PIP_NO_CACHE_DIR=1
        RUN --mount=type=cache,target=/root/.cache/pip \\
            pip install -r requirements.txt
        RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \\
            apt-get update && apt-get install -y ffmpeg && rm -rf /var/lib/apt/lists/*
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        RUN --mount=type=cache,target=/root/.cache/pip \\
            pip install -r requirements.txt
        RUN rm -f /etc/apt/apt.conf.d/docker-clean
        RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
            --mount=type=cache,target=/var/lib/apt,sharing=locked \\
            apt-get update && apt-get install -y ffmpeg
        ```
        When a base image sets `PIP_NO_CACHE_DIR` for images without mounts, clear it where the mount
        is used: `PIP_NO_CACHE_DIR= pip install …` (pip ignores an empty value) or `ENV PIP_NO_CACHE_DIR=`.

    Fix safety:
        Safe: the fix removes the defeating flag, clearing command or `rm`, or clears the variable for
        the command. What is installed does not change; the cache stays out of the image because it is
        a mount.
    """

    id = "DO103"
    name = "cache-mount-defeated"
    severity = Severity.WARNING
    groups = ("cache",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in all_runs(ctx):
            if not run.state.cache_mounts():
                continue
            apt_reported = False
            for operation in run.operations:
                if operation.action in _USES_CACHE and operation.manager in ("pip", "uv", "poetry"):
                    yield from self._disabled_cache(ctx, run, operation)
                elif operation.action is Action.CLEAN:
                    yield from self._cleaned(ctx, run, operation)
                elif operation.manager == "apt" and operation.action in INSTALLING and not apt_reported:
                    for finding in self._apt_deletes_debs(ctx, run, operation):
                        apt_reported = True
                        yield finding
            for command in run.script.find("rm"):
                yield from self._removed(ctx, run, command)

    def _disabled_cache(self, ctx: FileContext, run: Run, operation: PackageOperation) -> Iterator[Finding]:
        if not operation.cache_dirs:
            return
        mount = cache_mount(run.state, operation.cache_dirs[0])
        if mount is None:
            return
        command = operation.command
        written = f"`{spelling(command, _VERBS)}`"
        variable = operation.no_cache_env
        if variable is not None:
            value = dict(command.assignments).get(variable, run.state.env.get(variable, ""))
            where = _origin(run, command, variable)
            note = ""
            if variable == "PIP_NO_CACHE_DIR" and value.strip().lower() in ("0", "false", "no", "off"):
                note = " (pip reads any non-empty value, even 0 or false, as 'no cache')"
            flag = operation.no_cache_flag
            also = f", and drop {flag.text}" if flag is not None else ""
            yield self.finding(
                ctx,
                (command.start, command.end),
                f"{variable}={value} ({where}) turns off {operation.manager}'s cache{note}, so the cache mount on "
                f"{mount.target} stays empty and {written} downloads everything again on every rebuild; "
                f"clear it for this command (`{variable}= {command.argv[0].text} …`) or remove it{also}",
            )
        elif operation.no_cache_flag is not None:
            flag = operation.no_cache_flag
            yield self.finding(
                ctx,
                (flag.start, flag.end),
                f"{flag.text} turns off {operation.manager}'s cache, so the cache mount on {mount.target} stays "
                f"empty and {written} downloads everything again on every rebuild; drop {flag.text} "
                "(the mount already keeps the cache out of the image)",
            )

    def _cleaned(self, ctx: FileContext, run: Run, operation: PackageOperation) -> Iterator[Finding]:
        for directory in operation.cache_dirs:
            mount = cache_mount(run.state, directory)
            if mount is not None:
                command = operation.command
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{spelling(command, _VERBS)}` empties the cache mount on {mount.target}, so the next build "
                    "downloads everything again; drop it (nothing under a cache mount reaches the image)",
                )
                return

    def _apt_deletes_debs(self, ctx: FileContext, run: Run, operation: PackageOperation) -> Iterator[Finding]:
        mount = cache_mount(run.state, APT_ARCHIVES + "/archives")
        if mount is None:
            return
        command = operation.command
        written = f"`{spelling(command, _VERBS)}`"
        root = lineage(run.state.stage)[0]
        # what a base image of the repository did to the hook is not known here
        if (
            not root.base.known
            and has_docker_clean(root.base_image)
            and not docker_clean_removed(ctx, run, command.start)
        ):
            yield self.finding(
                ctx,
                (command.start, command.end),
                f"{written} runs under the cache mount on {mount.target}, but the base image "
                f"({root.base_image}) keeps /etc/apt/apt.conf.d/docker-clean, which deletes every downloaded "
                "package after the install: the mount stays empty. Run `rm -f /etc/apt/apt.conf.d/docker-clean` "
                "before it (in this RUN or an earlier one)",
            )
            return
        if command.name == "apt" and not _keeps_downloads(ctx, run, command):
            yield self.finding(
                ctx,
                (command.start, command.end),
                f"{written} deletes the packages it downloaded after installing them "
                "(Binary::apt::APT::Keep-Downloaded-Packages is false for `apt`), so the cache mount on "
                f"{mount.target} stays empty; use apt-get, or set that option to true",
            )

    def _removed(self, ctx: FileContext, run: Run, command: Command) -> Iterator[Finding]:
        recursive = command.has_flag("-r", "-R", "--recursive")
        home = home_of(run.state)[0]
        for word in command.positional():
            path = _path(word.text, home, run.state.workdir)
            if path is None:
                continue
            for mount in run.state.cache_mounts():
                parent = recursive and mount.target.startswith(path.rstrip("/") + "/")
                if mount.covers(path) or parent:
                    written = " ".join(w.text for w in command.argv)
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        f"`{written}` deletes the contents of the cache mount on {mount.target}, so the next "
                        "build starts from an empty cache and downloads everything again; drop it (the mount "
                        "already keeps these files out of the image)",
                    )
                    return
                    return


def _origin(run: Run, command: Command, variable: str) -> str:
    if variable in dict(command.assignments):
        return "set on the command itself"
    where = run.state.env_origin.get(variable, "")
    if where.startswith("line "):
        return f"set on {where}"
    if where == "the base image" or not where:
        return "set by the base image"
    return f"set in {where}"


def _keeps_downloads(ctx: FileContext, run: Run, command: Command) -> bool:
    if any("keep-downloaded-packages" in word.text.lower() for word in command.args):
        return True
    return mentions_before(ctx, run, command.start, "keep-downloaded-packages")


def _path(text: str, home: str, workdir: str) -> str | None:
    """The directory an ``rm`` argument names (for a glob: the directory it is in), or None when unknown."""
    if text.startswith("~"):
        text = home + text[1:]
    text = _HOME_VARIABLE.sub(home, text)
    if "$" in text or not text:
        return None
    match = _GLOB.search(text)
    if match is not None:
        text = posixpath.dirname(text[: match.start()]) or "/"
    if not text.startswith("/"):
        text = posixpath.join(workdir, text)
    return posixpath.normpath(text)
