"""DO102: package install without a BuildKit cache mount for its cache."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._cache import (
    APT_ARCHIVES,
    APT_LISTS,
    CACHEABLE_MANAGERS,
    INSTALLING,
    Run,
    all_runs,
    cache_mount,
    spelling,
    unknown_in_house_base,
)
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Flag, PackageOperation

# Installing only the installer's own tooling downloads a few small wheels: not worth a finding.
_BOOTSTRAP = frozenset({"pip", "setuptools", "wheel"})
_VERBS = frozenset({"install", "sync", "add", "ci", "i", "create", "update", "upgrade", "dist-upgrade", "reinstall"})


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
        RUN rm -f /etc/apt/apt.conf.d/docker-clean
        RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
            --mount=type=cache,target=/var/lib/apt,sharing=locked \\
            apt-get update && apt-get install -y --no-install-recommends ffmpeg
        ```
        With the mounts, `--no-cache-dir` and the `rm -rf /var/lib/apt/lists/*` must go (they
        would empty the cache: DO103); nothing of the cache reaches the image either way.
        `sharing=locked` for apt because two builds cannot use its lock files at once.

    Fix safety:
        Safe: the fix adds the `--mount=type=cache,...` flags (for apt with `sharing=locked`, and
        the removal of the docker-clean hook earlier in the stage). The installed files are the same;
        only where the downloads are kept changes.
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
                yield self.finding(ctx, (command.start, command.end), _message(run, operation, missing))


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
        mounts = " ".join(f"--mount=type=cache,target={d},sharing=locked" for d in missing)
        where = " and ".join(missing)
        lost = {APT_ARCHIVES: "every .deb", APT_LISTS: "the package lists"}
        again = " and ".join(lost[d] for d in (APT_LISTS, APT_ARCHIVES) if d in missing)
        text = f"{written} has no cache mount for {where}: every rebuild of this layer downloads {again} again; "
        text += f"add `{mounts}` to the RUN"
        if APT_ARCHIVES in missing:
            text += " (and in Debian/Ubuntu images `rm -f /etc/apt/apt.conf.d/docker-clean` before it, or the "
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
