"""build, measure and compare end to end on a real engine: a change that removes waste shows in the table.

Before: ``app`` (FROM ``base``) writes a 3 MB file in one layer and deletes it in the next, so its size
includes 3 MB the final filesystem does not show. After: the file is never written. Both runs build with
``--no-cache`` (so the build time is a cold build) and measure the images into the same results files.
No timing is asserted: only that each figure is there, and what sizes and waste did.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.trees import write_tree
from dockopt.cli import main

pytestmark = pytest.mark.integration

WASTEFUL = "FROM {prefix}/base:1\nRUN head -c 3000000 /dev/urandom > /blob\nRUN rm /blob\n"
CLEAN = "FROM {prefix}/base:1\nRUN true\nRUN true\n"


def write(root: Path, prefix: str, app: str) -> Path:
    files = {
        "base/Dockerfile": "FROM debian:bookworm-slim\nRUN echo base > /base.txt\n",
        "app/Dockerfile": app.format(prefix=prefix),
        "build.sh": f"docker build -t {prefix}/base:1 base\ndocker build -t {prefix}/app:1 app\n",
    }
    return write_tree(root, files)


@pytest.fixture
def prefix(docker_client: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)
    name = f"dockopt-it-compare-{uuid.uuid4().hex[:10]}"
    yield name
    subprocess.run(
        [docker_client, "image", "rm", "--force", f"{name}/base:1", f"{name}/app:1"], capture_output=True, check=False
    )


def dockopt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def build_and_measure(root: Path, prefix: str, results: Path) -> None:
    code, output = dockopt("build", str(root), "--no-cache", "--results", str(results))
    assert code == 0, output
    code, output = dockopt("measure", f"{prefix}/base:1", f"{prefix}/app:1", "--results", str(results))
    assert code == 0, output


def test_compare_shows_the_change_measured_on_real_images(prefix: str, tmp_path: Path) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    build_and_measure(write(tmp_path / "wasteful", prefix, WASTEFUL), prefix, before)
    build_and_measure(write(tmp_path / "clean", prefix, CLEAN), prefix, after)

    code, output = dockopt("compare", str(before), str(after), "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    images = {image["name"]: image for image in document["images"]}
    assert set(images) == {"base", "app"}  # measure's entries (keyed by tag) joined to build's images
    app = images["app"]["figures"]
    assert app["wasted_bytes"]["before"] >= 3_000_000 > app["wasted_bytes"]["after"]
    assert app["size"]["before"] - app["size"]["after"] >= 3_000_000
    assert app["size"]["change"] < 0 and app["size"]["relative"] < 0
    for image in images.values():
        assert image["status"] == "both"
        assert image["figures"]["cold_build"]["before"] is not None  # build --no-cache is a cold build
        assert image["figures"]["cold_build"]["after"] is not None
        assert image["figures"]["code_change_rebuild"] == {
            "before": None, "after": None, "change": None, "relative": None,
        }  # fmt: skip
    assert document["total"]["size"]["before"] == sum(i["figures"]["size"]["before"] for i in images.values())

    code, output = dockopt("compare", str(before), str(after), "--format", "markdown")
    assert code == 0
    rows = [line for line in output.splitlines() if line.startswith("|")]
    assert rows[0] == "| image | figure | before | after | change |"
    assert any(row.startswith("| **app** | size |") and "MB (-" in row for row in rows)
    assert "|  | code-change rebuild | – | – | – |" in rows
