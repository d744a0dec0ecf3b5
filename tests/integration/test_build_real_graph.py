"""`dockopt build` against a real Docker engine, on a tiny repository written by the test.

The repository: ``base`` (python:3.11-slim + six) and ``app`` built FROM it (idna from a requirements
file, then the code); ``broken`` (a RUN that fails) and ``broken-child`` FROM it; ``independent``, on
nothing of this repository. Tags carry a random prefix so that sessions running at the same time do not
share images; they are removed afterwards. No timing is asserted: only which steps ran, in which order.
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


def repository(root: Path, prefix: str) -> Path:
    files = {
        "docker/base/Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir six==1.16.0\n",
        "docker/app/Dockerfile": (
            f"ARG BASE={prefix}/base:1\n"
            "FROM ${BASE}\n"
            "WORKDIR /srv\n"
            "COPY requirements/app.txt requirements/\n"
            "RUN pip install --no-cache-dir -r requirements/app.txt\n"
            "COPY src/ src/\n"
            'RUN python -c "import six, idna; print(six.__version__)"\n'
        ),
        "docker/broken/Dockerfile": "FROM debian:bookworm-slim\nRUN echo about to fail && exit 3\n",
        "docker/broken-child/Dockerfile": f"FROM {prefix}/broken:1\nRUN true\n",
        "docker/independent/Dockerfile": "FROM debian:bookworm-slim\nRUN echo independent > /independent\n",
        "requirements/app.txt": "idna==3.7\n",
        "src/app.py": "print('serving')\n",
        "build.sh": "#!/bin/sh\nset -e\n"
        + "".join(
            f"docker build -t {prefix}/{name}:1 -f docker/{name}/Dockerfile .\n"
            for name in ("base", "app", "broken", "broken-child", "independent")
        ),
    }
    return write_tree(root, files)


@pytest.fixture
def repo(tmp_path: Path, docker_client: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)
    prefix = f"dockopt-it-build-{uuid.uuid4().hex[:10]}"
    yield repository(tmp_path / "repo", prefix), prefix
    listed = subprocess.run(
        [docker_client, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", f"{prefix}/*"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    tags = listed.stdout.split()
    if tags:
        subprocess.run([docker_client, "image", "rm", "--force", *tags], capture_output=True, check=False)


def dockopt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def image_id(client: str, reference: str) -> str:
    proc = subprocess.run([client, "image", "inspect", "--format", "{{.Id}}", reference], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_graph_builds_in_order_and_a_failure_blocks_only_its_child(
    repo: tuple[Path, str], docker_client: str, tmp_path: Path
) -> None:
    root, prefix = repo
    results = tmp_path / "results.json"
    code, output = dockopt("build", str(root), "--jobs", "2", "--results", str(results))
    assert code == 1, output  # broken failed
    lines = output.splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if line.endswith(text) or text in line)

    assert at("base: built in") < at("app: building")
    images = json.loads(results.read_text())["images"]
    assert set(images) == {"base", "app", "broken", "broken-child", "independent"}
    for name in ("base", "app", "independent"):
        build = images[name]["build"]
        assert build["ok"] is True and build["status"] == "built", build
        assert build["tag"] == f"{prefix}/{name}:1"
        assert build["image_id"] == image_id(docker_client, f"{prefix}/{name}:1")
    app = images["app"]["build"]
    assert [s["instruction"] for s in app["steps"]][1:] == [
        "WORKDIR /srv",
        "COPY requirements/app.txt requirements/",
        "RUN pip install --no-cache-dir -r requirements/app.txt",
        "COPY src/ src/",
        'RUN python -c "import six, idna; print(six.__version__)"',
    ]
    assert app["total_steps"] == 5
    broken = images["broken"]["build"]
    assert broken["ok"] is False and broken["status"] == "failed" and broken["exit_code"] != 0
    assert "exit code: 3" in broken["log_tail"] and "about to fail" in broken["log_tail"]
    assert broken["error"].startswith("[2/2] RUN echo about to fail && exit 3")
    child = images["broken-child"]["build"]
    assert child["status"] == "blocked" and child["blocked_by"] == ["broken"] and child["image_id"] is None
    assert "broken-child: blocked by broken" in output
    tail = output[output.index("broken: FAILED") :]
    assert "last 20 lines of the log:" in tail and "| about to fail" not in tail  # its lines, as BuildKit prints them
    assert "exit code: 3" in tail

    # Built again, everything is cached but the failure, and the results file is updated in place.
    code, output = dockopt("build", str(root), "--only", "app", "--results", str(results))
    assert code == 0, output
    again = json.loads(results.read_text())["images"]
    assert again["app"]["build"]["cached_steps"] == again["app"]["build"]["total_steps"] == 5
    assert again["broken"]["build"]["status"] == "failed"  # untouched by a run that did not build it
    assert f"using {prefix}/base:1 (base) as the engine has it" in output


def test_rebuild_after_a_code_change_reruns_only_the_steps_after_the_code_copy(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = repo
    code_file = root / "src" / "app.py"
    manifest = root / "requirements" / "app.txt"
    originals = {path: (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns) for path in (code_file, manifest)}
    results = tmp_path / "results.json"
    code, output = dockopt(
        "build", str(root), "--only", "app", "--rebuild-after-change", str(code_file), "--results", str(results)
    )
    assert code == 0, output
    for path, (data, mode, mtime) in originals.items():
        assert (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns) == (data, mode, mtime)
    app = json.loads(results.read_text())["images"]["app"]
    rebuild = app["rebuild"]
    assert rebuild["changed_file"] == "src/app.py"
    assert rebuild["manifest"] == "requirements/app.txt"  # found in the Dockerfile's COPY
    for phase in ("cold", "warm", "code_change", "manifest_change"):
        assert isinstance(rebuild[phase], float), (phase, rebuild)
    assert rebuild["rerun"]["warm"] == []
    assert rebuild["rerun"]["code_change"] == [
        "[5/6] COPY src/ src/",
        '[6/6] RUN python -c "import six, idna; print(six.__version__)"',
    ]
    assert rebuild["rerun"]["manifest_change"] == [
        "[3/6] COPY requirements/app.txt requirements/",
        "[4/6] RUN pip install --no-cache-dir -r requirements/app.txt",
        "[5/6] COPY src/ src/",
        '[6/6] RUN python -c "import six, idna; print(six.__version__)"',
    ]
    assert app["build"]["no_cache"] is True and app["build"]["seconds"] == rebuild["cold"]
