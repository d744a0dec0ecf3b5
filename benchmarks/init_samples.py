"""What `dockopt init`'s images cost: size over the base image, cold build, and rebuild after a code change.

For each sample project of tests/integration/init_projects/ (copied to a temporary directory):
`dockopt init` writes the setup; the image is built without the layer cache (BuildKit's cache
mounts still hold earlier downloads: that is what they are for); one line is appended to a
source file and the image is built again. Printed per project: the image's size and what it adds
to its base image, the cold build, the rebuild, and how many build steps the rebuild took from
the cache. Needs a Docker engine (scripts/ensure-docker). Figures, not assertions.

    .venv/bin/python benchmarks/init_samples.py [--only NAME...]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from dockopt.commands.init import InitOptions, run_init
from dockopt.engine import DockerCLI, StepStatus

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "integration" / "init_projects"
PORTS = {"ml-inference": 8080}
BASE = "python:3.11-slim"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="sample names (default: all)")
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())
    engine = DockerCLI()
    base = engine.inspect(BASE).size
    print(f"base image {BASE}: {base / 1e6:.1f} MB")
    print(f"{'project':<14} {'image':>9} {'added':>8} {'cold build':>11} {'rebuild':>8}  cached steps")
    with tempfile.TemporaryDirectory(prefix="dockopt-init-bench-") as scratch:
        for name in names:
            project = Path(scratch) / name
            shutil.copytree(SAMPLES / name, project)
            run_init(InitOptions(str(project), port=PORTS.get(name)), io.StringIO())
            tag = f"dockopt-bench-init:{uuid.uuid4().hex[:12]}"
            try:
                cold = engine.build(project, project / "Dockerfile", tag, no_cache=True)
                if not cold.ok:
                    print(f"{name}: the build failed\n{cold.tail()}", file=sys.stderr)
                    return 1
                source = next(p for p in sorted(project.rglob("*.py")) if p.name != "__init__.py")
                source.write_text(source.read_text(encoding="utf-8") + "\n# a one-line change\n", encoding="utf-8")
                rebuild = engine.build(project, project / "Dockerfile", tag)
                size = engine.inspect(tag).size
                cached = sum(1 for step in rebuild.steps if step.status is StepStatus.CACHED)
                print(
                    f"{name:<14} {size / 1e6:7.1f}MB {(size - base) / 1e6:6.1f}MB {cold.seconds:10.1f}s "
                    f"{rebuild.seconds:7.1f}s  {cached}/{len(rebuild.steps)}"
                )
            finally:
                engine.remove_image(tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
