"""Wall time of `dockopt graph` and `dockopt lint` on a generated repository of 50 Dockerfiles.

What it does
    1. Writes a repository shaped like examples/ml-pipeline, scaled up: 3 bases (cpu, cuda, and an ml base
       built FROM ``${REGISTRY}/bench-cuda-base:${BASE_TAG}``) and 47 stage images built from them, each with
       its requirements file; ``scripts/build_all.sh`` (variables, the bases, then loops over the stages) and a
       ``docker-compose.yml`` with one service per stage.
    2. Runs the real CLI as a subprocess, ``dockopt graph --format json ROOT`` and
       ``dockopt lint --format json ROOT``, checks what they report (50 images with the expected bases; 50
       files linted) and keeps the fastest of ``--repeat`` runs (wall time, ``time.perf_counter``).
    3. Prints the seconds of each and PASS/FAIL against the target of issue 5: under 1 second each,
       with no Docker engine involved.

Benchmarks print figures; they are not timed tests.

Usage::

    .venv/bin/python benchmarks/graph_speed.py
    .venv/bin/python benchmarks/graph_speed.py --repeat 5 --keep /tmp/graph-bench
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0
STAGES = 47
GPU_EVERY = 2  # every second stage runs on the ml base, the others on the cpu base

CPU_BASE = """\
# bench-cpu-base
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    rm -f /etc/apt/apt.conf.d/docker-clean \\
    && apt-get update && apt-get install -y --no-install-recommends ffmpeg libsndfile1
WORKDIR /app
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app app
COPY requirements/base.txt /tmp/requirements/base.txt
RUN --mount=type=cache,target=/root/.cache/pip pip install -r /tmp/requirements/base.txt
"""

CUDA_BASE = """\
# bench-cuda-base
FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends python3.11 python3-pip \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /workspace
"""

ML_BASE = """\
# bench-ml-base
ARG REGISTRY=localhost:5000
ARG BASE_TAG=dev
FROM ${REGISTRY}/bench-cuda-base:${BASE_TAG}
COPY requirements/ml.txt /tmp/requirements/ml.txt
RUN --mount=type=cache,target=/root/.cache/pip python3 -m pip install -r /tmp/requirements/ml.txt
"""

STAGE = """\
# {name}: stage {number} of the pipeline
ARG REGISTRY=localhost:5000
ARG BASE_TAG=dev
FROM ${{REGISTRY}}/bench-{base}-base:${{BASE_TAG}} AS runtime
WORKDIR /app
COPY requirements/{name}.txt requirements/{name}.txt
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install -r requirements/{name}.txt
COPY src/{name}/ src/{name}/
ENV PYTHONPATH=/app/src
USER app
EXPOSE 80{number:02d}
HEALTHCHECK CMD ["python", "-c", "import {name}"]
CMD ["python", "-m", "{name}"]
"""

BUILD_SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY=${{REGISTRY:-localhost:5000}}
BASE_TAG=$(grep '^BASE_TAG=' docker/versions.txt | cut -d= -f2)

docker build -t "${{REGISTRY}}/bench-cpu-base:${{BASE_TAG}}" -f docker/base/cpu/Dockerfile .
docker build -t "${{REGISTRY}}/bench-cuda-base:${{BASE_TAG}}" -f docker/base/cuda/Dockerfile .
docker build -t "${{REGISTRY}}/bench-ml-base:${{BASE_TAG}}" -f docker/base/ml/Dockerfile \\
  --build-arg REGISTRY="${{REGISTRY}}" --build-arg BASE_TAG="${{BASE_TAG}}" .

for stage in {stages}; do
  docker build -t "${{REGISTRY}}/bench-${{stage}}:${{BASE_TAG}}" -f "docker/stages/${{stage}}/Dockerfile" \\
    --build-arg REGISTRY="${{REGISTRY}}" --build-arg BASE_TAG="${{BASE_TAG}}" .
done
"""

SERVICE = """\
  {name}:
    image: ${{REGISTRY:-localhost:5000}}/bench-{name}:${{BASE_TAG:-2024.06}}
    build:
      context: .
      dockerfile: docker/stages/{name}/Dockerfile
      args:
        REGISTRY: ${{REGISTRY:-localhost:5000}}
        BASE_TAG: ${{BASE_TAG:-2024.06}}
"""


def stage_names() -> list[str]:
    return [f"stage-{number:02d}" for number in range(1, STAGES + 1)]


def write_repository(root: Path) -> None:
    """The generated repository: 3 bases + 47 stages, a build script and a compose file."""
    files: dict[str, str] = {
        "docker/base/cpu/Dockerfile": CPU_BASE,
        "docker/base/cuda/Dockerfile": CUDA_BASE,
        "docker/base/ml/Dockerfile": ML_BASE,
        "docker/versions.txt": "BASE_TAG=2024.06\nTORCH_VERSION=2.2.2\n",
        "requirements/base.txt": "numpy==1.26.4\npydantic==2.8.2\n",
        "requirements/ml.txt": "torch==2.2.2\ntorchaudio==2.2.2\ntransformers==4.41.2\n",
        ".dockerignore": ".git\n**/__pycache__\n",
    }
    names = stage_names()
    for number, name in enumerate(names, 1):
        base = "ml" if number % GPU_EVERY == 0 else "cpu"
        files[f"docker/stages/{name}/Dockerfile"] = STAGE.format(name=name, number=number, base=base)
        files[f"requirements/{name}.txt"] = f"httpx==0.27.0\nstructlog==24.{number % 5}.0\n"
        files[f"src/{name}/__init__.py"] = ""
    files["scripts/build_all.sh"] = BUILD_SCRIPT.format(stages=" ".join(names))
    files["docker-compose.yml"] = "services:\n" + "".join(SERVICE.format(name=name) for name in names)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def dockopt_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m dockopt``."""
    script = Path(sys.executable).with_name("dockopt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dockopt"]


def timed(arguments: list[str], repeat: int, expected_codes: tuple[int, ...]) -> tuple[float, str]:
    """The fastest wall time of ``repeat`` runs, and the standard output of the last one."""
    best = float("inf")
    output = ""
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(arguments, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode not in expected_codes:
            sys.exit(f"{' '.join(arguments)} exited with {result.returncode}:\n{result.stderr}")
        best = min(best, elapsed)
        output = result.stdout
    return best, output


def check_graph(output: str) -> None:
    data = json.loads(output)
    images = {image["name"]: image for image in data["images"]}
    if len(images) != STAGES + 3:
        sys.exit(f"graph: expected {STAGES + 3} images, got {len(images)}")
    order = data["build_order"]
    if order[:3] != ["bench-cpu-base", "bench-cuda-base", "bench-ml-base"]:
        sys.exit(f"graph: unexpected build order {order[:3]}")
    for number, name in enumerate(stage_names(), 1):
        base = "bench-ml-base" if number % GPU_EVERY == 0 else "bench-cpu-base"
        if images[f"bench-{name}"]["parents"] != [base]:
            sys.exit(f"graph: bench-{name} should be built on {base}")


def check_lint(output: str) -> None:
    files = json.loads(output)["summary"]["files"]
    if files != STAGES + 3:
        sys.exit(f"lint: expected {STAGES + 3} files, got {files}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the fastest counts")
    parser.add_argument("--keep", type=Path, help="write the repository here and keep it")
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="dockopt-graph-bench-"))
    try:
        if options.keep and root.exists():
            shutil.rmtree(root)
        write_repository(root)
        command = dockopt_command()
        graph_seconds, graph_output = timed([*command, "graph", "--format", "json", str(root)], options.repeat, (0,))
        check_graph(graph_output)
        lint_seconds, lint_output = timed(
            [*command, "lint", "--format", "json", "--isolated", str(root)], options.repeat, (0, 1)
        )
        check_lint(lint_output)
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)
    dockerfiles = STAGES + 3
    print(f"repository: {dockerfiles} Dockerfiles (3 bases, {STAGES} stages), a build script, a compose file")
    print(f"best of {options.repeat} runs, wall time of the whole process:")
    ok = True
    for name, seconds in (("dockopt graph", graph_seconds), ("dockopt lint", lint_seconds)):
        passed = seconds < TARGET_SECONDS
        ok = ok and passed
        print(f"  {name:<14} {seconds:6.3f} s   {'PASS' if passed else 'FAIL'} (target < {TARGET_SECONDS:.0f} s)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
