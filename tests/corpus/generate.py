"""A seeded generator of Dockerfiles for the parser corpus.

``generate()`` returns ``(name, text)`` pairs; nothing is written at import or call time. Each file
is a plausible Python/ML Dockerfile assembled from instruction templates, then dressed in one
"style": escape character, line endings, keyword case, indentation, BOM, continuation layout
(comments and blank lines inside continuations), and final newline. Every generated file is
meant to be accepted by BuildKit's parser; the parity test checks that.

Run ``python tests/corpus/generate.py OUTDIR`` to write the files out for inspection.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20240611
DEFAULT_COUNT = 320

PYTHON_BASES = [
    "python:3.11-slim",
    "python:3.12-slim-bookworm",
    "python:3.10",
    "python:3.11-alpine",
    "docker.io/library/python:3.11-slim@sha256:" + "ab" * 32,
    "ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
]
CUDA_BASES = [
    "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04",
    "nvidia/cuda:12.4.1-devel-ubuntu22.04",
    "nvidia/cuda:11.8.0-base-ubuntu22.04",
    "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
    "nvcr.io/nvidia/pytorch:24.05-py3",
]
OTHER_BASES = ["debian:bookworm-slim", "ubuntu:22.04", "alpine:3.20", "scratch", "busybox"]
APT_PACKAGES = [
    "build-essential", "curl", "ca-certificates", "git", "libgomp1", "ffmpeg", "libsndfile1",
    "libpq-dev", "gcc", "g++", "tini", "wget", "libgl1", "libglib2.0-0", "espeak-ng", "sox",
]  # fmt: skip
PIP_PACKAGES = [
    "fastapi", "uvicorn[standard]", "gunicorn", "celery==5.4.0", "redis", "'torch==2.3.1'",
    '"numpy<2"', "transformers", "accelerate", "onnxruntime", "pydantic>=2", "sqlalchemy",
    "whisperx", "pyannote.audio", "sentencepiece", "datasets", "'scikit-learn~=1.5'",
]  # fmt: skip
COMMENTS = [
    "install system dependencies",
    "keep the layer small",
    "TODO: pin this",
    "cache pip downloads between builds",
    "the model is mounted at runtime, not baked in",
    "see https://docs.docker.com/build/cache/",
    "hadolint ignore=DL3008",
    "noqa",
    "---- runtime ----",
    "not a directive: escape=x only counts at the top",
]


@dataclass
class Style:
    """How one file is written, independent of what it says."""

    escape: str
    crlf: bool
    mixed_endings: bool
    keyword_case: str  # upper, lower, title, random
    indent_prob: float
    final_newline: bool
    bom: bool
    comment_in_continuation: float
    blank_in_continuation: float
    trailing_space_after_escape: float


class _Writer:
    """Builds the physical lines of one file."""

    def __init__(self, rng: random.Random, style: Style) -> None:
        self.rng = rng
        self.style = style
        self.lines: list[str] = []

    def kw(self, keyword: str) -> str:
        case = self.style.keyword_case
        if case == "random":
            case = self.rng.choice(["upper", "upper", "lower", "title"])
        if case == "lower":
            return keyword.lower()
        if case == "title":
            return keyword.title()
        return keyword

    def indent(self) -> str:
        if self.rng.random() < self.style.indent_prob:
            return self.rng.choice(["  ", "    ", "\t", " \t"])
        return ""

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def instruction(self, keyword: str, head: str, parts: list[str] | None = None) -> None:
        """An instruction whose ``parts`` follow ``head`` on continuation lines."""
        first = f"{self.indent()}{self.kw(keyword)}"
        if head:
            first += f" {head}"
        if not parts:
            self.add(first)
            return
        esc = self.style.escape
        lines = [first]
        for part in parts:
            lines[-1] += " " + esc + self._after_escape()
            if self.rng.random() < self.style.comment_in_continuation:
                lines.append(self.rng.choice(["    # ", "# ", "\t#"]) + self.rng.choice(COMMENTS))
            if self.rng.random() < self.style.blank_in_continuation:
                lines.append(self.rng.choice(["", "   ", "\t"]))
            lines.append(self.rng.choice(["    ", "  ", "\t", "      "]) + part)
        self.add(*lines)

    def _after_escape(self) -> str:
        if self.rng.random() < self.style.trailing_space_after_escape:
            return self.rng.choice([" ", "  ", "\t", " \t "])
        return ""

    def comment(self) -> None:
        self.add(self.indent() + self.rng.choice(["# ", "#", "#  "]) + self.rng.choice(COMMENTS))

    def blank(self) -> None:
        self.add(self.rng.choice(["", "", "  ", "\t"]))

    def render(self) -> str:
        eol = "\r\n" if self.style.crlf else "\n"
        out = []
        for index, line in enumerate(self.lines):
            ending = eol
            if self.style.mixed_endings and index % 3 == 1:
                ending = "\n" if self.style.crlf else "\r\n"
            out.append(line + ending)
        text = "".join(out)
        if not self.style.final_newline:
            text = text.rstrip("\r\n")
        if self.style.bom:
            text = "\ufeff" + text
        return text


def _style(rng: random.Random, flavor: str) -> Style:
    escape = "`" if flavor == "windows" or rng.random() < 0.08 else "\\"
    return Style(
        escape=escape,
        crlf=flavor == "windows" or rng.random() < 0.2,
        mixed_endings=rng.random() < 0.05,
        keyword_case=rng.choice(["upper"] * 6 + ["lower", "title", "random"]),
        indent_prob=rng.choice([0.0, 0.0, 0.1, 0.4]),
        final_newline=rng.random() > 0.15,
        bom=rng.random() < 0.05,
        comment_in_continuation=rng.choice([0.0, 0.1, 0.3]),
        blank_in_continuation=rng.choice([0.0, 0.0, 0.1]),
        trailing_space_after_escape=rng.choice([0.0, 0.0, 0.2]),
    )


# -- header ---------------------------------------------------------------------------------------


def _header(w: _Writer) -> None:
    rng = w.rng
    directives = []
    if rng.random() < 0.5:
        directives.append(rng.choice(["# syntax=docker/dockerfile:1", "# syntax = docker/dockerfile:1.7-labs",
                                      "#syntax=docker.io/docker/dockerfile:1.4", "# SYNTAX=docker/dockerfile:1"]))
    if w.style.escape == "`" or rng.random() < 0.1:
        directives.append(rng.choice(["# escape=", "#escape=", "# ESCAPE = "]) + w.style.escape)
    rng.shuffle(directives)
    # BuildKit 0.12 (the oracle) does not know `check`: keep it last so it ends the directives harmlessly.
    if rng.random() < 0.15:
        directives.append(rng.choice(["# check=skip=JSONArgsRecommended", "# check=error=true"]))
    w.add(*directives)
    if rng.random() < 0.5:
        w.comment()
    if directives or rng.random() < 0.3:
        w.blank()


# -- instruction templates ------------------------------------------------------------------------


def _from(w: _Writer, base: str, name: str | None) -> None:
    rng = w.rng
    flags = ""
    if rng.random() < 0.15:
        flags = rng.choice(["--platform=$BUILDPLATFORM ", "--platform=linux/amd64 ", '--platform="linux/arm64" '])
    alias = ""
    if name:
        alias = f" {rng.choice(['AS', 'as', 'As'])} {name}"
    w.instruction("FROM", f"{flags}{base}{alias}")


def _global_args(w: _Writer) -> list[str]:
    rng = w.rng
    names = []
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(["PYTHON_VERSION", "CUDA_VERSION", "BASE_IMAGE", "UBUNTU", "TORCH_VERSION"])
        if name in names:
            continue
        names.append(name)
        value = rng.choice(["", "=3.11", '="12.1.1"', "=${OTHER:-x}", "='22.04'"])
        w.instruction("ARG", name + value)
    return names


def _env(w: _Writer) -> None:
    rng = w.rng
    choice = rng.randrange(7)
    if choice == 0:
        w.instruction("ENV", "PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1")
    elif choice == 1:
        w.instruction("ENV", "PYTHONUNBUFFERED 1")  # old syntax: one name, the rest is the value
    elif choice == 2:
        w.instruction("ENV", 'PATH="/opt/venv/bin:$PATH"', ['VIRTUAL_ENV=/opt/venv', "PIP_DISABLE_PIP_VERSION_CHECK=1"])
    elif choice == 3:
        esc = w.style.escape
        w.instruction("ENV", f"GREETING='hello world' OTHER=\"a b\" ESCAPED=one{esc} two")
    elif choice == 4:
        w.instruction("ENV", "HF_HOME /models/hf cache")
    elif choice == 5:
        w.instruction("ENV", "A=1", ["B=${A:-2}", 'C="${B} and more"'])
    else:
        w.instruction("env", "LANG=C.UTF-8 LC_ALL=C.UTF-8")


def _label(w: _Writer) -> None:
    rng = w.rng
    choice = rng.randrange(4)
    if choice == 0:
        w.instruction("LABEL", 'org.opencontainers.image.source="https://example.com/repo"')
    elif choice == 1:
        w.instruction("LABEL", 'maintainer="ml-platform@example.com"', [
            'org.opencontainers.image.title="asr service"', "version=1.2.3", "'quoted key'=value"])
    elif choice == 2:
        w.instruction("LABEL", "description A long description without equals")
    else:
        w.instruction("LABEL", 'com.example.json=\'{"a": 1}\' empty=""')


def _apt(w: _Writer) -> None:
    rng = w.rng
    packages = rng.sample(APT_PACKAGES, rng.randint(1, 5))
    flags = ""
    if rng.random() < 0.5:
        flags = rng.choice([
            "--mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked ",
            '--mount=type=cache,id=apt-cache,target="/var/cache/apt",sharing=locked ',
            "--mount=type=cache,target=/var/cache/apt ",
        ])
    parts = ["apt-get update", "&& apt-get install -y --no-install-recommends " + " ".join(packages)]
    if rng.random() < 0.6:
        parts.append("&& rm -rf /var/lib/apt/lists/*")
    if rng.random() < 0.5:
        w.instruction("RUN", flags + " ".join(parts))
    else:
        w.instruction("RUN", flags.strip() if flags else parts[0], parts if flags else parts[1:])


def _pip(w: _Writer) -> None:
    rng = w.rng
    packages = rng.sample(PIP_PACKAGES, rng.randint(1, 4))
    mount = rng.choice([
        "",
        "--mount=type=cache,target=/root/.cache/pip ",
        '--mount="type=cache,target=/root/.cache/pip" ',
        "--mount=type=cache,target=/root/.cache/uv,sharing=locked ",
        "--mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt ",
        "--mount=type=secret,id=pip_conf,target=/etc/pip.conf ",
        "--mount=type=secret,id=netrc,target=/root/.netrc,required=true --network=host ",
    ])
    tool = rng.choice(["pip install", "pip install --no-cache-dir", "python -m pip install -U",
                       "uv pip install --system", "pip3 install --index-url https://download.pytorch.org/whl/cpu"])
    if rng.random() < 0.5:
        w.instruction("RUN", f"{mount}{tool} {' '.join(packages)}")
    else:
        w.instruction("RUN", f"{mount}{tool}", packages)


def _heredoc(w: _Writer) -> None:
    rng = w.rng
    choice = rng.randrange(9)
    if choice == 0:
        w.instruction("RUN", "<<EOF")
        w.add("set -eux", "apt-get update", "apt-get install -y --no-install-recommends curl", "EOF")
    elif choice == 1:
        w.instruction("RUN", "<<-EOT")
        w.add("\tset -e", "\tif [ -n \"$DEBUG\" ]; then", "\t\techo debug", "\tfi", "\tEOT")
    elif choice == 2:
        w.instruction("RUN", "python3 - <<'PY'")
        w.add("import sys", "print(sys.version)", 'print("$HOME is not expanded")', "PY")
    elif choice == 3:
        w.instruction("COPY", '<<"EOF" /etc/app/config.toml')
        w.add("[server]", "port = 8000", 'name = "asr"', "EOF")
    elif choice == 4:
        w.instruction("COPY", "<<EOF1 <<EOF2 /app/")
        w.add("first file", "EOF1", "second file", "  EOF2 is not the end", "EOF2")
    elif choice == 5:
        w.instruction("RUN", "--mount=type=cache,target=/root/.cache/pip", ["<<EOF"])
        w.add("pip install -r requirements.txt", "python -c 'import torch'", "EOF")
    elif choice == 6:
        w.instruction("RUN", "cat <<EOF > /etc/profile.d/env.sh && chmod +x /etc/profile.d/env.sh")
        w.add("export PATH=/opt/venv/bin:$PATH", "export HF_HOME=/models", "EOF")
    elif choice == 7:
        w.instruction("RUN", "<<EOF bash -ex")
        w.add("", "echo blank line above", "    EOF indented is not a terminator", "EOF")
    else:
        w.instruction("COPY", "--chmod=755 <<-'SCRIPT' /usr/local/bin/entrypoint.sh")
        w.add("\t#!/bin/sh", "\texec \"$@\"", "\t\tSCRIPT")


def _copy(w: _Writer, stages: list[str]) -> None:
    rng = w.rng
    choice = rng.randrange(8)
    if choice == 0:
        w.instruction("COPY", "requirements.txt ./")
    elif choice == 1:
        w.instruction("COPY", "--chown=app:app --chmod=0644 . /app")
    elif choice == 2 and stages:
        w.instruction("COPY", f"--from={rng.choice(stages)} --link /opt/venv /opt/venv")
    elif choice == 3:
        w.instruction("COPY", '["pyproject.toml", "uv.lock", "/app/"]')
    elif choice == 4:
        w.instruction("ADD", "--checksum=sha256:" + "0f" * 32 + " https://example.com/model.tar.gz /tmp/")
    elif choice == 5:
        w.instruction("ADD", "--keep-git-dir=true https://github.com/example/repo.git#v1.0 /src")
    elif choice == 6:
        w.instruction("COPY", "--link", ["--chown=1000:1000", "src/", "/app/src/"])
    else:
        w.instruction("copy", "--from=ghcr.io/astral-sh/uv:0.4 /uv /uvx /bin/")


def _runtime(w: _Writer) -> None:
    rng = w.rng
    choice = rng.randrange(10)
    if choice == 0:
        w.instruction("CMD", '["python", "-m", "app"]')
    elif choice == 1:
        w.instruction("CMD", "python -m app --port 8000")
    elif choice == 2:
        w.instruction("ENTRYPOINT", '["/usr/bin/tini", "--"]')
        w.instruction("CMD", '["gunicorn",', ['"-k", "uvicorn.workers.UvicornWorker",', '"app.main:app"]'])
    elif choice == 3:
        w.instruction("CMD", "[python, app.py]")  # not JSON: BuildKit falls back to the shell form
    elif choice == 4:
        w.instruction("CMD", "['python', 'serve.py']")
    elif choice == 5:
        w.instruction("ENTRYPOINT", 'exec celery -A worker worker --loglevel="${LOG_LEVEL:-info}"')
    elif choice == 6:
        w.instruction("CMD", '[ "torchrun", "--nproc_per_node=8", "train.py" , "--config", "cfg/base.yaml" ]')
    elif choice == 7:
        w.instruction("CMD", '["python", "a\\"b", "\\u00e9"]')
    elif choice == 8:
        w.instruction("ENTRYPOINT", '["python", "-c", "print(1)",]')  # trailing comma: shell form
    else:
        w.instruction("CMD", "[]")


def _misc(w: _Writer) -> None:
    rng = w.rng
    choice = rng.randrange(16)
    if choice == 0:
        w.instruction("EXPOSE", rng.choice(["8000", "8000 8080/tcp", "53/udp 9090", "${PORT}"]))
    elif choice == 1:
        w.instruction("VOLUME", rng.choice(['["/data"]', '["/models", "/cache"]', "/data /cache", "/var/lib/app"]))
    elif choice == 2:
        w.instruction("WORKDIR", rng.choice(["/app", "/opt/service", "$HOME/work", "/path with space"]))
    elif choice == 3:
        w.instruction("USER", rng.choice(["app", "1000:1000", "${UID}:${GID}", "nobody"]))
    elif choice == 4:
        w.instruction("HEALTHCHECK", rng.choice([
            "--interval=30s --timeout=5s --start-period=10s --retries=3 CMD curl -fsS http://localhost:8000/health || exit 1",
            'CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://localhost:8000\')"]',
            "NONE",
            "--interval=1m CMD [\"wget\", \"-q\", \"-O-\", \"http://127.0.0.1/\"]",
            "--start-interval=2s --interval=10s CMD true",
        ]))
    elif choice == 5:
        w.instruction("SHELL", rng.choice(['["/bin/bash", "-o", "pipefail", "-c"]', '["/bin/sh", "-c"]']))
    elif choice == 6:
        w.instruction("STOPSIGNAL", rng.choice(["SIGTERM", "SIGINT", "9"]))
    elif choice == 7:
        w.instruction("ONBUILD", rng.choice([
            "COPY . /app", "RUN pip install -r /app/requirements.txt", "ADD --chown=app . /src",
            "RUN [\"make\", \"build\"]", "run echo lower-case sub-command",
        ]))
    elif choice == 8:
        w.instruction("ARG", rng.choice(["GIT_SHA", "BUILD_DATE=unknown", 'VERSION="1.0"', "A=1 B=2"]))
    elif choice == 9:
        w.instruction("MAINTAINER", "Jane Doe <jane@example.com>")
    elif choice == 10:
        w.instruction("RUN", '["/bin/sh", "-c", "echo exec form"]')
    elif choice == 11:
        w.instruction("RUN", "--network=none --security=sandbox python -m compileall -q /app")
    elif choice == 12:
        w.instruction("RUN", "set -eux;", ["groupadd -r app;", "useradd -r -g app -u 10001 app;",
                                           "mkdir -p /app && chown app:app /app"])
    elif choice == 13:
        w.instruction("RUN", "echo 'a \\ b' \"c # not a comment\" && echo done # trailing")
    elif choice == 14:
        w.instruction("RUN", "--mount=type=bind,from=builder,source=/wheels,target=/wheels",
                      ["pip install --no-index --find-links=/wheels /wheels/*.whl"])
    else:
        w.instruction("WORKDIR", "/app")


def _windows_body(w: _Writer) -> None:
    """Backtick escape: Windows paths keep their backslashes."""
    w.instruction("WORKDIR", "C:\\app")
    w.instruction("COPY", "requirements.txt C:\\app\\")
    w.instruction("RUN", "python -m pip install -r C:\\app\\requirements.txt", ["&& echo done"])
    w.instruction("ENV", "PYTHONPATH=C:\\app\\src PATH=\"C:\\Python311;${PATH}\"")
    w.instruction("RUN", 'powershell -Command "Write-Host `"quoted`""')
    w.instruction("CMD", '["python", "C:\\\\app\\\\main.py"]')


# -- files ------------------------------------------------------------------------------------------

FLAVORS = ["web", "worker", "train", "infer", "multistage", "windows", "heredoc", "quirky", "minimal"]


def _body(w: _Writer, flavor: str, stages: list[str]) -> None:
    rng = w.rng
    steps = [_env, _label, _apt, _pip, _misc, _misc]
    if flavor in ("heredoc", "quirky"):
        steps += [_heredoc, _heredoc, _misc]
    if flavor in ("train", "infer"):
        steps += [_pip, _heredoc]
    for _ in range(rng.randint(2, 9)):
        if rng.random() < 0.85:
            rng.choice(steps)(w)
        else:
            _copy(w, stages)
        roll = rng.random()
        if roll < 0.15:
            w.comment()
        elif roll < 0.3:
            w.blank()


def _file(rng: random.Random, flavor: str) -> str:
    style = _style(rng, flavor)
    w = _Writer(rng, style)
    _header(w)
    _global_args(w)
    if flavor == "windows":
        _from(w, "mcr.microsoft.com/windows/servercore:ltsc2022", None)
        _windows_body(w)
        _body(w, "minimal", [])
        return w.render()
    if flavor == "minimal":
        _from(w, rng.choice(PYTHON_BASES + OTHER_BASES), None)
        _runtime(w)
        return w.render()
    stage_count = rng.randint(2, 4) if flavor in ("multistage", "train") else 1
    stages: list[str] = []
    for index in range(stage_count):
        pool = CUDA_BASES if flavor in ("train", "infer") and rng.random() < 0.7 else PYTHON_BASES
        base = rng.choice(pool) if index == 0 or rng.random() < 0.6 else rng.choice(stages or ["base"])
        name = rng.choice(["builder", "deps", "base", "runtime", "test", "wheels"]) + str(index)
        last = index == stage_count - 1
        _from(w, base, None if last and rng.random() < 0.5 else name)
        stages.append(name)
        _body(w, flavor, stages[:-1])
        if last or rng.random() < 0.3:
            _copy(w, stages[:-1])
            _runtime(w)
        if not last:
            w.blank()
    if rng.random() < 0.2:
        w.comment()
    return w.render()


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[tuple[str, str]]:
    """``count`` deterministic ``(name, text)`` pairs."""
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        flavor = FLAVORS[index % len(FLAVORS)]
        cases.append((f"gen-{index:03d}-{flavor}.Dockerfile", _file(rng, flavor)))
    return cases


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: generate.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generate():
        (out / name).write_bytes(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
