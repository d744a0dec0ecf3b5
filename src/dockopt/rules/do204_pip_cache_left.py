"""DO204: pip/uv install that leaves its cache in the layer."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules._cache import Run, home_of
from dockopt.rules._rewrite import add_flag
from dockopt.rules._size import (
    INSTALLING,
    chain,
    ephemeral_mount,
    image_runs,
    later,
    named_by_argument,
    removed_after,
    spelling,
)
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, Flag, PackageOperation

# Settings the model does not follow: `export PIP_NO_CACHE_DIR=1`, `pip config set global.no-cache-dir …`.
_SCRIPT_SETTINGS = {
    "pip": re.compile(r"\bPIP_NO_CACHE_DIR=|\bPIP_CACHE_DIR=|\bPIP_CONFIG_FILE=|pip config set"),
    "uv": re.compile(r"\bUV_NO_CACHE=|\bUV_CACHE_DIR="),
}
_CONFIG_FILES = {"pip": ("pip.conf", "pip.ini"), "uv": ("uv.toml",)}
_VERBS = frozenset({"install", "sync", "add"})
_CONFIG_ENV = {"pip": "PIP_CONFIG_FILE", "uv": "UV_CONFIG_FILE"}
_ROOT_CACHE = "/root/.cache/"


class PipCacheLeft(Rule):
    """`pip install` or `uv pip install` that leaves its download cache in the image.

    What it does:
        Flags a pip or uv install (`pip install`, `python -m pip install`, `uv pip install`,
        `uv sync`, `uv add`) in the final stage, or a stage it is built FROM, when its cache
        directory is kept: no `--no-cache-dir` (uv: `--no-cache`), no `PIP_NO_CACHE_DIR` /
        `UV_NO_CACHE` in force (including one inherited from an earlier stage or a base image
        built in the same repository), no cache or tmpfs mount covering the cache directory, and
        no `pip cache purge` / `uv cache clean` / `rm -rf` of the cache later in the same RUN.
        `pip download`, `pip wheel` and `pip install --no-index` (nothing is downloaded) are not
        flagged, nor are stages that are only copied from, nor installs where a pip.conf/uv.toml
        is copied or mounted in, or the base is named by a build argument (`FROM
        ${REGISTRY}/base`) and unknown: either may turn the cache off.

    Why is this bad?
        pip keeps every wheel it downloads and every wheel it builds in `~/.cache/pip` (uv in
        `~/.cache/uv`). In an image nothing ever reads that cache again, but it is committed with
        the layer: for ML stacks that is the size of the packages a second time (torch alone is
        several GB of wheels).

    Example:
        ```dockerfile
        RUN pip install -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        RUN --mount=type=cache,target=/root/.cache/pip \\
            pip install -r requirements.txt
        ```
        The cache then lives in BuildKit's cache, out of the image, and speeds up the next build.
        `pip install --no-cache-dir -r requirements.txt` also keeps the image small, but every
        build downloads everything again.

    Fix safety:
        Safe: the fix adds `--mount=type=cache,target=/root/.cache/pip` (uv: `/root/.cache/uv`) as
        the RUN's first flag, on the keyword's line. The installed packages are the same; only the
        cache moves out of the layer (uv copies instead of hard-linking out of a mounted cache).
        Only for root with the default cache directory: a cache mount is owned by root, so in
        another user's home pip could not write to it (and uv would fail), and the empty mount
        point it leaves would be a new directory outside any cache.

    Deliberate differences:
        Cache mounts: hadolint's DL3042 accepts a cache or tmpfs mount whose target ends in
        `.cache/pip`, whoever runs pip, and nothing else; dockopt accepts any cache or tmpfs
        mount covering the cache directory of the user running pip (`/root/.cache` too), and
        not `/tmp/.cache/pip` for root. A cache removed later in the same RUN (`rm -rf
        /root/.cache/pip`, `pip cache purge`) or turned off by `pip config set` counts here,
        not for DL3042. `PIP_NO_CACHE_DIR=off` (or `false`, `0`) turns the cache off too: pip
        treats any value as "no cache", while DL3042 wants a truthy value. dockopt also follows
        `PIP_NO_CACHE_DIR` set in a parent image built in the same repository.

        Not reported here, reported by DL3042: stages that are not in the image (neither the
        final stage nor a stage it is built FROM), `ONBUILD` instructions (they run in another
        image's build, which is checked there), `pip install --no-index` (nothing is
        downloaded, so nothing is cached: the usual `RUN --mount=type=bind,from=builder,…
        pip install --no-index /wheels/*.whl`), and installs with a `pip.conf` copied or
        mounted in (`--mount=type=secret,id=pip_conf,target=/etc/pip.conf`) or an unknown base
        named by a build arg: their settings may turn the cache off, and dockopt cannot see
        them.

        Reported here, not by DL3042: pip run by its path (`/opt/venv/bin/pip install`) or
        through a wrapper (`sudo pip install`), and uv (`uv pip install`, `uv sync`), which
        hadolint does not know; findings about uv have no hadolint equivalent.
    """

    id = "DO204"
    name = "pip-cache-left"
    severity = Severity.WARNING
    groups = ("size",)
    equivalents = ("hadolint:DL3042",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in image_runs(ctx):
            reported: set[str] = set()
            for operation in run.operations:
                if operation.manager in reported or not _leaves_cache(ctx, run, operation):
                    continue
                reported.add(operation.manager)
                cache = operation.cache_dirs[0]
                command = operation.command
                flag = "--no-cache-dir" if operation.manager == "pip" else "--no-cache"
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{spelling(command, _VERBS)}` keeps its download cache ({cache}) in this layer, where nothing "
                    f"reads it again; add `--mount=type=cache,target={cache}` to the RUN (or {flag})",
                    equivalents=self.equivalents if operation.manager == "pip" else (),  # DL3042 knows pip only
                    fix=_fix(ctx, run, cache),
                )


def _fix(ctx: FileContext, run: Run, cache: str) -> Fix | None:
    """A cache mount on root's cache directory (the only one whose owner and parents are certain)."""
    user = (run.state.user or "root").split(":", 1)[0]
    if user not in ("root", "0") or run.state.env.get("HOME", "/root") != "/root":
        return None  # a root-owned mount in another user's home: pip could not write it, uv would fail
    if not cache.startswith(_ROOT_CACHE) or "$" in cache:
        return None  # the empty mount point would stay in the image, outside any cache directory
    ins = run.state.instruction
    heredoc = ins.arguments.lstrip().startswith("<<")
    edit = add_flag(ins, ctx.df, f"--mount=type=cache,target={cache}", own_line=not heredoc)
    if edit is None:
        return None
    return Fix(FixSafety.SAFE, f"mount a build cache on {cache}", (edit,))


def _leaves_cache(ctx: FileContext, run: Run, operation: PackageOperation) -> bool:
    if operation.manager not in ("pip", "uv") or operation.action not in INSTALLING:
        return False
    if operation.no_cache or Flag.NO_INDEX in operation.flags:
        return False
    if not operation.cache_dirs:
        return False
    home, home_known = home_of(run.state)
    cache = operation.cache_dirs[0]
    if ephemeral_mount(run.state, cache, home_known=home_known, home=home) is not None:
        return False
    if _cleaned_after(run, operation, home):
        return False
    if _SCRIPT_SETTINGS[operation.manager].search(run.script.text):
        return False
    return not _configured_elsewhere(ctx, run, operation.manager)


def _cleaned_after(run: Run, operation: PackageOperation, home: str) -> bool:
    cache = operation.cache_dirs[0]
    if removed_after(run.script, cache, operation.command.end, home):
        return True
    return any(
        other.action is Action.CLEAN and other.manager == operation.manager
        for other in later(run.operations, operation.command)
    )


def _configured_elsewhere(ctx: FileContext, run: Run, manager: str) -> bool:
    """A configuration file or an unknown base may turn the cache off: then stay quiet."""
    if _CONFIG_ENV[manager] in run.state.env:
        return True
    if any(mount.target.endswith(_CONFIG_FILES[manager]) for mount in run.state.mounts):
        return True  # `--mount=type=secret,id=pip_conf,target=/etc/pip.conf`
    stages = chain(run.state.stage)
    if _unknown_in_house_base(stages[0]):
        return True
    for stage in stages:
        for state in stage.states:
            ins = state.instruction
            if ins.span.start >= run.state.instruction.span.start:
                return False
            if ins.keyword in ("COPY", "ADD") and ins.values and ins.values[-1].endswith(_CONFIG_FILES[manager]):
                return True
            # a RUN's exports end with it; `pip config set` writes a file that stays
            if ins.keyword == "RUN" and manager == "pip" and "pip config set" in ctx.df.source(ins.span):
                return True
    return False


def _unknown_in_house_base(root: StageModel) -> bool:
    """``FROM ${REGISTRY}/team-base:${TAG}`` with nothing known of it: it may well set PIP_NO_CACHE_DIR."""
    return not root.base.known and named_by_argument(root, registry_too=True)
