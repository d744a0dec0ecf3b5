"""`dockopt build` on small repositories with a recorded engine: tags, --only, results, exit codes, output."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from build_fakes import CODE_CHANGE, COLD, PIP_FAILURE, RecordedEngine
from click.testing import CliRunner
from rich.console import Console

from corpus.trees import write_tree
from dockopt.cli import main
from dockopt.commands.build import BuildOptions, image_tags, run_build
from dockopt.engine.build_process import BuildRequest
from dockopt.engine.rebuild import appended, copied_manifest, is_manifest, probe_comment
from dockopt.engine.scheduler import BuildJob, ImageOutcome, ImageState
from dockopt.errors import UsageError
from dockopt.repo.graph import build_graph
from dockopt.report.build_progress import LiveProgress

REPO = {
    "docker/base/Dockerfile": "FROM python:3.11-slim\nRUN pip install six\n",
    "docker/app/Dockerfile": (
        "ARG REGISTRY=localhost:5000\nFROM ${REGISTRY}/demo-base:1.0\nWORKDIR /app\n"
        "COPY requirements/app.txt requirements/\nRUN pip install -r requirements/app.txt\nCOPY src/ src/\n"
    ),
    "docker/tool/Dockerfile": "FROM debian:bookworm-slim\nRUN true\n",
    "requirements/app.txt": "idna==3.7\n",
    "src/app.py": "print('app')\n",
    "build.sh": (
        "#!/bin/sh\nREGISTRY=registry.example:5000\n"
        'docker build -t "$REGISTRY/demo-base:1.0" -f docker/base/Dockerfile .\n'
        'docker build -t "$REGISTRY/demo-app:1.0" --build-arg REGISTRY="$REGISTRY" -f docker/app/Dockerfile .\n'
    ),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", REPO)


def build(repo: Path, engine: RecordedEngine, **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_build(BuildOptions(str(repo), **options), out, err, engine)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_images_get_the_graphs_tags_and_their_build_args(repo: Path) -> None:
    engine = RecordedEngine()
    code, _, _ = build(repo, engine)
    assert code == 0
    by_tag = {r.tags[0]: r for r in engine.requests}
    assert engine.built() == ["registry.example:5000/demo-base:1.0", "registry.example:5000/demo-app:1.0", "dockopt/tool:latest"]
    app = by_tag["registry.example:5000/demo-app:1.0"]
    assert app.build_args == {"REGISTRY": "registry.example:5000"}
    assert app.dockerfile == repo / "docker/app/Dockerfile"
    assert app.context == repo
    assert not app.no_cache


def test_a_base_is_also_tagged_the_way_its_children_refer_to_it(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "base/Dockerfile": "FROM python:3.11-slim\n",
            "app/Dockerfile": "FROM acme/base:2\n",
            "docker-compose.yml": (
                "services:\n  base:\n    image: acme/base:2\n    build: base\n"
                "  app:\n    image: acme/app:2\n    build: app\n"
            ),
        },
    )
    graph = build_graph(root)
    assert image_tags(graph, "base") == ("acme/base:2",)
    graph.images["base"].tags = ("${REGISTRY}/base:2",)  # an unresolved tag is of no use
    assert image_tags(graph, "base") == ("dockopt/base:latest", "acme/base:2")


def test_unresolved_build_args_are_left_to_the_dockerfile(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "Dockerfile": "ARG GIT_SHA=unknown\nFROM python:3.11-slim\n",
            "build.sh": 'docker build -t x/y:1 --build-arg GIT_SHA="$(git rev-parse HEAD)" --build-arg A=1 .\n',
        },
    )
    engine = RecordedEngine()
    build(root, engine)
    assert engine.requests[0].build_args == {"A": "1"}


def test_results_file_has_a_build_section_per_image(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    engine = RecordedEngine(log_for=lambda r: (PIP_FAILURE, 1) if "demo-base" in r.tags[0] else (COLD, 0))
    code, _, _ = build(repo, engine, results=str(results), no_cache=True)
    assert code == 1
    document = json.loads(results.read_text())
    images = document["images"]
    assert list(images) == ["demo-base", "demo-app", "tool"]
    base = images["demo-base"]["build"]
    assert base["ok"] is False and base["status"] == "failed" and base["exit_code"] == 1
    assert base["no_cache"] is True
    assert "No matching distribution" in base["log_tail"]
    assert base["error"].startswith("[3/3] RUN pip install")
    assert base["dockerfile"] == "docker/base/Dockerfile" and base["context"] == "."
    app = images["demo-app"]["build"]
    assert app["status"] == "blocked" and app["blocked_by"] == ["demo-base"] and app["exit_code"] is None
    tool = images["tool"]
    assert tool["tag"] == "dockopt/tool:latest"
    built = tool["build"]
    assert built["ok"] is True and built["image_id"].startswith("sha256:")
    assert built["total_steps"] == 5 and built["cached_steps"] == 1  # FROM is not counted
    assert built["steps"][0] == {
        "name": "[1/6] FROM docker.io/library/python:3.11-slim", "stage": None,
        "instruction": "FROM docker.io/library/python:3.11-slim", "cached": False, "seconds": 0.0, "status": "done",
    }  # fmt: skip
    assert [s["name"] for s in built["steps"] if s["cached"]] == ["[2/6] WORKDIR /app"]
    assert set(built) == {
        "ok", "status", "exit_code", "seconds", "no_cache", "tag", "tags", "image_id", "dockerfile", "context",
        "target", "steps", "cached_steps", "total_steps", "error", "log_tail", "blocked_by",
    }  # fmt: skip


def test_results_of_other_commands_are_kept(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    build(repo, RecordedEngine(), results=str(results))
    document = json.loads(results.read_text())
    document["images"]["tool"]["measure"] = {"size": 5}
    results.write_text(json.dumps(document))
    build(repo, RecordedEngine(), results=str(results))
    assert json.loads(results.read_text())["images"]["tool"]["measure"] == {"size": 5}


def test_only_builds_missing_bases_first_and_says_so(repo: Path) -> None:
    engine = RecordedEngine()
    code, out, _ = build(repo, engine, only=("demo-app",))
    assert code == 0
    assert engine.built() == ["registry.example:5000/demo-base:1.0", "registry.example:5000/demo-app:1.0"]
    assert "demo-app: needs demo-base, which the engine does not have: building it first" in out


def test_only_uses_a_base_the_engine_has(repo: Path) -> None:
    engine = RecordedEngine(present={"registry.example:5000/demo-base:1.0"})
    _, out, _ = build(repo, engine, only=("demo-app",))
    assert engine.built() == ["registry.example:5000/demo-app:1.0"]
    assert "using registry.example:5000/demo-base:1.0 (demo-base) as the engine has it" in out


def test_only_an_unknown_image_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(UsageError, match="no image named nope"):
        build(repo, RecordedEngine(), only=("nope",))


def test_images_built_on_one_another_are_not_built_and_exit_2(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "a/Dockerfile": "FROM x/b:1\n",
            "b/Dockerfile": "FROM x/a:1\n",
            "c/Dockerfile": "FROM python:3.11-slim\n",
            "build.sh": "docker build -t x/a:1 a\ndocker build -t x/b:1 b\ndocker build -t x/c:1 c\n",
        },
    )
    engine = RecordedEngine()
    code, out, _ = build(root, engine)
    assert code == 2
    assert engine.built() == ["x/c:1"]
    assert "a: not built: built on images that are built on one another: a, b" in out


def test_an_unparsable_dockerfile_is_reported_the_rest_built_exit_2(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"good/Dockerfile": "FROM python:3.11-slim\n", "bad/Dockerfile": "FROM a\n\x00"})
    engine = RecordedEngine()
    code, _, err = build(root, engine)
    assert code == 2
    assert "dockopt/good:latest" in engine.built()
    assert "bad/Dockerfile" in err


def test_plain_output_has_one_line_per_event_and_each_step(repo: Path) -> None:
    engine = RecordedEngine(log_for=lambda r: (PIP_FAILURE, 1) if "demo-base" in r.tags[0] else (CODE_CHANGE, 0))
    _, out, _ = build(repo, engine)
    lines = out.splitlines()
    assert any(line.endswith(f"demo-base: building {repo}/docker/base/Dockerfile") for line in lines)
    assert any("demo-base: FAILED after" in line for line in lines)
    assert "    | ERROR: No matching distribution found for nonexistent-package-dockopt==0.0" not in out
    assert any(line.endswith("| #6 0.473 ERROR: No matching distribution found for nonexistent-package-dockopt==0.0") for line in lines)
    assert any(line.endswith("demo-app: blocked by demo-base") for line in lines)
    assert any(line.endswith("tool: built in 0.0s, 3 of 5 steps cached") for line in lines)
    assert "      CACHED  [4/6] RUN pip install --no-cache-dir -r req.txt" in lines
    assert "        0.2s  [6/6] RUN python main.py" in lines
    assert lines[-4].startswith("built 1 of 3 images in ")
    assert "  demo-app   blocked  by demo-base" in lines


def test_live_display_shows_each_image_state_and_step() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100, color_system=None)
    clock = iter(float(n) for n in range(100))
    progress = LiveProgress(console, clock=lambda: next(clock))
    jobs = [BuildJob(n, BuildRequest(Path("."), Path("Dockerfile"), (n,))) for n in ("base", "app", "tool")]
    progress.expect(jobs)
    progress.started(jobs[0])
    progress.step(jobs[0], "[2/3] RUN pip install torch")
    table = io.StringIO()
    Console(file=table, width=100, color_system=None).print(progress.table())
    text = table.getvalue()
    assert "base   building" in text and "[2/3] RUN pip install torch" in text
    assert "app    queued" in text
    progress.finished(jobs[0], ImageOutcome("base", ImageState.FAILED, 1, 3.0, error="boom"))
    progress.finished(jobs[1], ImageOutcome("app", ImageState.BLOCKED, blocked_by=("base",)))
    table = io.StringIO()
    Console(file=table, width=100, color_system=None).print(progress.table())
    assert "base   failed" in table.getvalue() and "3.0s  boom" in table.getvalue()
    assert "app    blocked" in table.getvalue() and "blocked by base" in table.getvalue()
    assert "base: FAILED after 3.0s: boom" in stream.getvalue()


def test_cli_build_without_engine_answers_exit_2(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKOPT_DOCKER", str(repo / "no-docker-here"))
    result = CliRunner().invoke(main, ["build", str(repo)])
    assert result.exit_code == 2
    assert "dockopt: error:" in result.output


def test_rebuild_options_need_existing_files(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"--rebuild-after-change nope\.py: no such file"):
        build(repo, RecordedEngine(), rebuild_after_change="nope.py")
    with pytest.raises(UsageError, match="--manifest is used with --rebuild-after-change"):
        build(repo, RecordedEngine(), manifest=str(repo / "requirements/app.txt"))


# -- rebuild timings ---------------------------------------------------------------------------


def test_rebuild_timings_with_a_recorded_engine(repo: Path, tmp_path: Path) -> None:
    changed = repo / "src/app.py"
    manifest = repo / "requirements/app.txt"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (changed, manifest)}
    seen: list[tuple[str, bool, bytes, bytes]] = []

    def log_for(request: BuildRequest) -> tuple[str, int]:
        seen.append((request.tags[0], request.no_cache, changed.read_bytes(), manifest.read_bytes()))
        return (COLD, 0) if request.no_cache else (CODE_CHANGE, 0)

    results = tmp_path / "r.json"
    code, out, _ = build(
        repo, RecordedEngine(log_for=log_for), only=("demo-app",), rebuild_after_change=str(changed),
        results=str(results),
    )  # fmt: skip
    assert code == 0
    app = [s for s in seen if "demo-app" in s[0]]
    assert [s[1] for s in app] == [True, False, False, False, False]  # cold, warm, code, manifest, restore
    assert app[1][2:] == (before[changed][0], before[manifest][0])
    assert app[2][2].startswith(before[changed][0]) and app[2][2] != before[changed][0]
    assert app[2][2].endswith(b"\n") and b"# dockopt rebuild probe" in app[2][2]
    assert app[2][3] == before[manifest][0]
    assert app[3][3].startswith(before[manifest][0]) and app[3][2] == before[changed][0]
    assert app[4][2:] == (before[changed][0], before[manifest][0])
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime
    rebuild = json.loads(results.read_text())["images"]["demo-app"]["rebuild"]
    assert rebuild["changed_file"] == "src/app.py" and rebuild["manifest"] == "requirements/app.txt"
    assert all(isinstance(rebuild[k], float) for k in ("cold", "warm", "code_change", "manifest_change"))
    assert rebuild["rerun"]["code_change"] == ["[5/6] COPY main.py .", "[6/6] RUN python main.py"]
    build_section = json.loads(results.read_text())["images"]["demo-app"]["build"]
    assert build_section["no_cache"] is True and build_section["seconds"] == rebuild["cold"]
    assert "cold 0.0s, warm 0.0s (2 steps re-ran)" in out


def test_a_failed_cold_build_leaves_no_rebuild_figures(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    engine = RecordedEngine(log_for=lambda r: (PIP_FAILURE, 1) if "demo-app" in r.tags[0] else (COLD, 0))
    code, _, _ = build(repo, engine, rebuild_after_change=str(repo / "src/app.py"), results=str(results))
    assert code == 1
    rebuild = json.loads(results.read_text())["images"]["demo-app"]["rebuild"]
    assert rebuild["cold"] is None and rebuild["warm"] is None
    assert "nonexistent-package-dockopt" in rebuild["errors"]["cold"]
    assert sum(1 for r in engine.requests if "demo-app" in r.tags[0]) == 1


def test_the_changed_file_is_restored_when_the_build_is_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(b"print(1)")  # no final line break
    path.chmod(0o640)
    mtime = path.stat().st_mtime_ns
    during: list[bytes] = []

    def interrupted_build() -> None:
        with appended(path, probe_comment(path)):
            during.append(path.read_bytes())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_build()
    assert during[0].startswith(b"print(1)\n# dockopt rebuild probe ")
    assert path.read_bytes() == b"print(1)"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == ["app.py"]


def test_probe_comments_fit_the_file() -> None:
    assert probe_comment(Path("a.py")).startswith(b"# dockopt")
    assert probe_comment(Path("a.ts")).startswith(b"// dockopt")
    assert probe_comment(Path("a.html")).endswith(b" -->\n")
    assert probe_comment(Path("package.json")) == b"\n"


def test_manifests_the_dockerfile_copies_are_found(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "requirements/base.txt": "six\n",
            "requirements/dev.txt": "pytest\n",
            "pyproject.toml": "[project]\nname='x'\n",
            "src/app.py": "",
            "one/Dockerfile": "FROM x\nCOPY src/ src/\nCOPY requirements/base.txt /r/\n",
            "two/Dockerfile": "FROM x\nCOPY requirements /r\n",
            "three/Dockerfile": "FROM x\nCOPY . .\n",
            "four/Dockerfile": "FROM x\nCOPY --from=build /r/requirements.txt .\nCOPY src/ src/\n",
            "five/Dockerfile": 'FROM x\nCOPY ["pyproject.toml", "./"]\n',
            "six/Dockerfile": "FROM x\nWORKDIR /srv\nCOPY . .\nRUN pip install -r requirements/dev.txt\n",
            "seven/Dockerfile": "FROM x\nWORKDIR /srv\nCOPY . /srv/\nRUN pip install -r /srv/requirements/dev.txt\n",
        },
    )
    found = {name: copied_manifest(root / name / "Dockerfile", root) for name in ("one", "two", "three", "four", "five", "six", "seven")}
    assert found == {
        "one": root / "requirements/base.txt",
        "two": root / "requirements/base.txt",
        "three": root / "pyproject.toml",
        "four": None,
        "five": root / "pyproject.toml",
        "six": root / "requirements/dev.txt",  # what the install reads, rather than a manifest at the root
        "seven": root / "requirements/dev.txt",
    }
    assert is_manifest("requirements-dev.txt") and is_manifest("deps/uv.lock") and not is_manifest("notes.txt")


def test_a_results_file_of_something_else_is_refused_before_building(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "lint.json"
    other.write_text('{"tool": "dockopt", "findings": []}', encoding="utf-8")
    engine = RecordedEngine()
    with pytest.raises(UsageError, match="not a dockopt results file"):
        build(repo, engine, results=str(other))
    assert engine.requests == []
