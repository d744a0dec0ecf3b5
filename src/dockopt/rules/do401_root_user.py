"""DO401: the final stage runs as root, or switches to a user that is never created."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dockopt.findings import Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.model.image import PREDEFINED_USERS
from dockopt.rules import _insert, _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import PackageOperation
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
        An image that other images of the same repository are built FROM is not reported: the
        images built on it decide their user, and their installs still need root.

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
        COPY . /app
        RUN groupadd --system --gid 10001 app \\
            && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app
        USER app
        CMD ["python", "/app/server.py"]
        ```

    Fix safety:
        Unsafe, and offered only for a final stage with no USER at all. The fix inserts a
        comment line and a RUN that creates the system group and user `app` with UID/GID 10001
        (`groupadd`/`useradd` on Debian and Ubuntu bases, busybox `addgroup`/`adduser` on
        Alpine) and gives it the WORKDIR (`chown app:app`, the directory only, not what was
        copied into it; a system directory such as /usr/local or /tmp is left alone). That RUN
        goes before the stage's first COPY/ADD, so that a code change does not re-run it;
        `USER app` goes before the first CMD/ENTRYPOINT (or at the stage's end when a RUN
        follows them). When the image already creates exactly one account (here or in a base image
        of the same repository), it switches to that one instead of creating another. The
        program then runs without root: it cannot write files owned by root (what COPY put in
        place, volumes created by root), bind ports below 1024, or install packages at run
        time. No fix for an explicit `USER root` (often needed on purpose), for a USER that is
        never created, for bases whose family of tools is not known (a base from elsewhere may
        already use UID 10001), or under a non-POSIX SHELL.

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
        if ctx.base_of:
            return  # a base image: the images built on it decide their user, and still need root to install
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
                _fix(ctx, chain),
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


# The account the fix creates: a system user and group with a fixed ID, so file ownership on volumes is stable.
_ACCOUNT = "app"
_UID = 10001
_CREATE = {
    "debian": (
        f"groupadd --system --gid {_UID} {_ACCOUNT}",
        f"useradd --system --uid {_UID} --gid {_ACCOUNT} --no-create-home --home-dir /nonexistent {_ACCOUNT}",
    ),
    "alpine": (f"addgroup -S -g {_UID} {_ACCOUNT}", f"adduser -S -u {_UID} -G {_ACCOUNT} -H {_ACCOUNT}"),
}
# Official images by the family of their tools (useradd/groupadd, or busybox adduser/addgroup).
_DEBIAN_IMAGES = frozenset(
    {"python", "pypy", "debian", "ubuntu", "buildpack-deps", "node", "nvidia/cuda", "pytorch/pytorch",
     "continuumio/miniconda3", "continuumio/anaconda3"}
)  # fmt: skip
_FOREIGN_TAGS = ("windowsservercore", "nanoserver", "ubi", "rockylinux", "centos", "oraclelinux", "amzn")
# Directories of the system: a WORKDIR there is not the application's to own.
_SYSTEM_DIRECTORIES = frozenset(
    {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root",
     "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin",
     "/usr/local/lib", "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/lib", "/var/tmp"}
)  # fmt: skip


def _fix(ctx: FileContext, chain: list[StageModel]) -> Fix | None:
    """Create the account (or take the one the image already creates), give it the WORKDIR, and switch to it."""
    final = chain[-1]
    anchor, before = _user_position(final)
    if not ctx.state(anchor).is_posix_shell:
        return None
    accounts = sorted((final.users_created | final.base.users | chain[0].base.users) - PREDEFINED_USERS)
    commands: list[str] = []
    if _ACCOUNT in accounts or len(accounts) == 1:
        account = _ACCOUNT if _ACCOUNT in accounts else accounts[0]
        owner = account
    elif accounts:
        return None  # several accounts already: which one the program should run as is not ours to guess
    else:
        family = _family(ctx, chain)
        if family is None:
            return None
        account, owner = _ACCOUNT, f"{_ACCOUNT}:{_ACCOUNT}"
        commands += _CREATE[family]
    workdir = _workdir_at(ctx, anchor, before)
    chown = [f"chown {owner} {shlex.quote(workdir)}"] if workdir is not None else []
    comment = f"# the application runs as {account}, not as root"
    edits = []
    early = _first_copy(final, anchor)
    if commands and early is not None:
        # The account is created before the sources are copied, so a code change does not re-run it.
        if chown and ctx.state(early).workdir.rstrip("/") == workdir:
            commands, chown = commands + chown, []
        edits.append(_insert.insert_before(ctx.df, early, [comment, *_insert.continued(ctx.df, commands)]))
        commands = []
    commands += chown
    lines = [f"USER {account}"]
    if commands:  # a comment says why the step is there (and keeps DO104 from joining it to the RUN above)
        lines[:0] = [comment, *_insert.continued(ctx.df, commands)]
    edits.append(
        _insert.insert_before(ctx.df, anchor, lines) if before else _insert.insert_after(ctx.df, anchor, lines)
    )
    created = "create the system user app (UID 10001), " if account == _ACCOUNT and owner != account else ""
    given = f"give it {workdir}, " if workdir is not None else ""
    return Fix(FixSafety.UNSAFE, f"{created}{given}run as USER {account}", tuple(edits))


def _first_copy(final: StageModel, anchor: Instruction) -> Instruction | None:
    """The first COPY/ADD of the final stage before ``anchor`` (where the sources come in), if any."""
    for ins in final.stage.instructions:
        if ins is anchor:
            return None
        if ins.keyword in ("COPY", "ADD"):
            return ins
    return None


def _user_position(final: StageModel) -> tuple[Instruction, bool]:
    """Where USER goes: before the first CMD/ENTRYPOINT when no RUN follows it, else after the stage's end.

    Returns the instruction and whether the lines go before it.
    """
    instructions = final.stage.instructions
    for index, ins in enumerate(instructions):
        if ins.keyword in ("CMD", "ENTRYPOINT"):
            if not any(later.keyword == "RUN" for later in instructions[index + 1 :]):
                return ins, True
            break
    return (instructions[-1] if instructions else final.stage.from_instruction), False


def _workdir_at(ctx: FileContext, anchor: Instruction, before: bool) -> str | None:
    """The WORKDIR in force where USER goes, unless it is a directory of the system (or not known)."""
    workdir = ctx.state(anchor).workdir
    if not before and anchor.keyword == "WORKDIR":
        values = ctx.expansion.at(anchor).values or anchor.values
        if values:
            workdir = values[0] if values[0].startswith("/") else workdir.rstrip("/") + "/" + values[0]
    workdir = workdir.rstrip("/") or "/"
    if "$" in workdir or not workdir.startswith("/") or workdir in _SYSTEM_DIRECTORIES:
        return None
    return workdir


def _family(ctx: FileContext, chain: list[StageModel]) -> str | None:
    """``debian`` or ``alpine`` (which tools create accounts), from the base image or the package manager used."""
    root = chain[0]
    if not root.base.known:
        image = root.base_image.split("@", 1)[0].lower()
        name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
        for prefix in ("docker.io/library/", "docker.io/", "library/"):
            name = name.removeprefix(prefix)
        if any(word in tag for word in _FOREIGN_TAGS):
            return None
        if name == "alpine" or (name in _DEBIAN_IMAGES and "alpine" in tag):
            return "alpine"
        return "debian" if name in _DEBIAN_IMAGES else None
    # An image of this repository: its family shows in the package manager its stages use.
    managers = {"apt": "debian", "apk": "alpine"}
    families = set()
    for stage in chain:
        for state in stage.states:
            script = ctx.script(state.instruction) if state.instruction.keyword == "RUN" else None
            if script is None:
                continue
            for command in script.commands:
                operation = _layers.kind_of(ctx, state, script, command)
                if isinstance(operation, PackageOperation) and operation.manager in managers:
                    families.add(managers[operation.manager])
    return families.pop() if len(families) == 1 else None
