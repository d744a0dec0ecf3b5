"""`dockopt verify --results` on figures a real engine produced: `dockopt build` and `dockopt measure` write
the results file of a tiny repository, and the size, wasted-bytes and build-time limits are judged on it.

Tags carry a random prefix so that sessions running at the same time do not share images; they are
removed afterwards. No timing is asserted: a build-time limit is only checked to read the figure.
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

POLICY = """\
[[requirements]]
id = "small"
title = "Images under 1 MB"
category = "Measurements"
check = { kind = "max_size_mb", limit = 1 }

[[requirements]]
id = "roomy"
title = "Images under 100 GB"
category = "Measurements"
check = { kind = "max_size_mb", limit = 100000 }

[[requirements]]
id = "waste"
title = "No waste"
category = "Measurements"
check = { kind = "max_wasted_mb", limit = 100000, images = ["app"] }

[[requirements]]
id = "build-time"
title = "Builds finish"
category = "Measurements"
check = { kind = "max_build_s", limit = 100000 }

[[requirements]]
id = "rebuild"
title = "Fast code-change rebuilds"
category = "Measurements"
check = { kind = "max_code_change_rebuild_s", limit = 60 }
"""


@pytest.fixture
def repo(tmp_path: Path, docker_client: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, str]]:
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)
    prefix = f"dockopt-it-verify-{uuid.uuid4().hex[:10]}"
    files = {
        "docker/base/Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir six==1.16.0\n",
        "docker/app/Dockerfile": (
            f"FROM {prefix}/base:1\nRUN head -c 300000 /dev/urandom > /blob && rm /blob\n"
            "RUN head -c 200000 /dev/urandom > /kept\n"
        ),
        "build.sh": "".join(f"docker build -t {prefix}/{n}:1 -f docker/{n}/Dockerfile .\n" for n in ("base", "app")),
    }
    root = write_tree(tmp_path / "repo", files)
    yield root, prefix, docker_client
    subprocess.run(
        [docker_client, "image", "rm", "--force", f"{prefix}/app:1", f"{prefix}/base:1"], capture_output=True, check=False
    )


def _dockopt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_limits_judged_on_a_real_results_file(repo: tuple[Path, str, str], tmp_path: Path) -> None:
    root, prefix, client = repo
    results = tmp_path / "results.json"
    code, output = _dockopt("build", str(root), "--results", str(results))
    assert code == 0, output
    code, output = _dockopt("measure", f"{prefix}/app:1", f"{prefix}/base:1", "--results", str(results))
    assert code == 0, output
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    code, output = _dockopt("verify", str(root), "--policy", str(policy), "--results", str(results), "--format", "json")
    assert code == 0, output
    report = json.loads(output)
    by_id = {r["id"]: r for r in report["requirements"]}

    inspected = subprocess.run(
        [client, "image", "inspect", "--format", "{{.Size}}", f"{prefix}/app:1"], capture_output=True, text=True, check=True
    )
    app_bytes = int(inspected.stdout)
    assert by_id["small"]["status"] == "not"  # python:3.11-slim alone is far over 1 MB
    assert by_id["small"]["fraction"] == "0/2 images"
    assert by_id["roomy"]["status"] == "compliant"
    measured = {e["measurement"]["image"]: e["measurement"] for e in by_id["roomy"]["evidence"]}
    assert set(measured) == {"app", "base"}  # measure's entries joined to the images build named
    assert measured["app"]["value"] == round(app_bytes / 1_000_000, 3)
    assert measured["app"]["source"] == f"{results}: images.{prefix}/app:1.measure.size"
    # the 300 kB written and removed in one RUN leave nothing; what measure counts as wasted is read as is
    document = json.loads(results.read_text(encoding="utf-8"))
    wasted = document["images"][f"{prefix}/app:1"]["measure"]["wasted_bytes"]
    (waste,) = by_id["waste"]["evidence"]
    assert waste["measurement"]["value"] == round(wasted / 1_000_000, 3)
    assert by_id["build-time"]["passed"] == 2
    assert by_id["rebuild"]["status"] == "not-applicable"  # build ran without --rebuild-after-change
    images = {i["name"]: i for i in report["images"]}
    assert images["app"]["size_bytes"] == app_bytes
    assert images["app"]["parents"] == ["base"]
    assert images["base"]["build_s"] is not None
