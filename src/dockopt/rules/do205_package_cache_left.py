"""DO205: apk, dnf/yum/zypper, conda, npm/yarn caches left in the layer."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules._cache import Run, home_of
from dockopt.rules._size import INSTALLING, ephemeral_mount, image_runs, later, removed_after, spelling
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation

_RPM = frozenset({"dnf", "yum", "microdnf"})
_VERBS = frozenset({"add", "install", "in", "ci", "clean-install", "create", "update", "upgrade", "up", "i"})
# what to write instead, per manager
_REMEDY = {
    "apk": "use `apk add --no-cache`",
    "dnf": "end the same RUN with `&& dnf clean all`",
    "yum": "end the same RUN with `&& yum clean all`",
    "microdnf": "end the same RUN with `&& microdnf clean all`",
    "zypper": "end the same RUN with `&& zypper clean --all`",
    "conda": "end the same RUN with `&& conda clean -afy`",
    "npm": "end the same RUN with `&& npm cache clean --force`",
    "yarn": "end the same RUN with `&& yarn cache clean`",
}
_WHAT = {
    "apk": "the APKINDEX files",
    "dnf": "repository metadata and downloaded packages",
    "yum": "repository metadata and downloaded packages",
    "microdnf": "repository metadata",
    "zypper": "repository metadata and downloaded packages",
    "conda": "every downloaded package archive and its extracted copy",
    "npm": "a copy of every downloaded package",
    "yarn": "a copy of every downloaded package",
}
# hadolint has one rule per manager, and none for conda or npm
_HADOLINT = {
    "apk": ("DL3019",),
    "yum": ("DL3032",),
    "zypper": ("DL3036",),
    "dnf": ("DL3040",),
    "microdnf": ("DL3040",),
    "yarn": ("DL3060",),
}
# Yarn 2+ keeps its cache in the project (and Plug'n'Play runs from it): cleaning it would break the app.
_YARN_BERRY = re.compile(r"\.yarnrc\.yml|corepack|yarn set version|\.yarn/")


class PackageCacheLeft(Rule):
    """Package-manager caches other than pip's left in the image: apk, dnf/yum/zypper, conda, npm, yarn.

    What it does:
        Flags, in the final stage or a stage it is built FROM:
        `apk add` without `--no-cache` (and no `rm -rf /var/cache/apk/*` after it);
        `dnf`/`yum`/`microdnf install` without `clean all` later in the same RUN;
        `zypper install` without `zypper clean`;
        `conda`/`mamba`/`micromamba install` or `create` without `conda clean -a` (`-afy`);
        `npm install`/`npm ci` without `npm cache clean --force`, and `yarn install` without
        `yarn cache clean`.
        A cache or tmpfs mount on the manager's cache directory, or an `rm -rf` of it in the same
        RUN, counts as clean. Stages that are only copied from are not checked.

    Why is this bad?
        Each of these managers keeps what it downloads (indexes, package archives, tarballs)
        in a cache directory that nothing in the running image reads. Unless the same RUN
        removes it, the layer keeps it for good: from a few MB of APKINDEX to hundreds of MB of
        conda packages, stored next to the installed copy.

    Example:
        ```dockerfile
        RUN apk add curl
        RUN dnf install -y gcc
        RUN conda install -y numpy
        ```

    Use instead:
        ```dockerfile
        RUN apk add --no-cache curl
        RUN dnf install -y gcc && dnf clean all
        RUN conda install -y numpy && conda clean -afy
        ```
        or a BuildKit cache mount on the cache directory (`/var/cache/apk`, `/var/cache/dnf`,
        `/opt/conda/pkgs`, `/root/.npm`), which also speeds up rebuilds.

    Deliberate differences:
        hadolint has one rule per manager, and each finding here names only the one for its
        manager (none for conda and npm, which hadolint does not check). What they accept
        differs:

        - DL3019 (apk) wants `--no-cache` on `apk add`: it accepts a cache mount on
          `/var/cache/apk` but not `rm -rf /var/cache/apk/*`, which dockopt accepts.
          DL3019 ignores `apk upgrade`, which fills the same cache.
        - DL3032 (yum) and DL3040 (dnf, microdnf) accept a clean or an `rm -rf` of the cache
          but ignore cache mounts, which dockopt accepts. DL3040 accepts any `dnf clean`;
          `dnf clean metadata` leaves the downloaded packages, and dockopt reports it. DL3032
          checks `yum install` only, not `yum update` or `yum groupinstall`.
        - DL3036 (zypper) accepts `zypper clean` or a cache mount, but not an `rm -rf` of
          `/var/cache/zypp`, which dockopt accepts.
        - DL3060 (yarn) checks `yarn install` only (not `yarn add`), accepts a cache mount but
          not an `rm -rf` of the cache, and also reports Yarn 2+ projects (`yarn install
          --immutable`), whose cache is the installation and which dockopt leaves alone.

        DL3019, DL3032, DL3036 and DL3040 check every stage, and all five check `ONBUILD`
        instructions; dockopt checks only the stages that end up in the image (the final stage
        and the stages it is built FROM), not `ONBUILD` (it runs in another image's build), and
        sees through wrappers (`sudo yum install`), which hadolint does not.
    """

    id = "DO205"
    name = "package-cache-left"
    severity = Severity.WARNING
    groups = ("size",)
    equivalents = (
        "hadolint:DL3019",
        "hadolint:DL3032",
        "hadolint:DL3036",
        "hadolint:DL3040",
        "hadolint:DL3060",
    )

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        berry = _YARN_BERRY.search(ctx.df.text) is not None
        for run in image_runs(ctx):
            reported: set[str] = set()
            for operation in run.operations:
                manager = operation.manager
                if manager in reported or not _leaves_cache(run, operation, berry):
                    continue
                reported.add(manager)
                command = operation.command
                where = ", ".join(operation.cache_dirs)
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"`{spelling(command, _VERBS)}` leaves {_WHAT[manager]} in {where}, stored in this layer "
                    f"for good; {_REMEDY[manager]} (or mount {operation.cache_dirs[0]} as a BuildKit cache)",
                    equivalents=tuple(f"hadolint:{code}" for code in _HADOLINT.get(manager, ())),
                )


def _leaves_cache(run: Run, operation: PackageOperation, berry: bool) -> bool:
    manager = operation.manager
    if manager not in _REMEDY or operation.action not in INSTALLING or not operation.cache_dirs:
        return False
    if manager == "apk" and operation.no_cache_flag is not None:
        return False
    if manager == "yarn" and (berry or operation.command.has_flag("--immutable")):
        return False
    home, home_known = home_of(run.state)
    for cache in operation.cache_dirs:
        if ephemeral_mount(run.state, cache, home_known=home_known, home=home) is not None:
            return False
        if removed_after(run.script, cache, operation.command.end, home):
            return False
    return not any(_cleans(operation, other) for other in later(run.operations, operation.command))


def _cleans(install: PackageOperation, other: PackageOperation) -> bool:
    """Whether ``other`` (later in the RUN) empties the cache ``install`` filled."""
    if other.action is not Action.CLEAN:
        return False
    manager = install.manager
    if manager in _RPM:
        # `clean all` only: `dnf clean metadata` leaves the packages (cache_dirs is empty then)
        return other.manager in _RPM and bool(set(other.cache_dirs) & set(install.cache_dirs))
    if manager == "conda":
        command = other.command
        return other.manager == "conda" and command.has_flag("-a", "--all")
    return other.manager == manager
