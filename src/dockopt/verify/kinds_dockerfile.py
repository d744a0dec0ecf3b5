"""Check kinds that count sites in the Dockerfiles: installs, final images, service images.

Each looks at the construct (a cache mount, a USER, a HEALTHCHECK: the presence) and at what the
rules or the image's facts say it does (the effect).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from dockopt.findings import Finding
from dockopt.model import ImageModel
from dockopt.rules._cache import INSTALLING, cache_mount, spelling, split_image
from dockopt.shell.packages import Flag, PackageOperation
from dockopt.syntax import Form, Instruction
from dockopt.verify.facts import RepositoryFacts
from dockopt.verify.outcome import Outcome, actions_for, counted, finding_evidence, manual, not_applicable
from dockopt.verify.policy import Check
from dockopt.verify.report import Evidence, PresenceGap
from dockopt.verify.sites import CommandSite, final_instructions, lineage, package_commands

PYTHON_MANAGERS = frozenset({"pip", "uv", "poetry", "conda"})
DEPENDENCY_MANAGERS = PYTHON_MANAGERS | {"npm", "yarn", "pnpm"}
SYSTEM_MANAGERS = frozenset({"apt", "apk", "dnf", "yum", "microdnf", "zypper"})
VERBS = frozenset({"install", "add", "sync", "upgrade", "ci", "i", "update", "wheel", "download"})
INSTALLER_TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipx"})
_MANIFEST_NAMES = (
    "requirements*.txt", "constraints*.txt", "*.lock", "pyproject.toml", "setup.py", "setup.cfg", "pipfile",
    "pipfile.lock", "environment*.yml", "environment*.yaml", "package.json", "package-lock.json", "yarn.lock",
    "pnpm-lock.yaml",
)  # fmt: skip


def _instruction_evidence(dockerfile: str, ins: Instruction, message: str, ok: bool) -> Evidence:
    return Evidence(message, ok=ok, file=dockerfile, line=ins.start_line)


def _origin(dockerfile: str, where: str) -> tuple[str | None, int | None]:
    """``line 7`` (this file) or ``docker/base/Dockerfile:10`` (a base image) -> (file, line)."""
    if where.startswith("line ") and where[5:].isdigit():
        return dockerfile, int(where[5:])
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return None, None


def _failures_first(evidence: list[Evidence]) -> list[Evidence]:
    return [e for e in evidence if not e.ok] + [e for e in evidence if e.ok]


# -- cache mounts ------------------------------------------------------------------------------------


def cache_mounts(facts: RepositoryFacts, check: Check) -> Outcome:
    """Every package install of the chosen managers runs under a cache mount that its manager really uses."""
    managers = frozenset(check.get("managers"))
    total = passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    manual_steps: list[str] = []
    for site in package_commands(facts):
        operation = site.operation
        if operation.manager not in managers or operation.action not in INSTALLING:
            continue
        if Flag.NO_INDEX in operation.flags or _only_tooling(operation):
            continue  # nothing is downloaded, or only the installer itself
        total += 1
        name = f"`{spelling(site.command, VERBS)}`"
        mounts = [cache_mount(site.state, d, operation.manager) for d in operation.cache_dirs]
        mounted = [m for m in mounts if m is not None]
        has_mount = bool(mounts) and len(mounted) == len(mounts)
        defeats = facts.findings_at(frozenset({"DO103"}), site.dockerfile, site.first_line, site.last_line)
        missing = facts.findings_at(frozenset({"DO102"}), site.dockerfile, site.first_line, site.last_line)
        if has_mount and not defeats and not missing:
            passed += 1
            targets = ", ".join(sorted({m.target for m in mounted}))
            message = f"{name}: cache mount on {targets}, in effect"
            evidence.append(Evidence(message, True, site.dockerfile, site.first_line))
            continue
        gaps += defeats + missing
        evidence += [finding_evidence(f) for f in defeats + missing]
        cause = _no_cache_cause(site)
        if defeats and mounted:
            targets = ", ".join(sorted({m.target for m in mounted}))
            mount = f"{name} runs with `--mount=type=cache,target={targets}`"
            presence.append(
                PresenceGap(
                    "",
                    f"{name} has a cache mount, but the cache is never reused",
                    (_instruction_evidence(site.dockerfile, site.run, mount, True),),
                    tuple(finding_evidence(f) for f in defeats) + ((cause,) if cause else ()),
                )
            )
        elif not defeats and not missing:
            # no mount and no finding: the manager's cache is switched off, so DO102 stays silent
            message = f"{name} has no cache mount"
            if cause is not None:
                message += f"; its cache is switched off ({cause.message}), so every rebuild downloads everything"
                manual_steps.append(
                    f"remove {operation.no_cache_env} where it is set ({cause.where}), then add cache mounts "
                    "(`dockopt fix --select DO102 --write`)"
                )
            evidence.append(Evidence(message, False, site.dockerfile, site.first_line))
            if cause is not None:
                evidence.append(cause)
    outcome = counted(passed, total, "package installs", "run under an effective cache mount")
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps) + [manual(step) for step in dict.fromkeys(manual_steps)]
    outcome.presence = presence
    return outcome


def _only_tooling(operation: PackageOperation) -> bool:
    named = {spec.name for spec in operation.packages}
    others = operation.requirement_files or operation.manifests or operation.local_paths or operation.urls
    return bool(named) and named <= INSTALLER_TOOLING and not others


def _no_cache_cause(site: CommandSite) -> Evidence | None:
    """Where the setting that switches the manager's cache off was made (PIP_NO_CACHE_DIR, UV_NO_CACHE)."""
    variable = site.operation.no_cache_env
    if variable is None:
        return None
    where = site.state.env_origin.get(variable, "")
    file, line = _origin(site.dockerfile, where)
    value = site.state.env.get(variable, "")
    inherited = file is not None and file != site.dockerfile
    how = "inherited from a base image" if inherited else "set in this Dockerfile"
    return Evidence(f"{variable}={value} {how}", False, file, line)


# -- layer order -------------------------------------------------------------------------------------


def layer_order(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Dependencies are installed from their manifests before the code is copied, and before volatile values."""
    rules = frozenset({"DO101", "DO106"})
    installs: dict[str, list[CommandSite]] = {}
    for site in package_commands(facts):
        if site.operation.manager in DEPENDENCY_MANAGERS and site.operation.action in INSTALLING:
            installs.setdefault(site.dockerfile, []).append(site)
    passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    for dockerfile, sites in sorted(installs.items()):
        found = facts.findings_of(rules, dockerfile)
        if not found:
            passed += 1
            lines = ", ".join(str(line) for line in sorted({s.first_line for s in sites}))
            message = f"dependency installs (line {lines}) come before the code and any volatile value"
            evidence.append(Evidence(message, True, dockerfile))
            continue
        gaps += found
        evidence += [finding_evidence(f) for f in found]
        for finding in found:
            manifest = _manifest_copied_before(sites, finding) if finding.rule == "DO101" else None
            if manifest is not None:
                presence.append(
                    PresenceGap(
                        "",
                        "a manifest is copied before the install, but a broad COPY still comes first",
                        (manifest,),
                        (finding_evidence(finding),),
                    )
                )
    outcome = counted(passed, len(installs), "Dockerfiles", "install dependencies before copying code")
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps)
    outcome.presence = presence
    return outcome


def _manifest_copied_before(sites: list[CommandSite], finding: Finding) -> Evidence | None:
    site = next((s for s in sites if s.first_line <= finding.line <= s.last_line), None)
    if site is None:
        return None
    for stage in lineage(site.stage):
        for state in stage.states:
            ins = state.instruction
            if ins.span.start >= site.run.span.start:
                break
            if ins.keyword == "COPY" and not ins.flags_named("from") and _names_manifest(ins.values[:-1]):
                message = f"`COPY {ins.arguments}` copies the manifest first"
                return _instruction_evidence(site.dockerfile, ins, message, True)
    return None


def _names_manifest(sources: Iterable[str]) -> bool:
    names = [source.rstrip("/").rsplit("/", 1)[-1].lower() for source in sources]
    return any(fnmatchcase(name, pattern) for name in names for pattern in _MANIFEST_NAMES)


# -- requirement files ----------------------------------------------------------------------------------


def requirement_files(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Python packages are installed from requirement files (or the project's manifest), not named in RUN lines."""
    total = passed = 0
    evidence: list[Evidence] = []
    for site in package_commands(facts):
        operation = site.operation
        if operation.manager not in PYTHON_MANAGERS or operation.action not in INSTALLING or _only_tooling(operation):
            continue
        total += 1
        name = f"`{spelling(site.command, VERBS)}`"
        named = [s for s in operation.packages if s.name not in INSTALLER_TOOLING]
        sources = [
            *operation.requirement_files,
            *operation.constraint_files,
            *operation.manifests,
            *operation.local_paths,
        ]
        if named:
            listed = ", ".join(s.name + s.specifier for s in named)
            evidence.append(
                Evidence(f"{name} names {listed} in the Dockerfile", False, site.dockerfile, site.first_line)
            )
        else:
            passed += 1
            message = f"{name} installs from {', '.join(sources)}"
            evidence.append(Evidence(message, True, site.dockerfile, site.first_line))
    outcome = counted(passed, total, "Python installs", "install from requirement files")
    outcome.evidence = _failures_first(evidence)
    if passed < total:
        outcome.actions = [
            manual(
                "move the packages named in RUN lines into requirement files (pins shared by several images into "
                "one file their common base installs) and install them with `-r`"
            )
        ]
    return outcome


# -- system packages ----------------------------------------------------------------------------------


def system_packages(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """System packages in images: no recommended extras, package lists and caches not left in the layer."""
    rules = frozenset({"DO202", "DO203", "DO205"})
    total = passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    for site in package_commands(facts):
        operation = site.operation
        if operation.manager not in SYSTEM_MANAGERS or operation.action not in INSTALLING:
            continue
        if not site.stage.in_final_image:
            continue  # a builder stage's packages never reach the image
        total += 1
        name = f"`{spelling(site.command, VERBS)}`"
        found = facts.findings_at(rules, site.dockerfile, site.first_line, site.last_line)
        if not found:
            passed += 1
            message = f"{name}: minimal, nothing left in the layer"
            evidence.append(Evidence(message, True, site.dockerfile, site.first_line))
            continue
        gaps += found
        evidence += [finding_evidence(f) for f in found]
        for finding in found:
            cleanup = _lists_removed_later(site) if finding.rule == "DO202" else None
            if cleanup is not None:
                title = "the apt lists are removed, but in a later layer"
                presence.append(PresenceGap("", title, (cleanup,), (finding_evidence(finding),)))
    outcome = counted(passed, total, "system package installs", "are minimal and leave no lists or caches")
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps)
    outcome.presence = presence
    return outcome


def _lists_removed_later(site: CommandSite) -> Evidence | None:
    """A later RUN of the image that removes /var/lib/apt/lists: it cannot shrink the earlier layer."""
    started = False
    for stage in lineage(site.stage):
        for state in stage.states:
            ins = state.instruction
            if ins.span.start == site.run.span.start:
                started = True
                continue
            if not started or ins.keyword != "RUN":
                continue
            script = site.model.script(ins)
            if script is None:
                continue
            for command in script.commands:
                if command.name == "rm" and any("/var/lib/apt/lists" in w.text for w in command.args):
                    line = site.model.df.position(command.start).line
                    return Evidence("`rm -rf /var/lib/apt/lists` in a later RUN", True, site.dockerfile, line)
    return None


# -- non-root ----------------------------------------------------------------------------------------


def non_root(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Every final image runs as a user other than root, and that user exists."""
    images = facts.final_images()
    passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    gaps: list[Finding] = []
    for image in images:
        model = facts.model(image.dockerfile)
        found = facts.findings_of(frozenset({"DO401"}), image.dockerfile)
        user_set = _last_user(image.dockerfile, model) if model is not None else None
        if model is not None and not found:
            passed += 1
            evidence.append(user_set or Evidence(f"{image.name}: runs as a non-root user", True, image.dockerfile))
            continue
        gaps += found
        evidence += [finding_evidence(f) for f in found]
        if user_set is not None and found:
            title = f"{image.name} sets USER, but still runs as root or as an account that does not exist"
            presence.append(PresenceGap("", title, (user_set,), tuple(finding_evidence(f) for f in found)))
    outcome = counted(passed, len(images), "final images", "run as a non-root user")
    outcome.evidence = _failures_first(evidence)
    outcome.actions = actions_for(gaps)
    outcome.presence = presence
    return outcome


def _last_user(dockerfile: str, model: ImageModel) -> Evidence | None:
    users = [ins for ins in final_instructions(model) if ins.keyword == "USER" and ins.values]
    if users:
        return _instruction_evidence(dockerfile, users[-1], f"`USER {users[-1].values[0]}`", True)
    final = model.final
    if final is not None:
        base = lineage(final)[0].base
        if base.user:
            line = final.stage.from_instruction.start_line
            return Evidence(f"USER {base.user}, inherited from its base image", True, dockerfile, line)
    return None


# -- healthcheck ---------------------------------------------------------------------------------------

_SERVER = re.compile(
    r"\b(uvicorn|gunicorn|hypercorn|daphne|granian|waitress-serve|nginx|httpd|apache2|caddy|tritonserver|torchserve|"
    r"tensorflow_model_server|text-generation-launcher|streamlit|flask\s+run|fastapi\s+run|runserver|vllm\s+serve|"
    r"mlflow\s+server|jupyter)\b"
)
_PROBE_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):(\d+)")
_NO_SHELL = ("scratch", "*distroless*", "cgr.dev/chainguard/static*")
# Images that do not ship the program a health probe usually calls.
_LACKS = {
    "curl": ("python:*slim*", "python:*alpine*", "debian:*", "ubuntu:*", "alpine:*", "nvidia/cuda:*", *_NO_SHELL),
    "wget": ("python:*slim*", "debian:*", "ubuntu:*", "nvidia/cuda:*", *_NO_SHELL),
}


def healthcheck(facts: RepositoryFacts, check: Check) -> Outcome:  # noqa: ARG001
    """Service images (EXPOSE, or a server as CMD/ENTRYPOINT) have a HEALTHCHECK that can run."""
    total = passed = 0
    evidence: list[Evidence] = []
    presence: list[PresenceGap] = []
    for image in facts.final_images():
        chain = [image.name, *facts.ancestors(image.name)][::-1]  # the farthest base first
        located: list[tuple[str, Instruction]] = []
        for name in chain:
            dockerfile = facts.graph.images[name].dockerfile
            model = facts.model(dockerfile)
            if model is not None:
                located += [(dockerfile, ins) for ins in final_instructions(model)]
        service = _service_reason(located)
        if service is None:
            continue
        total += 1
        probes = [(f, ins) for f, ins in located if ins.keyword == "HEALTHCHECK"]
        if not probes:
            reason, why = service
            message = f"{image.name} is a service ({why}) without HEALTHCHECK"
            evidence.append(Evidence(message, False, reason.file, reason.line))
            continue
        file, ins = probes[-1]
        present = _instruction_evidence(file, ins, f"`HEALTHCHECK {ins.arguments}`", True)
        problem = _healthcheck_problem(facts, image.name, chain, located, ins)
        if problem is None:
            passed += 1
            evidence.append(present)
            continue
        failure = _instruction_evidence(file, ins, problem, False)
        evidence.append(failure)
        presence.append(PresenceGap("", f"{image.name} has a HEALTHCHECK that cannot pass", (present,), (failure,)))
    if total == 0:
        return not_applicable("no service image (nothing EXPOSEs a port or runs a server)", "service images")
    outcome = counted(passed, total, "service images", "have a HEALTHCHECK that can run")
    outcome.evidence = _failures_first(evidence)
    outcome.presence = presence
    if passed < total:
        outcome.actions = [
            manual(
                "add `HEALTHCHECK CMD [...]` in exec form, calling a program the image has "
                "(`python -c` with urllib works in every Python image), on the port the server listens on"
            )
        ]
    return outcome


def _service_reason(located: list[tuple[str, Instruction]]) -> tuple[Evidence, str] | None:
    exposes = [(f, ins) for f, ins in located if ins.keyword == "EXPOSE" and ins.values]
    if exposes:
        file, ins = exposes[-1]
        why = f"EXPOSE {ins.arguments}"
        return _instruction_evidence(file, ins, f"`{why}`", True), why
    for keyword in ("ENTRYPOINT", "CMD"):
        found = [(f, ins) for f, ins in located if ins.keyword == keyword]
        if found:
            file, ins = found[-1]
            text = " ".join(ins.exec_args) if ins.exec_args is not None else ins.arguments
            match = _SERVER.search(text)
            if match:
                why = f"{keyword} runs {match.group(1)}"
                return _instruction_evidence(file, ins, why, True), why
    return None


def _healthcheck_problem(
    facts: RepositoryFacts, name: str, chain: list[str], located: list[tuple[str, Instruction]], ins: Instruction
) -> str | None:
    """Why a HEALTHCHECK cannot pass, or None when nothing known stops it."""
    if ins.values and ins.values[0].upper() == "NONE":
        return "`HEALTHCHECK NONE` switches the check off"
    base = _external_base(facts, chain)
    if ins.form is Form.SHELL and base and _matches(base, _NO_SHELL):
        return f"shell-form HEALTHCHECK needs /bin/sh, which {base} does not have: use the exec form"
    words = list(ins.exec_args) if ins.exec_args is not None else " ".join(ins.values[1:]).split()
    program = words[0].rsplit("/", 1)[-1] if words else ""
    if program in _LACKS and base and _matches(base, _LACKS[program]) and not _installs(facts, chain, program):
        return f"the probe runs {program}, which {base} does not ship and no RUN of {name} or its bases installs"
    probed = set(_PROBE_PORT.findall(" ".join(ins.values[1:])))
    exposed = {value.split("/", 1)[0] for _, i in located if i.keyword == "EXPOSE" for value in i.values}
    if probed and exposed and not probed & exposed:
        return f"the probe calls port {', '.join(sorted(probed))}, but the image exposes {', '.join(sorted(exposed))}"
    return None


def _external_base(facts: RepositoryFacts, chain: list[str]) -> str | None:
    base = facts.graph.images[chain[0]].primary_base
    if base is None or base.image is not None or "$" in base.resolved:
        return None
    return base.resolved


def _matches(reference: str, patterns: Iterable[str]) -> bool:
    name, tag = split_image(reference)
    plain = f"{name}:{tag}" if tag else name
    return any(fnmatchcase(plain, pattern) or fnmatchcase(name, pattern) for pattern in patterns)


def _installs(facts: RepositoryFacts, chain: list[str], program: str) -> bool:
    files = {facts.graph.images[name].dockerfile for name in chain}
    return any(
        site.dockerfile in files
        and site.operation.action in INSTALLING
        and any(spec.name == program for spec in site.operation.packages)
        for site in package_commands(facts)
    )
