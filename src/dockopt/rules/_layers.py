"""What the layers of an image add: shared by the image-size rules DO208-DO213.

The size rules look at the stages that end up in the image (the final stage and the stages it is
built FROM), in build order. This module answers, for those stages: which paths a COPY/ADD or a
RUN put into a layer (``Added``), which paths a RUN removes or rewrites, and where a relative path
in a RUN points (the WORKDIR, changed by a top-level ``cd``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from dockopt.model import StageModel, State
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import (
    Action,
    Classification,
    Download,
    Extraction,
    ModelDownload,
    PackageOperation,
    classify,
)
from dockopt.syntax import Instruction
from dockopt.syntax.expand import expand_word

_GLOB = re.compile(r"[*?\[]")
# Names under which images meant for development, tests or CI go: dev tools and full bases are expected there.
_DEV_NAMES = frozenset({"dev", "devel", "development", "test", "tests", "testing", "ci", "lint", "debug"})
_DEV_FILE = re.compile(r"(?:^|[._-])(?:dev|devel|development|test|tests|testing|ci|lint|debug)(?:$|[._-])", re.I)
# Caches a RUN writes whenever it installs without a cache mount or a no-cache option: removing them in a later
# layer saves nothing. apt's archive cache is left out: the docker-clean hook of the Debian/Ubuntu images
# already empties it.
_CACHING_MANAGERS = frozenset({"pip", "uv", "poetry", "conda", "npm", "yarn", "pnpm", "dnf", "yum", "microdnf"})
_SMALL_TEXT = (
    ".txt", ".in", ".toml", ".lock", ".cfg", ".ini", ".conf", ".json", ".yaml", ".yml", ".sh", ".py", ".md", ".env",
)  # fmt: skip
_GIT_VALUE_OPTIONS = frozenset(
    {"-b", "--branch", "--depth", "-o", "--origin", "-c", "--config", "--reference", "-j", "--jobs", "--filter",
     "--template", "--shallow-since", "--shallow-exclude", "-u", "--upload-pack", "--separate-git-dir"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Added:
    """A path an instruction put into its layer.

    ``contents`` is False when ``path`` itself (a file or a whole directory) was created, True when
    things were put inside ``path`` (which may have existed before). ``path`` may be a glob
    (``/wheels/*.whl`` for ``COPY *.whl /wheels/``).
    """

    path: str
    contents: bool
    instruction: Instruction
    what: str  # "COPY requirements.txt /tmp/", "curl -o /tmp/x.tgz"
    small: bool = False  # one text file such as requirements.txt or a script: its waste is kilobytes

    @property
    def by_copy(self) -> bool:
        return self.instruction.keyword in ("COPY", "ADD")


@dataclass(frozen=True, slots=True)
class Target:
    """A path a command names (``rm -rf X``, ``chown -R u X``), absolute, possibly a glob."""

    path: str
    recursive: bool
    command: Command


def image_states(ctx: FileContext) -> Iterator[State]:
    """The states of every instruction in the stages that end up in the image, in build order."""
    for stage in ctx.model.stages_in_image():
        yield from stage.states


def image_runs_after_additions(ctx: FileContext) -> list[tuple[State, Script, tuple[Added, ...]]]:
    """Each shell-form RUN of the image's stages in build order, with the files every COPY, ADD and RUN
    before it added (worked out once per file: DO209 and DO211 both ask)."""
    known: dict[str, list[tuple[State, Script, tuple[Added, ...]]]] = ctx.memo("runs after additions")
    if "image" not in known:
        found: list[tuple[State, Script, tuple[Added, ...]]] = []
        added: list[Added] = []
        for state in image_states(ctx):
            ins = state.instruction
            if ins.keyword in ("COPY", "ADD"):
                added.extend(copied(ctx, state))
                continue
            script = ctx.script(ins) if ins.keyword == "RUN" else None
            if script is None:
                continue
            found.append((state, script, tuple(added)))
            added.extend(created_by_run(ctx, state))
        known["image"] = found
    return known["image"]


def kind_of(ctx: FileContext, state: State, script: Script, command: Command) -> Classification | None:
    """``classify`` of a command of a RUN with the ENV and the home in force there, once per file."""
    memo: dict[tuple[int, int, str], Classification | None] = ctx.memo("classified")
    key = (command.start, command.end, command.name)
    if key not in memo:
        memo[key] = classify(command, script, env=state.env, home=home_of(state) or "/root")
    return memo[key]


def root_of(stage: StageModel) -> StageModel:
    """The first stage of the chain a stage is built FROM (the one naming an image)."""
    while stage.parent is not None:
        stage = stage.parent
    return stage


def is_dev_image(ctx: FileContext) -> bool:
    """The file, its directory or its final stage is named for development, tests or CI (``Dockerfile.dev``)."""
    final = ctx.model.final
    if final is not None and final.name in _DEV_NAMES:
        return True
    parts = PurePosixPath(ctx.display_path.replace("\\", "/")).parts
    if ".devcontainer" in parts or (len(parts) > 1 and parts[-2].lower() in _DEV_NAMES):
        return True
    return bool(parts) and _DEV_FILE.search(parts[-1]) is not None


# -- paths ------------------------------------------------------------------------------------------


def absolute(path: str, cwd: str | None) -> str | None:
    """``path`` made absolute against ``cwd`` and normalised; None when it depends on an unknown directory."""
    if path.startswith("/"):
        return _normalise(path)
    if cwd is None or not cwd.startswith("/") or "$" in cwd:
        return None
    return _normalise(posixpath.join(cwd, path))


def _normalise(path: str) -> str:
    kept_slash = path.endswith("/") and path != "/"
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal + "/" if kept_slash and normal != "/" else normal


def strip_slash(path: str) -> str:
    return path.rstrip("/") or "/"


def is_within(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or below it (plain path comparison)."""
    path, parent = strip_slash(path), strip_slash(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def is_glob(path: str) -> bool:
    return _GLOB.search(path) is not None


def expand(word_text: str, state: State) -> str | None:
    """A word with ``$VAR`` expanded from the ENV/ARG in force (and HOME for root); None when unknown."""
    if "$" not in word_text:
        return word_text
    env = dict(state.env)
    if "HOME" not in env and state.user in (None, "root", "0"):
        env["HOME"] = "/root"
    result = expand_word(word_text, env)
    if result.unset or result.error or "$" in result.value:
        return None
    return result.value


def home_of(state: State) -> str | None:
    """The home directory of the user running a RUN, when it is known."""
    if state.env.get("HOME"):
        return state.env["HOME"]
    return "/root" if state.user in (None, "root", "0", "0:0") else None


def cwd_at(script: Script, command: Command, workdir: str) -> str | None:
    """The directory ``command`` runs in: the WORKDIR, changed by earlier top-level ``cd``; None when unknown."""
    cwd: str | None = workdir
    for other in script.commands:
        if other.start >= command.start:
            break
        if other.name != "cd":
            continue
        if other.in_subshell and not command.in_subshell:
            continue  # `(cd x && make)` does not move what follows the subshell
        if other.nested or other.conditional or not other.args or other.args[0].dynamic:
            return None
        target = other.args[0].text
        if target == "-":
            return None
        cwd = absolute(target, cwd) if cwd is not None else None
        if cwd is None:
            return None
    return strip_slash(cwd) if cwd else None


def under_mount(state: State, path: str) -> bool:
    """``path`` is inside a mount of this RUN (cache, bind, tmpfs, secret): nothing there reaches the layer."""
    return any(mount.covers(strip_slash(path)) for mount in state.mounts if mount.target)


# -- what COPY/ADD and RUN add ----------------------------------------------------------------------------

_ARCHIVE = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$", re.I)


def is_url(text: str) -> bool:
    return "://" in text


def copy_parts(ctx: FileContext, ins: Instruction) -> tuple[list[str], str] | None:
    """(sources, destination) of a COPY/ADD, expanded; None when they cannot be read."""
    expanded = ctx.expansion.at(ins)
    values = list(expanded.values if expanded.values is not None else ins.values)
    if len(values) < 2 or expanded.unset:
        return None
    return values[:-1], values[-1]


def copied(ctx: FileContext, state: State) -> list[Added]:
    """What a COPY/ADD puts into its layer."""
    ins = state.instruction
    parts = copy_parts(ctx, ins)
    if parts is None:
        return []
    sources, dest = parts
    destination = absolute(dest, state.workdir)
    if destination is None:
        return []
    into_directory = dest.endswith("/") or dest in (".", "..") or len(sources) > 1
    base = strip_slash(destination)
    what = " ".join(ins.logical.split())
    added: list[Added] = []
    for source in sources:
        heredoc = source.startswith("<<")
        name = source.lstrip("<-") if heredoc else posixpath.basename(strip_slash(source.split("?", 1)[0]))
        local_archive = ins.keyword == "ADD" and not is_url(source) and not heredoc and _ARCHIVE.search(source)
        small = heredoc or (not is_glob(name) and name.lower().endswith(_SMALL_TEXT))
        if local_archive or (not heredoc and not is_url(source) and _directory_like(source)):
            added.append(Added(base, True, ins, what))  # a directory's contents, or an archive ADD extracts
        elif into_directory:
            added.append(Added(posixpath.join(base, name), False, ins, what, small))
        else:
            added.append(Added(base, False, ins, what, small))
            if not heredoc and not is_glob(name):
                added.append(Added(posixpath.join(base, name), False, ins, what, small))  # dest is a directory
    return added


def _directory_like(source: str) -> bool:
    """A COPY source that is a directory: `.`, `src/`, or a name without an extension (`models`)."""
    if source.endswith("/") or source in (".", ".."):
        return True
    name = posixpath.basename(source)
    return not is_glob(name) and "." not in name.lstrip(".")


def created_by_run(ctx: FileContext, state: State, *, before: int | None = None) -> list[Added]:
    """Paths a RUN certainly leaves in its layer: downloads, extractions, clones, model downloads, caches.

    With ``before``, the paths created by the commands before that offset, whether removed later or not.
    """
    script = ctx.script(state.instruction)
    if script is None:
        return []
    added: list[Added] = []
    removals: list[Target] | None = None  # the RUN's rm targets, found when first needed
    for command in script.commands:
        if command.conditional or (before is not None and command.start >= before):
            continue
        kind = kind_of(ctx, state, script, command)
        if kind is None and command.name != "git":
            continue  # _created has nothing for it (most commands): no need to follow the cd's
        cwd = cwd_at(script, command, state.workdir)
        for path, contents in _created(kind, command, state, cwd):
            resolved = absolute(path, cwd)
            if resolved is None or under_mount(state, resolved):
                continue
            if before is None:
                if removals is None:
                    removals = list(targets(script, state, ("rm",)))
                if _removed_after(removals, Added(resolved, False, state.instruction, ""), command.end):
                    continue
            text = ctx.df.text[command.start : command.end]
            added.append(Added(resolved, contents, state.instruction, text))
    return added


def _created(
    kind: Classification | None, command: Command, state: State, cwd: str | None
) -> Iterator[tuple[str, bool]]:
    if isinstance(kind, Download):
        for output in kind.outputs:
            if output not in ("-", "/dev/null"):
                yield output, False
    elif isinstance(kind, Extraction):
        if kind.destination is not None:
            yield kind.destination, True
        elif cwd is not None:
            yield cwd, True
    elif isinstance(kind, ModelDownload):
        if kind.local_dir:
            local = expand(kind.local_dir, state)
            if local:
                yield local, True
    elif isinstance(kind, PackageOperation):
        yield from _package_paths(kind, command, state)
    elif command.name == "git" and command.subcommand == "clone":
        words = [w for w in command.positional(_GIT_VALUE_OPTIONS) if w.text != "clone"]
        if len(words) >= 2 and not words[1].dynamic:
            yield words[1].text, False
        elif len(words) == 1 and not words[0].dynamic:
            yield posixpath.basename(strip_slash(words[0].text)).removesuffix(".git"), False


def _package_paths(op: PackageOperation, command: Command, state: State) -> Iterator[tuple[str, bool]]:
    if op.manager == "apt" and op.action is Action.UPDATE:
        yield "/var/lib/apt/lists", True
        return
    if op.action is Action.WHEEL or (op.action is Action.DOWNLOAD and op.manager == "pip"):
        directory = command.flag_value("-w", "--wheel-dir", "-d", "--dest")
        if directory and "$" not in directory:
            yield directory, True
    if op.manager in _CACHING_MANAGERS and op.installs and not op.no_cache and home_of(state) is not None:
        for cache in op.cache_dirs:
            if "$" not in cache:
                yield cache, True


def targets(script: Script, state: State, names: Sequence[str], *, skip_first: bool = False) -> Iterator[Target]:
    """Paths named by ``rm``/``chown``/``chmod`` commands, made absolute; unknown ones are left out.

    ``skip_first`` drops the first operand (the owner of chown, the mode of chmod).
    """
    for command in script.commands:
        if command.name not in names:
            continue
        recursive = command.has_flag("-r", "-R", "--recursive")
        operands = command.positional(frozenset({"--reference"}) if command.name != "rm" else frozenset())
        if skip_first and not command.has_flag("--reference"):
            operands = operands[1:]
        cwd = cwd_at(script, command, state.workdir)
        for word in operands:
            text = word.text if "$" not in word.raw else expand(word.text, state)
            if text and (text == "~" or text.startswith("~/")) and not word.quoted:
                home = home_of(state)
                text = home + text[1:] if home else None
            if not text or text.startswith("~"):
                continue
            path = absolute(text, cwd)
            if path is not None and strip_slash(path) != "/":
                yield Target(strip_slash(path), recursive, command)


def removed_in(script: Script, state: State, path: str, after: int) -> bool:
    """``path`` (absolute) is removed by an ``rm`` at or after offset ``after`` in the same RUN."""
    return _removed_after(targets(script, state, ("rm",)), Added(path, False, state.instruction, ""), after)


def _removed_after(removals: Iterable[Target], created: Added, after: int) -> bool:
    return any(t.command.start >= after and removes(t, created) for t in removals)


def cleaned(ctx: FileContext, state: State, script: Script) -> Iterator[Target]:
    """Caches emptied by a package manager's clean command (``conda clean -a``, ``yum clean all``…)."""
    if home_of(state) is None:
        return  # whose cache it is depends on a home directory not known here
    for command in script.commands:
        kind = kind_of(ctx, state, script, command)
        if isinstance(kind, PackageOperation) and kind.action is Action.CLEAN:
            for cache in kind.cache_dirs:
                if cache.startswith("/"):
                    yield Target(strip_slash(cache), True, command)


def removes(target: Target, added: Added) -> bool:
    """Whether removing ``target`` deletes (some of) what ``added`` put into a layer."""
    t = target.path
    path = strip_slash(added.path)
    if is_glob(t):
        if fnmatchcase(path, t) or (not added.contents and t == path):
            return True
        # `rm -rf /tmp/*` after something was put into /tmp (or into one of its subdirectories)
        parent = posixpath.dirname(t)
        if added.contents and not is_glob(parent) and posixpath.basename(t) in ("*", ".*"):
            return is_within(path, parent)
        return target.recursive and any(fnmatchcase(a, t) for a in _ancestors(path))
    if t == path:
        return target.recursive or not added.contents
    return target.recursive and is_within(path, t)


def rewrites(target: Target, added: Added) -> bool:
    """Whether ``chown -R``/``chmod -R`` of ``target`` (the path or a parent) covers what ``added`` put there."""
    return not is_glob(target.path) and is_within(_literal_prefix(added.path), target.path)


def _literal_prefix(path: str) -> str:
    match = _GLOB.search(path)
    return path if match is None else posixpath.dirname(path[: match.start()] + "x")


def _ancestors(path: str) -> Iterator[str]:
    while path not in ("/", ""):
        path = posixpath.dirname(path)
        yield path


def env_value(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return None


def short(text: str, limit: int = 70) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lines(instructions: Sequence[Instruction]) -> str:
    """``line 4`` or ``lines 4, 9``."""
    numbers = sorted({ins.start_line for ins in instructions})
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(str(n) for n in numbers)
