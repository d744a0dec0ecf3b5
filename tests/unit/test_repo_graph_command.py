"""`dockopt graph`: the five formats, the output file, problems and exit codes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.graph import GraphOptions, run_graph

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "ml-pipeline"
DOCS = Path(__file__).parent.parent.parent / "docs" / "graph-json.md"


def _run(root: Path, fmt: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_graph(GraphOptions(str(root), fmt), out, err)
    return code, out.getvalue(), err.getvalue()


def test_tree_of_the_example() -> None:
    code, out, err = _run(EXAMPLE, "tree")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].endswith("ml-pipeline: 10 images, 4 external bases")
    tree = "\n".join(lines[1 : lines.index("")])
    assert tree == (
        "python:3.11-slim-bookworm  external\n"
        "└── pipeline-cpu-base  docker/base/cpu/Dockerfile\n"
        "    ├── pipeline-align  docker/stages/align/Dockerfile  heavy: torch==2.2.2, torchaudio==2.2.2 (line 14)\n"
        "    └── pipeline-ingest  docker/stages/ingest/Dockerfile\n"
        "nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04  external\n"
        "└── pipeline-cuda-base  docker/base/cuda/Dockerfile\n"
        "    └── pipeline-ml-base  docker/base/ml/Dockerfile  heavy: torch==2.2.2, torchaudio==2.2.2 (requirements/ml.txt)\n"
        "        ├── pipeline-asr  docker/stages/asr/Dockerfile  heavy: torch==2.1.0, torchaudio==2.1.0 (line 13)\n"
        "        ├── pipeline-diarize  docker/stages/diarize/Dockerfile\n"
        "        ├── pipeline-export  docker/stages/export/Dockerfile\n"
        "        ├── pipeline-summarize  docker/stages/summarize/Dockerfile  also from: wheel-builder\n"
        "        └── pipeline-train  docker/stages/train/Dockerfile  also from: ghcr.io/astral-sh/uv:latest"
    )
    order = lines[lines.index("Build order") + 1 :]
    assert order[0] == " 1. pipeline-cpu-base   docker/base/cpu/Dockerfile"
    assert [line.split()[1] for line in order][:3] == ["pipeline-cpu-base", "pipeline-cuda-base", "pipeline-ml-base"]
    assert len(order) == 10


def test_tree_shows_cycles() -> None:
    code, out, _ = _run(REPOS / "cycle", "tree")
    assert code == 0
    assert "cycle: a -> b (a/Dockerfile, b/Dockerfile)" in out
    assert "(built on a cycle)" in out


def test_mermaid() -> None:
    _, out, _ = _run(REPOS / "baked", "mermaid")
    lines = out.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    x1["ghcr.io/astral-sh/uv:0.4.0"]:::external' in lines
    assert '    n1["<b>cuda</b><br/>docker/cuda.Dockerfile<br/>jax==0.4.30"]' in lines
    ids = {m.group(2): m.group(1) for m in re.finditer(r"^    (n\d+)\[\"<b>([^<]+)</b>", out, re.MULTILINE)}
    assert f"    {ids['cuda']} --> {ids['trainer']}" in lines
    assert "    x1 -.-> " + ids["trainer"] in lines  # COPY --from: dotted
    assert lines[-1] == "    classDef external stroke-dasharray: 4 4"
    _, out, _ = _run(REPOS / "bakejson", "mermaid")
    assert "tensorflow#gt;=2.16" in out  # < > " & are escaped


def test_dot() -> None:
    _, out, _ = _run(REPOS / "baked", "dot")
    assert out.startswith("digraph images {\n")
    assert out.endswith("}\n")
    assert '  "image:cuda" -> "image:trainer";' in out
    assert '  "ext:ghcr.io/astral-sh/uv:0.4.0" -> "image:trainer" [style=dashed];' in out
    assert '  "image:server" [label="server\\ndocker/server.Dockerfile\\nvllm==0.5.0"];' in out


def test_json_follows_the_documented_schema() -> None:
    _, out, _ = _run(EXAMPLE, "json")
    data = json.loads(out)
    assert data["tool"] == "dockopt"
    assert data["build_order"][:3] == ["pipeline-cpu-base", "pipeline-cuda-base", "pipeline-ml-base"]
    assert {"base": "pipeline-ml-base", "image": "pipeline-asr"} in data["edges"]
    ml = next(image for image in data["images"] if image["name"] == "pipeline-ml-base")
    assert ml["heavy_packages"][0] == {
        "name": "torch",
        "specifier": "==2.2.2",
        "manager": "pip",
        "file": "docker/base/ml/Dockerfile",
        "line": 10,
        "requirement": "requirements/ml.txt:3",
    }
    asr_builds = [b for b in data["builds"] if b["image"] == "pipeline-asr"]
    assert [(b["file"], b["line"], b["order"]) for b in asr_builds] == [
        ("docker-compose.yml", 23, 1),
        ("scripts/build_all.sh", 19, 5),
    ]
    assert data["rewrites"][0]["files"][0] == "docker/stages/align/Dockerfile"
    # every key the output has is documented
    documented = set(re.findall(r"`([a-z_]+)(?:\[\])?`", DOCS.read_text()))
    keys: set[str] = set(data)
    for section in ("images", "builds", "rewrites", "cycles", "external_bases", "edges"):
        for item in data[section]:
            keys |= set(item)
    for image in data["images"]:
        for section in ("bases", "heavy_packages", "declared_in"):
            for item in image[section]:
                keys |= set(item)
    keys |= {"file", "line", "message"}
    assert keys <= documented, keys - documented


def test_bake() -> None:
    _, out, _ = _run(EXAMPLE, "bake")
    data = json.loads(out)
    targets = data["target"]
    assert data["group"]["default"]["targets"] == list(targets)
    assert list(targets)[:3] == ["pipeline-cpu-base", "pipeline-cuda-base", "pipeline-ml-base"]
    assert targets["pipeline-ml-base"] == {
        "context": ".",
        "dockerfile": "docker/base/ml/Dockerfile",
        "tags": ["localhost:5000/pipeline-ml-base:2024.06"],
        "args": {"REGISTRY": "localhost:5000", "BASE_TAG": "2024.06"},
        "contexts": {"localhost:5000/pipeline-cuda-base:2024.06": "target:pipeline-cuda-base"},
    }
    assert "contexts" not in targets["pipeline-cpu-base"]
    assert "GIT_SHA" not in targets["pipeline-train"]["args"]  # unknown values are left to the Dockerfile
    _, out, _ = _run(REPOS / "baked", "bake")
    targets = json.loads(out)["target"]
    assert targets["server"]["target"] == "prod"
    assert targets["server"]["tags"] == ["ghcr.io/acme/server:2.0"]
    assert targets["sidecar"] == {
        "context": "sidecar",
        "dockerfile": "Containerfile",
        "contexts": {"app": "target:acme-notebook"},
    }


def test_bake_file_is_read_back(tmp_path: Path) -> None:
    """A written docker-bake.json, read by dockopt again, gives the same graph."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for path in (REPOS / "scripted").rglob("*"):
        if path.is_file():
            target = repo / path.relative_to(REPOS / "scripted")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    before = _run(repo, "json")[1]
    code = run_graph(GraphOptions(str(repo), "bake", str(repo / "docker-bake.json")), io.StringIO(), io.StringIO())
    assert code == 0
    (repo / "build.sh").unlink()
    after = json.loads(_run(repo, "json")[1])
    assert after["build_order"] == json.loads(before)["build_order"]
    assert {i["name"]: i["parents"] for i in after["images"]} == {
        i["name"]: i["parents"] for i in json.loads(before)["images"]
    }


def test_output_file_paths_are_relative_to_it(tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "docker-bake.json"
    out.parent.mkdir()
    run_graph(GraphOptions(str(REPOS / "bakejson"), "bake", str(out)), io.StringIO(), io.StringIO())
    targets = json.loads(out.read_text())["target"]
    context = Path(out.parent, targets["base"]["context"]).resolve()
    assert context == (REPOS / "bakejson" / "base").resolve()
    assert targets["base"]["dockerfile"] == "Dockerfile"


def test_problems_and_exit_code() -> None:
    code, out, err = _run(REPOS / "broken", "tree")
    assert code == 2
    root = (REPOS / "broken").as_posix()
    lines = err.splitlines()
    assert lines[0] == f"dockopt: error: {root}/docker-bake.hcl:4: expected ',', found '}}'"
    # the wording is libyaml's or PyYAML's, whichever is installed
    assert lines[1].startswith(f"dockopt: error: {root}/docker-compose.yml:5: invalid YAML: ")
    assert lines[2:] == [
        f"dockopt: error: {root}/bad/Dockerfile:2: unknown instruction 'FOO'",
        f"dockopt: warning: {root}/build.sh:3: missing/Dockerfile: no such Dockerfile",
    ]
    assert "ok  ok/Dockerfile" in out  # the rest is still drawn
    _, out, _ = _run(REPOS / "broken", "json")
    assert [e["line"] for e in json.loads(out)["errors"]] == [4, 5, 2]


@pytest.mark.parametrize("fmt", ["tree", "mermaid", "dot", "json", "bake"])
def test_cli(fmt: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["graph", str(REPOS / "bakejson"), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "base" in result.output
    written = tmp_path / f"graph.{fmt}"
    result = runner.invoke(main, ["graph", str(REPOS / "bakejson"), "--format", fmt, "-o", str(written)])
    assert (result.exit_code, result.output) == (0, "")
    assert "base" in written.read_text()


def test_cli_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["graph", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "not a directory" in result.output
    result = runner.invoke(main, ["graph", str(tmp_path), "--format", "svg"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["graph", str(tmp_path)])
    assert result.exit_code == 0
    assert "0 images, 0 external bases" in result.output
