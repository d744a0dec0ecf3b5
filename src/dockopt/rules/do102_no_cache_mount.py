"""DO102: package install without a BuildKit cache mount for its cache."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules._cache import (
    APT_ARCHIVES,
    APT_LISTS,
    CACHEABLE_MANAGERS,
    DOCKER_CLEAN,
    INSTALLING,
    Run,
    all_runs,
    cache_mount,
    docker_clean_removed,
    has_docker_clean,
    home_of,
    lineage,
    overlaps,
    spelling,
    unknown_in_house_base,
)
from dockopt.rules._runfix import body, continuation, drop_command, insert_in_header, remove_word
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, Flag, PackageOperation

# Installing only the installer's own tooling downloads a few small wheels: not worth a finding.
_BOOTSTRAP = frozenset({"pip", "setuptools", "wheel"})
_VERBS = frozenset({"install", "sync", "add", "ci", "i", "create", "update", "upgrade", "dist-upgrade", "reinstall"})
# The managers the fix adds a mount for: where their cache is, and that nothing else lives there, is known.
_FIXABLE = frozenset({"pip", "uv", "poetry", "npm", "apt"})
# apt's lists live in /var/lib/apt/lists; the rest of /var/lib/apt (extended_states) belongs to the image.
_APT_TARGETS = {APT_ARCHIVES: APT_ARCHIVES, APT_LISTS: APT_LISTS + "/lists"}
# Where docker-clean waits while the RUN installs (apt reads only /etc/apt/apt.conf.d/).
_DOCKER_CLEAN_ASIDE = "/etc/apt/docker-clean.disabled"
_ROOT = frozenset({"root", "0", "root:root", "0:0"})


class NoCacheMount(Rule):
    """Package install without a BuildKit cache mount for the package manager's cache.

    What it does:
        Flags a pip, uv, poetry, conda/mamba, apt, npm, yarn or pnpm install whose RUN has no
        `--mount=type=cache` on the manager's cache directory (for apt: both /var/cache/apt and
        /var/lib/apt). The cache directory is the one the manager really uses: the user's home
        (`/root/.cache/pip` for root), `PIP_CACHE_DIR`, `UV_CACHE_DIR`, `--cache-dir`, a conda root
        prefix, the npm/yarn/pnpm settings. Mounts on heredoc RUNs count like any other.

        Not reported: installs with the cache switched off for the whole image by `PIP_NO_CACHE_DIR` or
        `UV_NO_CACHE` (ENV or ARG, in this file or a base image of the repository), a decision made
        elsewhere that a mount alone would not undo (DO103 reports mounts such a setting defeats); for
        the same reason pip and uv installs in a stage built on an unknown in-house image
        (`FROM ${REGISTRY}/team-base:${TAG}`), until the repository is linted as a whole;
        `pip install --no-index` (nothing is downloaded); installs of only pip, setuptools and wheel.
        A mount whose path names yarn, pnpm or conda counts for them, since where they keep their
        cache depends on their version and installer.

    Why is this bad?
        Without a cache mount every rebuild of the layer downloads every package again: after a
        one-line change to requirements.txt, all of torch and its CUDA wheels come over the network
        once more. A cache mount keeps the downloads in BuildKit's cache between builds, and out of
        the image, so a rebuild only fetches what changed.

    Example:
        ```dockerfile
        RUN pip install --no-cache-dir -r requirements.txt
        RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \\
            && rm -rf /var/lib/apt/lists/*
        ```

    Use instead:
        ```dockerfile
        RUN --mount=type=cache,target=/root/.cache/pip \\
            pip install -r requirements.txt
        RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
            --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
            mv /etc/apt/apt.conf.d/docker-clean /etc/apt/docker-clean.disabled \\
            && apt-get update && apt-get install -y --no-install-recommends ffmpeg \\
            && mv /etc/apt/docker-clean.disabled /etc/apt/apt.conf.d/docker-clean
        ```
        With the mounts, `--no-cache-dir` and the `rm -rf /var/lib/apt/lists/*` must go (they
        would empty the cache: DO103); nothing of the cache reaches the image either way.
        `sharing=locked` for apt because two builds cannot use its lock files at once. The lists are
        mounted, not all of /var/lib/apt: its `extended_states` belongs to the image. Debian and Ubuntu
        images delete downloaded packages through the docker-clean hook; setting it aside for the
        install keeps them in the cache while the image keeps the hook (removing it for good with
        `rm -f /etc/apt/apt.conf.d/docker-clean` in an earlier RUN works too).

    Fix safety:
        Safe: the fix adds `--mount=type=cache,target=DIR` for each missing cache directory, DIR being
        where the manager keeps its cache for root (pip `/root/.cache/pip`, uv `/root/.cache/uv`, npm
        `/root/.npm`, or the `*_CACHE_DIR` setting in force; for poetry its `cache` and `artifacts`
        subdirectories, since poetry keeps virtualenvs in its cache directory too), and drops a
        `--no-cache-dir` / `--no-cache` of the command. For apt: mounts on /var/cache/apt and
        /var/lib/apt/lists with `sharing=locked` and, when the base image has the docker-clean hook,
        `mv` of the hook aside before the RUN's commands and back after them (the RUN must be a plain
        `&&` chain, so the hook is back whenever the RUN succeeds). The installed files are the same;
        only where the downloads are kept changes, and the cache directories are not in the image
        (BuildKit leaves an empty mount point). `--verify-build` on Docker 20.10 found the images
        equal but for the caches. No fix: for another user than root (BuildKit creates the mount point
        owned by root, which would leave a root-owned ~/.cache in that user's home, and a cache that
        user cannot write); in Windows images (no cache mounts there); for conda, yarn and pnpm
        (their cache directory depends on their version); when the RUN already has a mount on that
        path; for `apt` (it deletes its downloads itself) or a RUN that handles docker-clean itself;
        when the RUN removes the mount point or a directory above it (`rm -rf /root/.cache`: that
        would fail on a mount point) or cleans the cache in a way DO103's fix cannot delete.
    """

    id = "DO102"
    name = "no-cache-mount"
    severity = Severity.WARNING
    groups = ("cache",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for run in all_runs(ctx):
            reported: set[str] = set()
            for operation in run.operations:
                if operation.manager in reported or not _wants_cache(run, operation):
                    continue
                missing = [d for d in operation.cache_dirs if _unserved(run, operation, d)]
                if not missing:
                    continue
                reported.add(operation.manager)
                command = operation.command
                fix = _fix(ctx, run, operation, missing)
                yield self.finding(ctx, (command.start, command.end), _message(run, operation, missing), fix=fix)


def _wants_cache(run: Run, operation: PackageOperation) -> bool:
    if operation.manager not in CACHEABLE_MANAGERS or operation.action not in INSTALLING:
        return False
    if not operation.cache_dirs or operation.no_cache_env is not None:
        return False
    if Flag.NO_INDEX in operation.flags:
        return False
    if operation.manager in ("pip", "uv") and unknown_in_house_base(run.state.stage):
        return False  # the base may well set PIP_NO_CACHE_DIR / UV_NO_CACHE
    if operation.requirement_files or operation.manifests or operation.local_paths or operation.editable:
        return True
    return bool(operation.urls or not operation.packages or any(p.name not in _BOOTSTRAP for p in operation.packages))


def _unserved(run: Run, operation: PackageOperation, directory: str) -> bool:
    # where yarn (v1 or berry), pnpm (by version) and conda (by installer) keep their cache varies: a mount
    # named for them is taken to be configured for them
    named_for = operation.manager if operation.manager in ("yarn", "pnpm", "conda") else None
    return cache_mount(run.state, directory, named_for) is None


def _message(run: Run, operation: PackageOperation, missing: list[str]) -> str:
    written = f"`{spelling(operation.command, _VERBS)}`"
    if operation.manager == "apt":
        mounts = " ".join(f"--mount=type=cache,target={_APT_TARGETS[d]},sharing=locked" for d in missing)
        where = " and ".join(_APT_TARGETS[d] for d in missing)
        lost = {APT_ARCHIVES: "every .deb", APT_LISTS: "the package lists"}
        again = " and ".join(lost[d] for d in (APT_LISTS, APT_ARCHIVES) if d in missing)
        text = f"{written} has no cache mount for {where}: every rebuild of this layer downloads {again} again; "
        text += f"add `{mounts}` to the RUN"
        if APT_ARCHIVES in missing:
            text += " (and in Debian/Ubuntu images set /etc/apt/apt.conf.d/docker-clean aside, or the "
            text += "downloaded packages are deleted after the install)"
        return text
    directory = missing[0]
    text = (
        f"{written} has no cache mount for its cache ({directory}): every rebuild of this layer downloads "
        f"every package again; add `--mount=type=cache,target={directory}` to the RUN"
    )
    if operation.no_cache_flag is not None:
        text += f" and drop {operation.no_cache_flag.text} (the mount keeps the cache out of the image)"
    others = [m.target for m in run.state.cache_mounts()]
    if others:
        text += f"; the cache mount on {', '.join(others)} does not cover {directory}"
    return text


def _fix(ctx: FileContext, run: Run, operation: PackageOperation, missing: list[str]) -> Fix | None:
    """``RUN --mount=type=cache,target=DIR …`` for the missing directories (apt: with docker-clean set aside)."""
    ins = run.instruction
    state = run.state
    if operation.manager not in _FIXABLE or ins.arguments_span is None:
        return None
    # BuildKit creates a missing mount point owned by root, and a cache owned by root: under another
    # user's home that would leave a root-owned ~/.cache in the image, and a cache the user cannot write
    if (state.user or "root") not in _ROOT or not home_of(state)[1]:
        return None
    if any(word in lineage(state.stage)[0].base_image.lower() for word in ("windows", "nanoserver")):
        return None  # BuildKit has no cache mounts for Windows containers
    if operation.manager == "apt":
        apt = [op.command for op in run.operations if op.manager == "apt"]
        if any(c.name == "apt" for c in apt) or "docker-clean" in ctx.df.source(ins.span):
            return None  # `apt` deletes its downloads by itself; a RUN that handles docker-clean knows better
        targets = [_APT_TARGETS[d] for d in missing if d in _APT_TARGETS]
        options = ",sharing=locked"
    elif operation.manager == "poetry":
        # poetry keeps its virtualenvs in its cache directory too: only the download caches may be mounted
        targets = [f"{d}/{part}" for d in missing for part in ("cache", "artifacts")]
        options = ""
    else:
        targets = list(missing)
        options = ""
    if not targets or any(overlaps(m.target, t) for m in state.mounts for t in targets):
        return None
    if not _cleanups_removable(ctx, run, targets):
        return None
    newline = continuation(ctx.df, ins)
    mounts = "".join(f"--mount=type=cache,target={t}{options}{newline}" for t in targets)
    start = ins.arguments_span.start
    edits: list[Edit] = []
    aside_too = False
    if operation.manager == "apt" and APT_ARCHIVES in missing and _docker_clean_in_force(ctx, run, operation):
        shape = body(ins)  # None for a heredoc
        if shape is None or not shape.chain or not shape.clean_end:
            return None  # `mv … && a; b && mv …` would restore the hook only when b succeeded
        aside = f"mv {DOCKER_CLEAN} {_DOCKER_CLEAN_ASIDE}"
        back = f"mv {_DOCKER_CLEAN_ASIDE} {DOCKER_CLEAN}"
        if shape.start != start:
            return None
        prefix = f"{mounts}{aside}{newline}&& "
        edits.append(Edit(shape.end, shape.end, f"{newline}&& {back}"))
        aside_too = True
    elif ins.heredocs:
        prefix = mounts.replace(newline, " ")
    else:
        prefix = mounts
    header = insert_in_header(ctx.df, ins, ctx.keyword_start(ins), prefix)
    if header is None:
        return None
    edits.insert(0, header)
    flag = operation.no_cache_flag
    if flag is not None and operation.manager in ("pip", "uv", "poetry"):
        removal = remove_word(ctx.df, ins, flag.start, flag.end)
        if removal is None:
            return None
        edits.append(removal)
    description = "add " + " ".join(f"--mount=type=cache,target={t}{options}" for t in targets)
    if aside_too:
        description += f" (and set {DOCKER_CLEAN} aside while the RUN installs)"
    elif flag is not None:
        description += f" and drop {flag.text}"
    return Fix(FixSafety.SAFE, description, tuple(edits))


def _docker_clean_in_force(ctx: FileContext, run: Run, operation: PackageOperation) -> bool:
    """The base image's docker-clean hook would delete the downloaded packages from the mounted cache."""
    root = lineage(run.state.stage)[0]
    if root.base.known or not has_docker_clean(root.base_image):
        return False  # a base image of the repository, or one without the hook: nothing to set aside
    first_apt = min(op.command.start for op in run.operations if op.manager == "apt")
    return not docker_clean_removed(ctx, run, min(first_apt, operation.command.start))


def _cleanups_removable(ctx: FileContext, run: Run, targets: list[str]) -> bool:
    """What the RUN does to the new mounts can go with them: an `rm` of files inside one, or a cleaning
    command, is a whole statement DO103's fix can delete. An `rm` of a mount point or of a directory above
    one would fail the build (a mount point cannot be removed)."""
    home = home_of(run.state)[0]
    for command in run.script.find("rm"):
        positional = command.positional()
        inside = 0
        for word in positional:
            path = _rm_path(word.text, home, run.state.workdir)
            if path is None:
                continue
            if any(path.startswith(t + "/") for t in targets):
                inside += 1
            elif any(overlaps(_glob_directory(path), t) for t in targets):
                return False
        if inside and (inside != len(positional) or drop_command(ctx.df, run.instruction, run.script, command) is None):
            return False
    for operation in run.operations:
        cleans = operation.action is Action.CLEAN and any(overlaps(d, t) for d in operation.cache_dirs for t in targets)
        if cleans and drop_command(ctx.df, run.instruction, run.script, operation.command) is None:
            return False
    return True


def _rm_path(text: str, home: str, workdir: str) -> str | None:
    if text.startswith("~"):
        text = home + text[1:]
    text = text.replace("${HOME}", home).replace("$HOME", home)
    if "$" in text or not text:
        return None
    return posixpath.normpath(posixpath.join(workdir, text))


def _glob_directory(path: str) -> str:
    for index, char in enumerate(path):
        if char in "*?[":
            return posixpath.dirname(path[:index]) or "/"
    return path
