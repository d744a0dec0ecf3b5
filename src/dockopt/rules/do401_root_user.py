"""DO401: the final stage runs as root, or switches to a user that is never created."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction

# Official images whose accounts are known (root and Debian/Alpine system users, plus these).
_KNOWN_IMAGE_USERS = {
    "python": frozenset(),
    "debian": frozenset(),
    "ubuntu": frozenset({"ubuntu"}),
    "alpine": frozenset(),
    "busybox": frozenset(),
    "nvidia/cuda": frozenset(),
    "node": frozenset({"node"}),
    "fedora": frozenset(),
    "rockylinux": frozenset(),
    "almalinux": frozenset(),
    "amazonlinux": frozenset(),
    "continuumio/miniconda3": frozenset(),
    "mambaorg/micromamba": frozenset({"mambauser"}),
    "pytorch/pytorch": frozenset(),
    "scratch": frozenset(),
}


class RootUser(Rule):
    """The final stage runs as root, or names a USER that is never created.

    What it does:
        Looks at the stage that becomes the image (and the stages it is built FROM). Reports
        it when no `USER` is set, or the last `USER` is `root` (or UID 0); and reports a `USER`
        that names an account no `useradd`/`adduser` in those stages creates, when the base is an
        official image whose accounts are known (a base from elsewhere may create it).

    Why is this bad?
        A process running as root inside the container is root on the host's kernel: a bug or
        a malicious dependency can write anywhere in the image, reach mounted volumes and
        sockets with full rights, and turn a container escape into host root. A `USER` that does
        not exist fails only when the container starts (`unable to find user`), after the image
        has shipped.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        COPY . /app
        CMD ["python", "/app/server.py"]
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        RUN useradd --system --uid 10001 --no-create-home app
        COPY --chown=app:app . /app
        USER app
        CMD ["python", "/app/server.py"]
        ```

    Fix safety:
        Unsafe: the fix creates a system user with a fixed UID in the final stage, gives it the
        WORKDIR, and sets `USER` before CMD/ENTRYPOINT. The program then cannot write to paths
        owned by root, bind ports below 1024, or install packages at run time.

    Deliberate differences:
        hadolint's DL3002 reports only an explicit `USER root` (or `0`, `root:…`) as the last
        USER of a stage; a final stage with no USER at all runs as root too, and is reported
        here (as trivy's DS002 does), as is a USER never created; neither finding has a
        hadolint equivalent. DL3002 also reports the last `USER root` of every stage, including
        builder stages that never run as the container; dockopt looks only at the final stage
        and the stages it is built FROM. dockopt expands ARG and ENV in USER (`ARG U=root` /
        `USER $U` is root), which DL3002 does not.
    """

    id = "DO401"
    name = "root-user"
    severity = Severity.WARNING
    groups = ("security",)
    equivalents = ("hadolint:DL3002", "trivy:DS002", "checkov:CKV_DOCKER_3", "checkov:CKV_DOCKER_8")
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        model = ctx.model
        final = model.final
        if final is None:
            return
        chain = _chain(final)
        users = [s.instruction for stage in chain for s in stage.states if s.instruction.keyword == "USER"]
        users = [ins for ins in users if ins.values]
        root_base = chain[0]
        if users:
            last = users[-1]
            user = _expanded_user(ctx, last)
            if user.split(":", 1)[0] in ("root", "0"):
                yield self.finding(
                    ctx, last, f"USER {user} is the last USER of the final stage: the container runs as root"
                )
        elif not (root_base.base.known and root_base.base.user not in (None, "root", "0")):
            yield self.finding(
                ctx,
                final.stage.from_instruction,
                "the final stage sets no USER, so the container runs as root; create a system user with a "
                "fixed UID and switch to it before CMD",
                equivalents=_NO_USER_PEERS,
            )
        known_accounts = _known_accounts(root_base)
        if known_accounts is None:
            return
        for ins in users:
            user = _expanded_user(ctx, ins)
            name = user.split(":", 1)[0]
            stage = model.stage_of(ins)
            if stage is None or model.user_exists(stage, user) or name in known_accounts:
                continue
            yield self.finding(
                ctx,
                ins,
                f"USER {name} is never created in this image (no useradd/adduser for it, and "
                f"{root_base.base_image} has no such account): the container will fail to start",
                equivalents=(),
            )


# DL3002 and CKV_DOCKER_8 judge the last USER instruction; with none at all, only these peers report.
_NO_USER_PEERS = ("trivy:DS002", "checkov:CKV_DOCKER_3")


def _chain(stage: StageModel) -> list[StageModel]:
    chain = [stage]
    while chain[0].parent is not None:
        chain.insert(0, chain[0].parent)
    return chain


def _expanded_user(ctx: FileContext, ins: Instruction) -> str:
    expanded = ctx.expansion.at(ins)
    if expanded.values and not expanded.unset:
        return expanded.values[0]
    return ins.values[0]


def _known_accounts(root: StageModel) -> frozenset[str] | None:
    """Accounts of the root stage's base image, or None when they cannot be known."""
    if root.base.known:
        return frozenset(root.base.users)
    image = root.base_image.split("@", 1)[0]
    name = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return _KNOWN_IMAGE_USERS.get(name)
