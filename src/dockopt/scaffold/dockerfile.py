"""The Dockerfile of one variant: a builder stage that fills a virtualenv, a runtime stage that copies it.

Every block carries the comment that says why it is there. The text is assembled from small
functions, one per block, so each can be read on its own against the file it produces.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dockopt.scaffold.entrypoint import Entry
from dockopt.scaffold.project import Project
from dockopt.scaffold.variants import POETRY_VERSION, UV_VERSION, Variant

APP_UID = 10001  # above the ranges distributions and hosts hand out, so it collides with no one
VENV = "/opt/venv"
PYTHON_HOME = "/opt/python"  # the standalone CPython of the cuda and rocm variants
UV_IMAGE = "ghcr.io/astral-sh/uv"
TORCH_REQUIREMENTS = "docker/requirements-torch.txt"
WIDTH = 100
_CODE_SPAN = re.compile(r"`[^`]*`")
_HELD_SPACE = "\x00"


@dataclass(frozen=True, slots=True)
class PinnedImage:
    """An image reference as the Dockerfile writes it: with its digest when the local engine knows it."""

    tag: str
    digest: str | None
    why_not: str = ""  # why no digest is known

    @property
    def reference(self) -> str:
        return f"{self.tag}@{self.digest}" if self.digest else self.tag


ImagePinner = Callable[[str], PinnedImage]


@dataclass(frozen=True)
class DockerfileSpec:
    project: Project
    entry: Entry
    variant: Variant
    python: str  # "3.11"
    path: str  # where the file goes, relative to the project: "Dockerfile" or "docker/Dockerfile.cpu"


def render_dockerfile(spec: DockerfileSpec, pin: ImagePinner) -> str:
    out = _Text()
    _header(out, spec)
    _builder(out, spec, pin)
    _runtime(out, spec, pin)
    return out.text()


class _Text:
    """Lines of the file; comments are wrapped to WIDTH columns."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, *paragraphs: str) -> None:
        for paragraph in paragraphs:
            # a `code span` is never split over two lines: its spaces are held back while wrapping
            held = _CODE_SPAN.sub(lambda m: m.group(0).replace(" ", _HELD_SPACE), paragraph)
            for line in textwrap.wrap(held, WIDTH - 2, break_on_hyphens=False, break_long_words=False):
                self.lines.append(f"# {line}".replace(_HELD_SPACE, " "))

    def raw(self, *lines: str) -> None:
        self.lines.extend(lines)

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _run(*commands: str, cache: str | None = None) -> list[str]:
    """A RUN of ``commands`` joined with &&, one per line; with a cache mount when ``cache`` names the directory."""
    if cache:
        lines = [f"RUN --mount=type=cache,target={cache} \\", f"    {commands[0]}"]
    else:
        lines = [f"RUN {commands[0]}"]
    for command in commands[1:]:
        lines[-1] += " \\"
        lines.append(f"    && {command}")
    return lines


def _env(pairs: Iterable[tuple[str, str]]) -> list[str]:
    items = [f"{k}={v}" for k, v in pairs]
    if len(items) == 1:
        return [f"ENV {items[0]}"]
    return [f"ENV {items[0]} \\"] + [f"    {item} \\" for item in items[1:-1]] + [f"    {items[-1]}"]


def _exec_form(argv: Iterable[str]) -> str:
    return json.dumps(list(argv))


# -- header --------------------------------------------------------------------------------------


def _header(out: _Text, spec: DockerfileSpec) -> None:
    project, variant = spec.project, spec.variant
    file_flag = "" if spec.path == "Dockerfile" else f" -f {spec.path}"
    out.comment(
        f"{spec.path}: the {variant.name} image of {project.name} ({variant.description}). Written by `dockopt init`."
    )
    out.raw("#")
    out.comment("Build it with BuildKit (the cache mounts below need it), from the project's directory:")
    out.raw(f"#   DOCKER_BUILDKIT=1 docker build{file_flag} -t {project.name}:{variant.name} .")
    out.raw("#")
    copied = " and the application's files" if spec.entry.needs_source else ""
    out.comment(
        f"Two stages. `builder` installs the dependencies{'' if not project.installable else ' and the project'} "
        f"into a virtualenv at {VENV}; `runtime` starts again from a clean base and copies that virtualenv{copied}, "
        "so package caches, installers and build files never reach the image."
    )
    out.blank()


# -- builder -------------------------------------------------------------------------------------


def _from(out: _Text, spec: DockerfileSpec, pin: ImagePinner, stage: str) -> None:
    image = pin(spec.variant.base_image(spec.python))
    if image.digest:
        out.comment(
            f"Base image {image.tag}, pinned by the digest the local Docker engine recorded when it pulled (or "
            "pushed) it: "
            "every build starts from the same image. To move to a newer one, pull the tag and update the "
            "digest (Renovate and Dependabot can do it)."
        )
    else:
        out.comment(
            f"Base image {image.tag}. Not pinned by digest: {image.why_not}. A tag can be moved to another image, "
            f"so two builds may start from different bases. To pin it: `docker pull {image.tag}`, then "
            f"`dockopt fix --select DO301 --write {spec.path}` writes {image.tag}@sha256:<digest>; then delete the "
            "`dockopt: ignore=DO301` line below, which keeps `dockopt lint` from reporting the missing digest "
            "until then."
        )
        out.raw("# dockopt: ignore=DO301")
    out.raw(f"FROM {image.reference} AS {stage}")


def _builder(out: _Text, spec: DockerfileSpec, pin: ImagePinner) -> None:
    project, variant = spec.project, spec.variant
    filled = "dependencies and project" if project.installable else "dependencies"
    out.comment(f"-- builder: {filled} into the virtualenv ".ljust(WIDTH - 2, "-"))
    _from(out, spec, pin, "builder")
    settings = [("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_ROOT_USER_ACTION", "ignore")]
    out.comment("pip's version check and its warning about running as root are noise in a build stage.")
    out.raw(*_env(settings))
    out.raw("WORKDIR /src")
    out.blank()
    if variant.standalone_python:
        _standalone_python(out, spec, pin)
        if project.manager == "poetry":
            _poetry_setup(out)
    elif project.manager != "uv":
        if project.manager == "poetry":
            _poetry_setup(out)  # first: its own pip must not follow PIP_PYTHON into the virtualenv
        out.comment(
            "The virtualenv the runtime stage copies: everything installed below goes into it. It has no pip "
            "of its own (the running app needs none, and a scanner finds none to report): PIP_PYTHON points "
            "the image's pip at it."
        )
        out.raw(*_run(f"python -m venv --without-pip {VENV}"))
        out.raw(*_env([("VIRTUAL_ENV", VENV), ("PATH", f"{VENV}/bin:$PATH"), ("PIP_PYTHON", f"{VENV}/bin/python")]))
        out.blank()
    if project.manager == "uv":
        _uv_setup(out, spec)
    _torch(out, spec)
    _dependencies(out, spec)
    _install_project(out, spec)


def _standalone_python(out: _Text, spec: DockerfileSpec, pin: ImagePinner) -> None:
    uv = pin(f"{UV_IMAGE}:{UV_VERSION}")
    pinned = "pinned by digest" if uv.digest else f"by tag only, since {uv.why_not}"
    out.comment(
        f"This base has no Python {spec.python}. uv, from its official image ({pinned}), installs a standalone "
        f"CPython into {PYTHON_HOME}, which the runtime stage copies: the image needs no Python from the "
        "distribution, and the virtualenv's interpreter is at the same path in both stages."
    )
    out.raw(f"COPY --from={uv.reference} /uv /usr/local/bin/uv")
    out.raw(*_env([("UV_PYTHON_INSTALL_DIR", PYTHON_HOME), ("UV_PYTHON_PREFERENCE", "only-managed")]))
    commands = [f"uv python install {spec.python}"]
    if spec.project.manager != "uv" or spec.project.torch:
        commands.append(f"uv venv --seed --python {spec.python} {VENV}")  # --seed: pip in the virtualenv
    out.raw(*_run(commands[0], *commands[1:], cache="/root/.cache/uv"))
    out.raw(*_env([("VIRTUAL_ENV", VENV), ("PATH", f"{VENV}/bin:$PATH")]))
    out.blank()


def _uv_setup(out: _Text, spec: DockerfileSpec) -> None:
    if not spec.variant.standalone_python:
        out.comment("uv installs this project (uv.lock); pinned, so every build uses the same uv.")
        out.raw(*_run(f'pip install "uv=={UV_VERSION}"', cache="/root/.cache/pip"))
    out.comment(
        f"uv's settings: the project's environment is {VENV}; bytecode is compiled at install time (faster "
        "start); files are copied out of the cache mount rather than linked to it"
        + ("; and the image's Python is used, never a downloaded one." if not spec.variant.standalone_python else ".")
    )
    settings = [
        ("UV_PROJECT_ENVIRONMENT", VENV),
        ("UV_COMPILE_BYTECODE", "1"),
        ("UV_LINK_MODE", "copy"),
    ]
    if spec.variant.standalone_python:
        settings.append(("UV_PYTHON", spec.python))
    else:
        settings.append(("UV_PYTHON_DOWNLOADS", "never"))
    if spec.project.manager == "uv" and not spec.variant.standalone_python:
        settings += [("VIRTUAL_ENV", VENV), ("PATH", f"{VENV}/bin:$PATH")]
    out.raw(*_env(settings))
    out.blank()


def _poetry_setup(out: _Text) -> None:
    out.comment(
        "Poetry installs this project; pinned, and in a virtualenv of its own (/opt/poetry) so that it stays "
        f"in this stage. It installs into the active virtualenv (VIRTUAL_ENV, {VENV}) instead of creating one."
    )
    out.raw(
        *_run(
            "python -m venv /opt/poetry",
            f'/opt/poetry/bin/pip install "poetry=={POETRY_VERSION}"',
            cache="/root/.cache/pip",
        )
    )
    out.raw(*_env([("POETRY_VIRTUALENVS_CREATE", "false"), ("POETRY_NO_INTERACTION", "1")]))
    out.blank()


def _torch(out: _Text, spec: DockerfileSpec) -> None:
    """PyTorch from the variant's wheel index, before everything else, in a layer of its own."""
    project, variant = spec.project, spec.variant
    torch = project.torch
    if not torch:
        return
    arguments = ", ".join(t.argument for t in torch)
    why = {
        "cpu": "PyPI's torch wheels pull several GB of CUDA libraries that a CPU image never uses",
        "cuda": "its wheels are built for the CUDA of this base image",
        "rocm": "PyPI has no ROCm builds of torch",
    }[variant.name]
    where = ", ".join(sorted({t.source for t in torch}))
    if project.manager == "poetry":
        out.comment(
            f"{project.name} uses torch ({where}). Poetry installs it from the lock file, so the wheel index is "
            f"the project's choice: for this image it should be {variant.torch_index} ({why}). Declare it in "
            'pyproject.toml as a source with priority = "explicit" and give torch `source = "<its name>"`, '
            "then `poetry lock`."
        )
        out.blank()
        return
    out.comment(
        f"torch from PyTorch's {variant.name} wheel index ({variant.torch_index}): {why}. Installed first, in a "
        f"layer of its own, so that a change to another dependency does not download it again. The "
        f"versions ({arguments}) are the ones {where} asks for, listed in {TORCH_REQUIREMENTS}; the install below "
        "finds them satisfied."
    )
    out.raw(f"COPY {TORCH_REQUIREMENTS} docker/")
    if project.manager == "uv":
        install = f"uv pip install --index-url {variant.torch_index} -r {TORCH_REQUIREMENTS}"
        commands = [install] if variant.standalone_python else [f"uv venv {VENV}", install]
        out.raw(*_run(commands[0], *commands[1:], cache="/root/.cache/uv"))
    else:
        out.raw(
            *_run(f"pip install --index-url {variant.torch_index} -r {TORCH_REQUIREMENTS}", cache="/root/.cache/pip")
        )
    out.blank()


def render_torch_requirements(project: Project) -> str | None:
    """The PyTorch packages the Dockerfiles install first, from each variant's index; None when there are none
    (or when Poetry installs them from its lock)."""
    if not project.torch or project.manager == "poetry":
        return None
    sources = ", ".join(sorted({t.source for t in project.torch}))
    lines = [
        f"# {TORCH_REQUIREMENTS} of {project.name}, written by `dockopt init`: the PyTorch packages, installed",
        "# before the other dependencies, from the wheel index of each image variant (the Dockerfiles give",
        f"# --index-url). The versions are those of {sources}: keep them equal (`dockopt lint` checks, DO605).",
        *(t.argument for t in project.torch),
    ]
    return "\n".join(lines) + "\n"


def _dependencies(out: _Text, spec: DockerfileSpec) -> None:
    project = spec.project
    manifests = _manifests(project)
    if not manifests:
        return
    out.comment(
        f"Dependencies first, from {' and '.join(manifests)} alone: this layer is rebuilt when they change, not on "
        "every code change. The cache mount keeps the downloads between builds without storing them in the image."
    )
    _extras_note(out, project)
    for directory, files in _by_directory(manifests):
        out.raw(f"COPY {' '.join(files)} {directory}")
    skip_torch = "".join(f" --no-install-package {t.name}" for t in project.torch)
    if project.manager == "uv":
        inexact = " --inexact" if project.torch else ""
        out.raw(*_run(f"uv sync --frozen --no-dev --no-install-project{inexact}{skip_torch}", cache="/root/.cache/uv"))
    elif project.manager == "poetry":
        out.raw(*_run("/opt/poetry/bin/poetry install --only main --no-root", cache="/root/.cache/pypoetry"))
    elif project.requirements:
        out.raw(*_run(f"pip install -r {project.requirements[0]}", cache="/root/.cache/pip"))
    else:
        read = (
            "python -c \"import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))"
            "['project']['dependencies']))\" > /tmp/requirements.txt"
        )
        out.comment(
            "pip cannot install only the dependencies of a pyproject.toml, so they are read from it (tomllib) "
            "into a requirements file first."
        )
        out.raw(*_run(read, "pip install -r /tmp/requirements.txt", cache="/root/.cache/pip"))
    out.blank()


def _manifests(project: Project) -> list[str]:
    if project.manager == "uv":
        return ["pyproject.toml", "uv.lock"] + ([".python-version"] if project.python_version_file else [])
    if project.manager == "poetry":
        return ["pyproject.toml"] + (["poetry.lock"] if project.lock_file == "poetry.lock" else [])
    if project.requirements:
        return list(project.requirements)
    return ["pyproject.toml"] if project.pyproject_dependencies else []


def _by_directory(files: list[str]) -> list[tuple[str, list[str]]]:
    """COPY destinations that keep each file's directory (``requirements/base.txt`` -> ``requirements/``)."""
    groups: dict[str, list[str]] = {}
    for file in files:
        directory = file.rsplit("/", 1)[0] + "/" if "/" in file else "./"
        groups.setdefault(directory, []).append(file)
    return list(groups.items())


def _extras_note(out: _Text, project: Project) -> None:
    if not project.optional_dependencies:
        return
    extras = ", ".join(project.optional_dependencies)
    how = {
        "uv": "add `--extra NAME` to both `uv sync` commands",
        "poetry": "add `--extras NAME` to the poetry install",
        "pip": "install `.[NAME]` instead of `.`",
    }[project.manager]
    out.comment(f"Optional dependencies ({extras}) are not installed; to add one, {how}.")


def _install_project(out: _Text, spec: DockerfileSpec) -> None:
    project = spec.project
    if not project.installable:
        return
    out.comment(
        f"Then the source, and the project itself ({project.build_backend}), not editable: the runtime stage "
        "has no /src. .dockerignore keeps caches, virtualenvs, data and secrets out of this COPY."
    )
    out.raw("COPY . .")
    if project.manager == "uv":
        skip = "".join(f" --no-install-package {t.name}" for t in project.torch)
        inexact = " --inexact" if project.torch else ""
        out.raw(*_run(f"uv sync --frozen --no-dev --no-editable{inexact}{skip}", cache="/root/.cache/uv"))
    else:
        # with a requirements file, the pyproject's own dependencies are checked too (mostly satisfied by then)
        with_deps = project.manager == "pip" and project.requirements and project.pyproject_dependencies
        no_deps = "" if with_deps else " --no-deps"
        out.raw(*_run(f"pip install{no_deps} .", cache="/root/.cache/pip"))
    out.blank()


# -- runtime -------------------------------------------------------------------------------------


def _runtime(out: _Text, spec: DockerfileSpec, pin: ImagePinner) -> None:
    entry, variant = spec.entry, spec.variant
    out.comment("-- runtime: what the container needs to run, nothing else ".ljust(WIDTH - 2, "-"))
    _from(out, spec, pin, "runtime")
    out.comment(
        "Python in a container: output is written at once (not held in a buffer while stdout is a pipe, "
        "so logs are not lost on a crash), and no .pyc files are written at run time."
    )
    settings = [("PYTHONUNBUFFERED", "1"), ("PYTHONDONTWRITEBYTECODE", "1"), ("PATH", f"{VENV}/bin:$PATH")]
    if entry.python_path:
        settings.append(("PYTHONPATH", f"/app/{entry.python_path}"))
    out.raw(*_env(settings))
    out.comment(
        f"A system account with a fixed UID and GID ({APP_UID}): the process does not run as root, and volumes "
        "and secrets can be given to it by number on any host. Its home is for the caches libraries write."
    )
    out.raw(
        *_run(
            f"groupadd --system --gid {APP_UID} app",
            f"useradd --system --uid {APP_UID} --gid app --create-home --home-dir /home/app "
            "--shell /usr/sbin/nologin app",
        )
    )
    if variant.standalone_python:
        out.raw(f"COPY --from=builder {PYTHON_HOME} {PYTHON_HOME}")
    what = "the dependencies and the project" if spec.project.installable else "the dependencies"
    out.comment(f"The virtualenv from the builder: {what}, nothing that built them.")
    out.raw(f"COPY --from=builder {VENV} {VENV}")
    out.raw("WORKDIR /app")
    if entry.needs_source:
        out.comment(
            "The application's files (what .dockerignore lets through), owned by root: the app can read them "
            "but not change them. Write data to a volume, or to /tmp."
        )
        out.raw("COPY . .")
    out.blank()
    out.raw("USER app")
    _port(out, entry)
    _command(out, entry)


def _port(out: _Text, entry: Entry) -> None:
    if entry.port is None:
        return
    out.raw(f"EXPOSE {entry.port}")
    url = f"http://127.0.0.1:{entry.port}{entry.health_path}"
    if entry.health_route_found:
        out.comment(
            f"Healthy while {entry.health_path} answers with a success status. Python's standard library makes the "
            "request, so the image needs no curl."
        )
        code = f"import urllib.request; urllib.request.urlopen('{url}', timeout=4)"
    else:
        out.comment(
            f"Healthy while the server answers on port {entry.port} with a status below 500 (the app declares no "
            "health route: add one, e.g. /health, and check it here). Python's standard library makes the "
            "request, so the image needs no curl."
        )
        code = (
            f"import http.client, sys; c = http.client.HTTPConnection('127.0.0.1', {entry.port}, timeout=4); "
            f"c.request('GET', '{entry.health_path}'); sys.exit(c.getresponse().status >= 500)"
        )
    out.raw(
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\",
        f"    CMD {_exec_form(['python', '-c', code])}",
    )


def _command(out: _Text, entry: Entry) -> None:
    for note in entry.notes:
        out.comment(f"Note: {note}.")
    if entry.takes_arguments:
        out.comment(
            f"Runs {entry.description}. Exec form: it is PID 1 and gets the stop signal; arguments of "
            "`docker run IMAGE ...` are passed to it."
        )
        out.raw(f"ENTRYPOINT {_exec_form(entry.argv)}")
    else:
        out.comment(f"Runs {entry.description}. Exec form: the server is PID 1 and gets the stop signal.")
        out.raw(f"CMD {_exec_form(entry.argv)}")
