"""Speed of `dockopt context` on a 200,000-file build context, next to the Docker SDK's matcher.

What it does
    1. Generates a seeded tree of ``--files`` files (default 200,000) in a temporary directory:
       a Python package with ``__pycache__`` directories below the root, a virtualenv
       (``.venv`` with ``pyvenv.cfg`` and site-packages), ``frontend/node_modules``, ``.git``
       loose objects, sharded data files, model weights, docs and tests, a root ``.env`` and a
       deeper ``config/.env``, a Dockerfile that copies ``requirements.txt`` and ``src/``, and a
       ``.dockerignore`` with the usual root-only mistakes (``__pycache__/``, ``*.pyc``,
       ``node_modules``). Files are empty or sparse (``truncate``): their sizes look real, the
       disk holds almost nothing.
    2. Times the real CLI, ``dockopt context TREE --format json``, in a subprocess (wall clock,
       interpreter start-up included; exit code 1 is expected: secrets are sent).
    3. Times ``docker.utils.build.exclude_paths`` on the same tree and ignore file, in this process:
       the baseline (it only lists the paths to send; no sizes, no analysis).
    4. Prints seconds, files/s and the 10-second target for both, and what dockopt found.

Wall-clock seconds are judged against the target; CPU seconds (user + system) are printed too,
as they barely move when other processes compete for the CPUs. The page cache is warm for both
(the tree was just written); ``--repeat R`` (default 3) keeps the fastest of R runs. Benchmarks
print figures; they are not tests.

Usage::

    .venv/bin/python benchmarks/context_speed.py
    .venv/bin/python benchmarks/context_speed.py --files 20000 --repeat 3
    .venv/bin/python benchmarks/context_speed.py --tree /tmp/ctx --keep
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_SECONDS = 10.0
DEFAULT_FILES = 200_000
DEFAULT_SEED = 20241123

DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY src/ /app/src/
CMD ["python", "-m", "app"]
"""

# Root-only patterns (lines 3-5) while __pycache__ and node_modules sit deeper: what DO602 is about.
DOCKERIGNORE = """\
.git
.env
__pycache__/
*.pyc
node_modules
*.log
"""

PEM = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END " + "OPENSSH PRIVATE KEY-----\n"

# Share of the files per part of the tree (the rest goes to docs and tests).
SHARES = {"src": 0.15, "venv": 0.30, "node_modules": 0.25, "git": 0.15, "data": 0.12}


def write(path: Path, size: int = 0, text: str | None = None) -> None:
    """An empty or sparse file of ``size`` bytes, or one holding ``text``."""
    with path.open("wb") as stream:
        if text is not None:
            stream.write(text.encode())
        elif size:
            stream.truncate(size)


def generate(root: Path, files: int, seed: int) -> int:
    """Write the tree; return the number of files written."""
    rng = random.Random(seed)
    count = 0

    def batch(directory: Path, names: list[str], sizes: Callable[[], int]) -> None:
        nonlocal count
        directory.mkdir(parents=True, exist_ok=True)
        for name in names:
            write(directory / name, sizes())
            count += 1

    root.mkdir(parents=True, exist_ok=True)
    write(root / "Dockerfile", text=DOCKERFILE)
    write(root / ".dockerignore", text=DOCKERIGNORE)
    write(root / "requirements.txt", text="fastapi==0.111.0\nnumpy==1.26.4\n")
    write(root / ".env", text="API_TOKEN=abc\n")
    (root / "config").mkdir()
    write(root / "config" / ".env", text="DB_PASSWORD=abc\n")
    (root / "deploy").mkdir()
    write(root / "deploy" / "id_rsa", text=PEM)
    count += 6

    per_package = 20  # 14 modules and 6 bytecode files
    for index in range(int(files * SHARES["src"]) // per_package):
        package = root / "src" / "app" / f"area{index % 40}" / f"pkg{index}"
        batch(package, [f"mod{i}.py" for i in range(14)], lambda: rng.randint(200, 20_000))
        batch(package / "__pycache__", [f"mod{i}.cpython-311.pyc" for i in range(6)], lambda: rng.randint(300, 30_000))

    venv = root / ".venv"
    batch(venv, ["pyvenv.cfg"], lambda: 120)
    site = venv / "lib" / "python3.11" / "site-packages"
    for index in range(int(files * SHARES["venv"]) // 100):
        batch(site / f"dist{index}", [f"m{i}.py" for i in range(90)], lambda: rng.randint(500, 40_000))
        batch(site / f"dist{index}" / "_native", [f"ext{i}.so" for i in range(10)], lambda: rng.randint(64, 1024) << 10)

    modules = root / "frontend" / "node_modules"
    for index in range(int(files * SHARES["node_modules"]) // 20):
        batch(modules / f"npm-pkg{index}" / "lib", [f"f{i}.js" for i in range(19)], lambda: rng.randint(100, 9_000))
        batch(modules / f"npm-pkg{index}", ["package.json"], lambda: 600)

    objects = root / ".git" / "objects"
    git_files = int(files * SHARES["git"])
    for fan in range(256):
        names = [f"{rng.getrandbits(152):038x}" for _ in range(git_files // 256)]
        batch(objects / f"{fan:02x}", names, lambda: rng.randint(100, 5_000))

    data_files = int(files * SHARES["data"])
    for shard in range(data_files // 500):
        batch(root / "data" / "raw" / f"shard-{shard:04d}", [f"part-{i:05d}.jsonl" for i in range(500)], lambda: 50_000)
    batch(root / "models", ["encoder.safetensors", "decoder.safetensors"], lambda: 700 << 20)

    rest = files - count
    for index in range(max(rest, 0)):
        folder = root / ("docs" if index % 2 else "tests") / f"section{index % 50}"
        if index < 100:
            folder.mkdir(parents=True, exist_ok=True)
        write(folder / f"page{index}.md", rng.randint(100, 5_000))
        count += 1
    return count


def time_dockopt(tree: Path) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds (user + system of the child) of the CLI, and its JSON."""
    command = [sys.executable, "-m", "dockopt", "context", str(tree), "--format", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"dockopt context failed (exit {proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, json.loads(proc.stdout)


def time_sdk(tree: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of the SDK's walk and matching, in this process, and its path count."""
    from docker.utils.build import exclude_paths

    lines = (tree / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    start, cpu_start = time.perf_counter(), time.process_time()
    paths = exclude_paths(str(tree), patterns, dockerfile="Dockerfile")
    return time.perf_counter() - start, time.process_time() - cpu_start, len(paths)


def fastest(repeat: int, run: Callable[[], tuple[float, float, Any]]) -> tuple[float, float, Any]:
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda item: item[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="files in the generated tree")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=3, help="keep the fastest of N runs")
    parser.add_argument("--tree", type=Path, help="generate here (must not exist) instead of a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args()

    tree = args.tree or Path(tempfile.mkdtemp(prefix="dockopt-context-")) / "ctx"
    if tree.exists():
        sys.exit(f"{tree} exists; give a new directory")
    try:
        start = time.perf_counter()
        written = generate(tree, args.files, args.seed)
        print(f"tree: {tree}  files: {written:,}  generated in {time.perf_counter() - start:.1f}s", flush=True)

        load = os.getloadavg()[0]
        seconds, cpu, report = fastest(args.repeat, lambda: time_dockopt(tree))
        sdk_seconds, sdk_cpu, sdk_paths = fastest(args.repeat, lambda: time_sdk(tree))

        sent = report["sent"]
        print()
        print(f"{'tool':<44} {'seconds':>8} {'CPU s':>7} {'files/s':>10}  target {TARGET_SECONDS:.0f}s")
        for name, elapsed, used in (
            ("dockopt context --format json (subprocess)", seconds, cpu),
            ("docker.utils.build.exclude_paths (baseline)", sdk_seconds, sdk_cpu),
        ):
            verdict = "PASS" if elapsed < TARGET_SECONDS else "FAIL"
            print(f"{name:<44} {elapsed:>8.2f} {used:>7.2f} {written / elapsed:>10,.0f}  {verdict}")
        print(f"(fastest of {args.repeat}; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after", end="")
        print(f" on {os.cpu_count()} CPUs: wall-clock figures are pessimistic)" if load > 0.5 else ")")
        print()
        print(
            f"dockopt: {sent['files']:,} files ({sent['bytes'] / 1e9:.2f} GB) sent; "
            f"excluded directories not read: {len(report['excluded']['pruned'])}; "
            f"pattern gaps: {len(report['pattern_gaps'])}; heavy entries: {len(report['heavy'])}; "
            f"secrets sent: {sum(1 for s in report['secrets'] if s['sent'])}; "
            f"suggestions: {len(report['suggestions'])}"
        )
        print(f"SDK:     {sdk_paths:,} paths (files and directories) to send")
        print(f"speed-up over the SDK: {sdk_seconds / seconds:.1f}x")
    finally:
        if not args.keep:
            shutil.rmtree(tree.parent if args.tree is None else tree, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
