"""DO103: a cache mount that something in the build keeps empty."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import Mount
from dockopt.rules._cache import (
    APT_ARCHIVES,
    INSTALLING,
    Run,
    all_runs,
    cache_mount,
    descendants,
    docker_clean_removed,
    has_docker_clean,
    home_of,
    lineage,
    mentions_before,
    spelling,
    stage_runs,
)
from dockopt.rules._runfix import drop_command, lost_comment, remove_word
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command
from dockopt.shell.packages import Action, PackageOperation
from dockopt.syntax import Instruction

_USES_CACHE = INSTALLING | {Action.WHEEL, Action.DOWNLOAD}
_VERBS = frozenset({"install", "sync", "add", "wheel", "download", "purge", "clean", "prune", "clear"})
_GLOB = re.compile(r"[*?\[]")
_HOME_VARIABLE = re.compile(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")
# Cleaning commands whose whole effect is on the cache they clean (conda clean also touches environments).
_CLEANS_ONLY_CACHE = frozenset({"apt", "pip", "uv", "npm", "poetry"})
# The value that turns the setting off for one command: pip ignores an empty value, uv wants a boolean.
_CLEARED = {"PIP_NO_CACHE_DIR": "", "UV_NO_CACHE": "0"}
# Wrappers that do not pass a `NAME=value` prefix on to the command they run.
_ENV_RESETTING = frozenset({"sudo", "xargs", "chroot"})


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
        Safe: each fix only changes what happens inside the cache mount, never a file of the image.
        `--no-cache-dir` / `--no-cache` under the mount is deleted (with one space, or with its line when
        it stands alone on a continuation line); a `PIP_NO_CACHE_DIR=…` prefix on the command likewise.
        `apt-get clean`, `pip cache purge`, `uv cache clean`, `npm cache clean`, `poetry cache clear` under
        mounts on everything they clean, and `rm` of paths strictly inside a cache mount, are deleted
        (with the `&&` that joins them, when they are an element of the RUN's `&&` chain; an `rm` that
        also removes other paths keeps those). A variable set by an ENV of this file is removed from
        that ENV (the whole ENV when it sets nothing else) only where nothing else can tell: the stage
        does not reach the final image (the container's environment would lose it), no instruction uses
        its value, and every RUN in its scope (the rest of the stage and the stages built FROM it) that
        runs the manager does so under a cache mount (an install without one would leave its cache in
        its layer). Otherwise the fix clears it for the one command: `PIP_NO_CACHE_DIR= pip …` (pip
        ignores an empty value) or `UV_NO_CACHE=0 uv …` (uv rejects an empty one); not behind `sudo`,
        which drops such variables. No fix when the variable comes from a base image built elsewhere
        (the message names its file; that is where to change it), nor for the docker-clean hook or
        `apt`'s own deletion of downloads.
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
                f"clear it for this command (`{variable}={_CLEARED[variable]} {command.argv[0].text} …`) or remove "
                f"it{also}",
                fix=_enable_cache(ctx, run, operation, variable),
            )
        elif operation.no_cache_flag is not None:
            flag = operation.no_cache_flag
            yield self.finding(
                ctx,
                (flag.start, flag.end),
                f"{flag.text} turns off {operation.manager}'s cache, so the cache mount on {mount.target} stays "
                f"empty and {written} downloads everything again on every rebuild; drop {flag.text} "
                "(the mount already keeps the cache out of the image)",
                fix=_drop_flag(ctx, run, operation),
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
                    fix=_drop_cleaning(ctx, run, operation),
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
                        fix=_drop_removal(ctx, run, command),
                    )
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


# -- fixes -----------------------------------------------------------------------------------------------


def _drop_flag(ctx: FileContext, run: Run, operation: PackageOperation) -> Fix | None:
    flag = operation.no_cache_flag
    if flag is None:
        return None
    edit = remove_word(ctx.df, run.instruction, flag.start, flag.end)
    return None if edit is None else Fix(FixSafety.SAFE, f"drop {flag.text}", (edit,))


def _enable_cache(ctx: FileContext, run: Run, operation: PackageOperation, variable: str) -> Fix | None:
    """Let the manager use its cache mount: without the variable where that changes nothing else, else
    with the variable cleared for this command only."""
    command = operation.command
    edits: list[Edit] = []
    flag = operation.no_cache_flag
    if flag is not None:
        removal = remove_word(ctx.df, run.instruction, flag.start, flag.end)
        if removal is None:
            return None
        edits.append(removal)
    if variable in dict(command.assignments):
        assignment = _assignment(ctx, command, variable)
        if assignment is None:
            return None
        removal = remove_word(ctx.df, run.instruction, *assignment)
        if removal is None:
            return None
        return Fix(FixSafety.SAFE, f"drop {variable} from the command", (removal, *edits))
    origin = run.state.env_origin.get(variable, "")
    if not origin.startswith("line "):
        return None  # set by a base image: the message names its file, where it belongs
    env = _env_instruction(run, variable, int(origin.removeprefix("line ")))
    if env is not None and not _in_effect_elsewhere(ctx, env, variable):
        edit = _remove_variable(env, variable)
        if edit is not None:
            return Fix(FixSafety.SAFE, f"remove {variable} from the ENV on line {env.start_line}", (edit, *edits))
    if _ENV_RESETTING & set(command.wrappers):
        return None
    edits.append(Edit(command.start, command.start, f"{variable}={_CLEARED[variable]} "))
    return Fix(FixSafety.SAFE, f"clear {variable} for this command", tuple(edits))


def _assignment(ctx: FileContext, command: Command, variable: str) -> tuple[int, int] | None:
    """The source range of ``NAME=value`` in the prefix of ``command``."""
    prefix = ctx.df.text[command.start : command.argv[0].start]
    match = re.search(rf"(?<![^\s]){re.escape(variable)}=(?:\"[^\"]*\"|'[^']*'|[^\s]*)", prefix)
    if match is None:
        return None
    return command.start + match.start(), command.start + match.end()


def _env_instruction(run: Run, variable: str, line: int) -> Instruction | None:
    """The ENV instruction of this file on ``line`` that sets ``variable`` (an ARG is left alone)."""
    for stage in lineage(run.state.stage):
        for state in stage.states:
            ins = state.instruction
            if ins.keyword == "ENV" and ins.start_line <= line <= ins.end_line and variable in ins.values[0::2]:
                return ins
    return None


def _in_effect_elsewhere(ctx: FileContext, env: Instruction, variable: str) -> bool:
    """Removing the variable could change more than cache mounts: it reaches the image's configuration,
    an install without a mount (whose cache would then stay in its layer), or a use of its value."""
    stage = next(s for s in ctx.model.stages if any(state.instruction is env for state in s.states))
    if stage.in_final_image:
        return True  # the container's environment would lose it
    text = ctx.df.text
    if f"${variable}" in text or f"${{{variable}" in text:
        return True
    manager = "pip" if variable.startswith("PIP_") else "uv"
    for scope in (stage, *descendants(ctx, stage)):
        for run in stage_runs(ctx, scope):
            if scope is stage and run.instruction.span.start < env.span.start:
                continue
            if not _all_served(run, manager):
                return True
    return False


def _all_served(run: Run, manager: str) -> bool:
    """Every command of ``manager`` in this RUN that uses the cache has a cache mount on it; a RUN that names the
    manager in some other way (pipenv, pip-sync, a script) counts as unserved."""
    uses = [op for op in run.operations if op.manager == manager and op.action in _USES_CACHE]
    if not uses:
        words = re.findall(r"[\w.-]+", run.script.text)
        related = (manager + "-", manager + "env", manager + "x")
        return not any(word == manager or word.startswith(related) for word in words)
    return all(op.cache_dirs and cache_mount(run.state, op.cache_dirs[0]) is not None for op in uses)


def _remove_variable(env: Instruction, variable: str) -> Edit | None:
    """Delete ``NAME=value`` from an ENV, or the whole ENV when it sets nothing else."""
    tokens = _env_tokens(env)
    names = [token[2].split("=", 1)[0] for token in tokens]
    if not tokens or "=" not in tokens[0][2] or names.count(variable) != 1:
        return None  # the legacy `ENV NAME value` form, or the variable twice
    index = names.index(variable)
    if len(tokens) == 1:
        start, end = env.span.start, env.span.end
    elif index == 0:
        start, end = env.source_offset(tokens[0][0]), env.source_offset(tokens[1][0])
    else:
        start = env.source_offset(tokens[index - 1][1] - 1) + 1
        end = env.source_offset(tokens[index][1] - 1) + 1
    if lost_comment(env, start, end):
        return None
    return Edit(start, end, "")


def _env_tokens(env: Instruction) -> list[tuple[int, int, str]]:
    """The words after ENV: (start, end) in ``env.logical`` and the text, quotes and escapes as written."""
    logical = env.logical
    position = len(logical) - len(logical.lstrip())
    position += len(env.raw_keyword)
    tokens: list[tuple[int, int, str]] = []
    start: int | None = None
    quote = ""
    index = position
    while index < len(logical):
        char = logical[index]
        if start is None:
            if not char.isspace():
                start = index
                continue
        elif quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char in "\"'":
            quote = char
        elif char == "\\":
            index += 1
        elif char.isspace():
            tokens.append((start, index, logical[start:index]))
            start = None
        index += 1
    if start is not None:
        end = len(logical.rstrip())
        tokens.append((start, end, logical[start:end]))
    return tokens


def _drop_cleaning(ctx: FileContext, run: Run, operation: PackageOperation) -> Fix | None:
    """`apt-get clean`, `pip cache purge`… under mounts on everything they clean: they only empty the mounts."""
    if operation.manager not in _CLEANS_ONLY_CACHE or not operation.cache_dirs:
        return None
    if any(cache_mount(run.state, directory) is None for directory in operation.cache_dirs):
        return None
    return _drop_statement(ctx, run, operation.command, f"drop `{spelling(operation.command, _VERBS)}`")


def _drop_removal(ctx: FileContext, run: Run, command: Command) -> Fix | None:
    """`rm -rf /var/lib/apt/lists/*` under a mount on the lists: drop the paths inside mounts, or the command."""
    home = home_of(run.state)[0]
    inside: list[tuple[int, int]] = []
    positional = command.positional()
    for word in positional:
        mount = _mount_holding(run, word.text, home)
        if mount is not None:
            inside.append((word.start, word.end))
    if not inside:
        return None
    written = " ".join(w.text for w in command.argv)
    if len(inside) == len(positional):
        return _drop_statement(ctx, run, command, f"drop `{written}`")
    edits = [remove_word(ctx.df, run.instruction, start, end) for start, end in inside]
    if any(edit is None for edit in edits):
        return None
    return Fix(FixSafety.SAFE, "drop the paths inside the cache mount", tuple(e for e in edits if e is not None))


def _mount_holding(run: Run, text: str, home: str) -> Mount | None:
    """The cache mount strictly inside which the ``rm`` argument lies (a mount point itself cannot be removed)."""
    if text.startswith("~"):
        text = home + text[1:]
    text = _HOME_VARIABLE.sub(home, text)
    if "$" in text or not text.startswith("/"):
        return None
    for mount in run.state.cache_mounts():
        prefix = mount.target.rstrip("/") + "/"
        if text.startswith(prefix) and text != prefix:
            return mount
    return None


def _drop_statement(ctx: FileContext, run: Run, command: Command, description: str) -> Fix | None:
    edit = drop_command(ctx.df, run.instruction, run.script, command)
    return None if edit is None else Fix(FixSafety.SAFE, description, (edit,))
