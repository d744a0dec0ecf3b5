"""`dockopt init` without an engine: reading projects, finding entry points, rendering, writing.

Digests come from a stand-in pinner (the engine lookup itself is DO301's, tested with the fix);
the generated files are checked with dockopt's own lint, graph and context analysis.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corpus.trees import write_tree
from dockopt.cli import main
from dockopt.commands import init as init_command
from dockopt.commands.init import InitOptions, run_init
from dockopt.commands.verify import VerifyOptions, run_verify
from dockopt.errors import ConfigError, UsageError
from dockopt.repo.context import analyze_context
from dockopt.repo.dockerignore import IgnoreMatcher, read_ignore_file
from dockopt.repo.graph import build_graph
from dockopt.scaffold import PinnedImage, parse_variants, plan_setup
from dockopt.scaffold.entrypoint import find_entry
from dockopt.scaffold.project import read_project

DIGEST = "sha256:" + "0123456789abcdef" * 4


def unpinned(tag: str) -> PinnedImage:
    return PinnedImage(tag, None, "the test engine has no digests")


def pinned(tag: str) -> PinnedImage:
    return PinnedImage(tag, DIGEST)


FASTAPI_APP = {
    "requirements.txt": "fastapi==0.115.0\nuvicorn==0.30.6\n",
    "app/__init__.py": "",
    "app/main.py": 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/healthz")\ndef ok():\n    return {}\n',
}
CLI_TOOL = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "Tool_Box"\nversion = "1.0"\ndependencies = ["click==8.1.7"]\n\n'
        '[project.optional-dependencies]\nyaml = ["PyYAML>=6"]\n\n'
        '[project.scripts]\ntoolbox = "tool_box.cli:main"\nother = "tool_box.cli:other"\n'
    ),
    "src/tool_box/__init__.py": "",
    "src/tool_box/cli.py": "def main():\n    pass\n",
}


def setup_files(root: Path, variants: str = "cpu", **kwargs: object) -> dict[str, str]:
    return plan_setup(root, parse_variants(variants), "3.11", unpinned, **kwargs).files  # type: ignore[arg-type]


# -- reading the project -------------------------------------------------------------------------


def test_pep621_project_dependencies_extras_scripts_and_backend(tmp_path: Path) -> None:
    project = read_project(write_tree(tmp_path, CLI_TOOL))
    assert project.name == "tool_box"
    assert project.version == "1.0"
    assert project.manager == "pip"
    assert project.build_backend == "hatchling.build"
    assert project.installable
    assert [r.name for r in project.dependencies] == ["click"]
    assert project.optional_dependencies == {"yaml": ("PyYAML>=6",)}
    assert project.scripts == {"toolbox": "tool_box.cli:main", "other": "tool_box.cli:other"}
    assert project.pyproject_dependencies


def test_poetry_project_reads_tool_poetry_and_the_lock(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                'torch = "^2.2"\nrequests = "2.32.3"\n\n[tool.poetry.scripts]\nsvc = "svc.main:run"\n\n'
                '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
            ),
            "poetry.lock": '[[package]]\nname = "torch"\nversion = "2.2.2"\n\n[[package]]\nname = "requests"\nversion = "2.32.3"\n',
        },
    )
    project = read_project(tmp_path)
    assert project.manager == "poetry"
    assert project.lock_file == "poetry.lock"
    assert [(r.name, r.specifier) for r in project.dependencies] == [("torch", ""), ("requests", "==2.32.3")]
    assert project.scripts == {"svc": "svc.main:run"}
    assert project.frameworks == ("torch",)
    assert [(h.name, h.specifier) for h in project.torch] == [("torch", "==2.2.2")]  # the locked version


def test_uv_lock_makes_a_uv_project_with_locked_versions(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "job"\nversion = "1"\ndependencies = ["jax>=0.4", "idna"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "jax"\nversion = "0.4.30"\n',
            ".python-version": "3.11\n",
        },
    )
    project = read_project(tmp_path)
    assert (project.manager, project.lock_file, project.installable) == ("uv", "uv.lock", False)
    assert project.locked_versions == {"jax": "0.4.30"}
    assert project.frameworks == ("jax",)
    assert project.python_version_file


def test_requirements_includes_are_copied_and_constraints_not_read_as_dependencies(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "# app\n-r requirements/base.txt\n-c constraints.txt\ntensorflow==2.16.1 \\\n  --hash=sha256:00\n",
            "requirements/base.txt": "six==1.16.0\n",
            "constraints.txt": "numpy==1.26.4\n",
            "requirements-dev.txt": "pytest\n",
            "main.py": 'if __name__ == "__main__":\n    pass\n',
        },
    )
    project = read_project(tmp_path)
    assert project.requirements == ("requirements.txt", "requirements/base.txt", "constraints.txt")
    assert sorted(r.name for r in project.dependencies) == ["six", "tensorflow"]
    assert project.frameworks == ("tensorflow",)


def test_bad_pyproject_names_the_file_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "a",\n  oops\n]\n'})
    with pytest.raises(ConfigError, match=r"pyproject\.toml:5:\d+: not valid TOML"):
        read_project(tmp_path)


def test_bad_pyproject_exits_2_without_writing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[project\nname = 1\n", "main.py": 'if __name__ == "__main__": pass\n'})
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'pyproject.toml'}:1:" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.py", "pyproject.toml"]


def test_wrong_types_and_unreadable_requirements_are_errors_with_their_place(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = "flask"\n'})
    with pytest.raises(ConfigError, match=r"`project.dependencies` must be a list of strings"):
        read_project(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "requirements.txt": "flask\nnot a requirement!\n"})
    with pytest.raises(ConfigError, match=r"requirements\.txt:2: not a requirement"):
        read_project(tmp_path)


# -- entry points --------------------------------------------------------------------------------


def test_fastapi_app_is_served_by_uvicorn_with_its_health_route(tmp_path: Path) -> None:
    entry = find_entry(read_project(write_tree(tmp_path, FASTAPI_APP)))
    assert entry.argv == ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000")
    assert (entry.port, entry.health_path, entry.health_route_found) == (8000, "/healthz", True)
    assert entry.needs_source and not entry.takes_arguments


def test_flask_without_a_wsgi_server_runs_flask_and_says_so(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "flask\n", "server.py": "import flask\napp = flask.Flask(__name__)\n"})
    entry = find_entry(read_project(tmp_path), port=5000)
    assert entry.argv == ("flask", "--app", "server:app", "run", "--host", "0.0.0.0", "--port", "5000")
    assert any("gunicorn" in note for note in entry.notes)
    write_tree(tmp_path, {"requirements.txt": "flask\ngunicorn\n"})
    assert find_entry(read_project(tmp_path)).argv == ("gunicorn", "--bind", "0.0.0.0:8000", "server:app")


def test_console_script_of_an_installable_project(tmp_path: Path) -> None:
    entry = find_entry(read_project(write_tree(tmp_path, CLI_TOOL)))
    assert entry.argv == ("toolbox",)
    assert entry.takes_arguments and not entry.needs_source and entry.port is None
    assert entry.notes == ("other console scripts: other (run them with --entrypoint)",)


def test_main_package_under_src_without_build_system_gets_pythonpath(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "six\n",
            "src/job/__init__.py": "",
            "src/job/__main__.py": 'import sys\nif sys.argv[1:] == ["/health"]:\n    pass\n',
        },
    )
    entry = find_entry(read_project(tmp_path), port=9000)
    assert entry.argv == ("python", "-m", "job")
    assert (entry.needs_source, entry.python_path) == (True, "src")
    assert (entry.port, entry.health_path) == (9000, "/health")


def test_top_level_script_and_given_modules(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "six\n", "worker.py": 'if __name__ == "__main__":\n    pass\n'})
    project = read_project(tmp_path)
    assert find_entry(project).argv == ("python", "worker.py")
    assert find_entry(project, "worker").argv == ("python", "-m", "worker")
    served = find_entry(project, "web.api:application", 8080)
    assert served.argv[:2] == ("uvicorn", "web.api:application")
    with pytest.raises(UsageError, match="expected MODULE or MODULE:APP"):
        find_entry(project, "web/api.py")


def test_no_entry_point_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "six\n", "lib.py": "X = 1\n"})
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "no entry point found" in result.output and "--app-module" in result.output


# -- variants and files --------------------------------------------------------------------------


def test_one_variant_is_a_dockerfile_several_are_docker_dockerfile_variant(tmp_path: Path) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    assert sorted(setup_files(tmp_path)) == [
        ".dockerignore",
        ".github/workflows/docker.yml",
        "Dockerfile",
        "docker-bake.hcl",
        "docker/versions.txt",
    ]
    files = setup_files(tmp_path, "rocm,cpu,cpu")
    assert [p for p in files if "Dockerfile" in p] == ["docker/Dockerfile.cpu", "docker/Dockerfile.rocm"]
    with pytest.raises(UsageError, match="unknown variant tpu"):
        parse_variants("cpu,tpu")


def test_torch_comes_from_the_wheel_index_of_each_variant(tmp_path: Path) -> None:
    write_tree(tmp_path, {**FASTAPI_APP, "requirements.txt": "torch==2.3.1\ntorchaudio==2.3.1\nfastapi\nuvicorn\n"})
    files = setup_files(tmp_path, "cpu,cuda,rocm")
    expected = {
        "cpu": ("https://download.pytorch.org/whl/cpu", "FROM python:3.11-slim AS runtime"),
        "cuda": ("https://download.pytorch.org/whl/cu124", "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS runtime"),
        "rocm": ("https://download.pytorch.org/whl/rocm6.2", "FROM rocm/dev-ubuntu-22.04:6.2.4 AS runtime"),
    }
    assert files["docker/requirements-torch.txt"].splitlines()[-2:] == ["torch==2.3.1", "torchaudio==2.3.1"]
    for variant, (index, base) in expected.items():
        text = files[f"docker/Dockerfile.{variant}"]
        assert f"pip install --index-url {index} -r docker/requirements-torch.txt" in text
        assert base in text
        assert text.index("--index-url") < text.index("pip install -r requirements.txt")  # torch first
        assert all(other[0] not in text for name, other in expected.items() if name != variant)
    # the GPU bases have no Python of ours: a standalone one is installed and copied
    assert "uv python install 3.11" in files["docker/Dockerfile.cuda"]
    assert "COPY --from=builder /opt/python /opt/python" in files["docker/Dockerfile.rocm"]
    assert "uv python install" not in files["docker/Dockerfile.cpu"]


def test_a_torch_project_lints_clean_and_scores_100_with_known_digests(tmp_path: Path) -> None:
    write_tree(tmp_path, {**FASTAPI_APP, "requirements.txt": "torch==2.3.1\nfastapi==0.115.0\nuvicorn==0.30.6\n"})
    run_init(InitOptions(str(tmp_path)), open(os.devnull, "w"), pinned)  # noqa: SIM115
    matcher = IgnoreMatcher(read_ignore_file(tmp_path / ".dockerignore").patterns)
    assert not matcher.excluded("docker/requirements-torch.txt")  # the Dockerfile copies it
    findings = json.loads(CliRunner().invoke(main, ["lint", "--format", "json", str(tmp_path)]).output)["findings"]
    assert findings == []
    buffer = io.StringIO()
    run_verify(VerifyOptions(str(tmp_path), output_format="json"), buffer)
    report = json.loads(buffer.getvalue())
    assert report["score"] == 100.0, report["gaps"]


def test_no_torch_no_wheel_index(tmp_path: Path) -> None:
    files = setup_files(write_tree(tmp_path, FASTAPI_APP), "cpu,cuda")
    assert all("download.pytorch.org" not in text for text in files.values())


def test_uv_and_poetry_projects_with_torch(tmp_path: Path) -> None:
    uv = write_tree(
        tmp_path / "uv",
        {
            "pyproject.toml": '[project]\nname = "m"\nversion = "1"\ndependencies = ["torch>=2"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "torch"\nversion = "2.4.0"\n',
            "m.py": 'if __name__ == "__main__": pass\n',
        },
    )
    text = setup_files(uv)["Dockerfile"]
    assert "uv pip install --index-url https://download.pytorch.org/whl/cpu -r docker/requirements-torch.txt" in text
    assert setup_files(uv)["docker/requirements-torch.txt"].endswith("\ntorch==2.4.0\n")  # the locked version
    assert "uv sync --frozen --no-dev --no-install-project --inexact --no-install-package torch" in text
    poetry = write_tree(
        tmp_path / "poetry",
        {
            "pyproject.toml": '[tool.poetry]\nname = "p"\nversion = "1"\n\n[tool.poetry.dependencies]\ntorch = "2.4.0"\n',
            "poetry.lock": '[[package]]\nname = "torch"\nversion = "2.4.0"\n',
            "p.py": 'if __name__ == "__main__": pass\n',
        },
    )
    files = setup_files(poetry)
    text = files["Dockerfile"]
    assert "docker/requirements-torch.txt" not in files
    assert "--index-url" not in text  # Poetry takes torch from its lock: the comment says how to set the source
    assert 'priority = "explicit"' in text.replace("\n# ", " ")


def test_builder_and_runtime_blocks(tmp_path: Path) -> None:
    text = setup_files(write_tree(tmp_path, FASTAPI_APP))["Dockerfile"]
    lines = text.splitlines()
    # manifests before the install, the code after it; cache mount on pip's cache
    assert lines.index("COPY requirements.txt ./") < lines.index("    pip install -r requirements.txt")
    assert "RUN --mount=type=cache,target=/root/.cache/pip \\" in lines
    assert "RUN python -m venv --without-pip /opt/venv" in lines and "    PIP_PYTHON=/opt/venv/bin/python" in lines
    assert "groupadd --system --gid 10001 app" in text and "useradd --system --uid 10001 --gid app" in text
    assert lines.index("USER app") > lines.index("COPY --from=builder /opt/venv /opt/venv")
    assert "ENV PYTHONUNBUFFERED=1 \\" in lines and "    PYTHONDONTWRITEBYTECODE=1 \\" in lines
    assert lines[-1] == 'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]'
    healthcheck = next(line for line in lines if line.startswith("    CMD ["))
    assert "urllib.request.urlopen('http://127.0.0.1:8000/healthz'" in healthcheck
    assert json.loads(healthcheck.removeprefix("    CMD "))[:2] == ["python", "-c"]


def test_no_port_no_healthcheck_and_entrypoint_for_a_cli(tmp_path: Path) -> None:
    files = setup_files(write_tree(tmp_path, CLI_TOOL))
    text = files["Dockerfile"]
    assert "HEALTHCHECK" not in text and "EXPOSE" not in text
    assert text.splitlines()[-1] == 'ENTRYPOINT ["toolbox"]'
    assert "pip install --no-deps ." in text  # the project itself, after its dependencies
    assert "`.[NAME]`" in text.replace("\n# ", " ")  # the extras it does not install, and how to
    assert "COPY . .\n" in text.split("AS runtime")[0]  # the source only in the builder
    assert "COPY . ." not in text.split("AS runtime")[1]


def test_every_generated_line_is_explained(tmp_path: Path) -> None:
    files = setup_files(write_tree(tmp_path, FASTAPI_APP), "cpu,cuda")
    for name in ("docker/Dockerfile.cpu", "docker/Dockerfile.cuda"):
        lines = files[name].splitlines()
        for number, line in enumerate(lines):
            if line.startswith(("FROM", "RUN", "COPY", "ENV", "HEALTHCHECK", "CMD", "ENTRYPOINT")):
                above = lines[max(0, number - 12) : number]
                assert any(a.startswith("#") for a in above), f"{name}:{number + 1} has no comment near: {line}"


# -- digests -------------------------------------------------------------------------------------


def test_known_digest_is_pinned_unknown_is_explained_and_lint_stays_quiet(tmp_path: Path) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    text = plan_setup(tmp_path, parse_variants("cpu"), "3.11", pinned).files["Dockerfile"]
    assert f"FROM python:3.11-slim@{DIGEST} AS builder" in text
    assert "dockopt: ignore=DO301" not in text
    text = setup_files(tmp_path)["Dockerfile"]
    assert "FROM python:3.11-slim AS builder" in text
    assert "Not pinned by digest: the test engine has no digests" in text.replace("\n# ", " ")
    assert "# dockopt: ignore=DO301\nFROM python:3.11-slim AS builder" in text
    for pin in (pinned, unpinned):
        run_init(InitOptions(str(tmp_path), force=True), stream=open(os.devnull, "w"), pin=pin)  # noqa: SIM115
        result = CliRunner().invoke(main, ["lint", "--format", "json", str(tmp_path)])
        findings = json.loads(result.output)["findings"]
        assert [f for f in findings if f["severity"] in ("warning", "error")] == [], findings


def test_versions_file_lists_what_the_files_pin(tmp_path: Path) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    text = plan_setup(tmp_path, parse_variants("cpu,cuda"), "3.11", pinned).files["docker/versions.txt"]
    for line in (
        "PYTHON_VERSION=3.11",
        "CUDA_VERSION=12.4.1",
        "UV_VERSION=0.13.9",
        "FASTAPI_VERSION=0.115.0",
        "UVICORN_VERSION=0.30.6",
        f"PYTHON_IMAGE=python:3.11-slim@{DIGEST}",
        f"CUDA_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04@{DIGEST}",
    ):
        assert line in text.splitlines()


def test_base_image_replaces_the_cpu_base_and_is_pinned_by_its_own_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    mirror = "registry.example.com:5000/mirror/python:3.11-slim"
    asked: list[str] = []

    def pin(tag: str) -> PinnedImage:
        asked.append(tag)
        return PinnedImage(tag, DIGEST)

    monkeypatch.setattr(init_command, "local_pinner", lambda: pin)
    result = CliRunner().invoke(main, ["init", "--variants", "cpu,cuda", "--base-image", mirror, str(tmp_path)])
    assert result.exit_code == 0, result.output
    cpu = (tmp_path / "docker/Dockerfile.cpu").read_text()
    assert f"FROM {mirror}@{DIGEST} AS builder" in cpu and f"FROM {mirror}@{DIGEST} AS runtime" in cpu
    assert "python:3.11-slim AS" not in cpu and "dockopt: ignore" not in cpu
    assert "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04@" in (tmp_path / "docker/Dockerfile.cuda").read_text()
    assert "python:3.11-slim" not in asked  # the mirror's digest, not Docker Hub's
    assert f"PYTHON_IMAGE={mirror}@{DIGEST}" in (tmp_path / "docker/versions.txt").read_text().splitlines()
    findings = json.loads(CliRunner().invoke(main, ["lint", "--format", "json", str(tmp_path)]).output)["findings"]
    assert findings == []


@pytest.mark.parametrize(
    ("variants", "image", "message"),
    [
        ("cuda", "mirror.example.com/python:3.11-slim", "--variants has no cpu"),
        ("cpu", "mirror.example.com/python", "expected an image with a tag other than latest"),
        ("cpu", "mirror.example.com/python:latest", "expected an image with a tag other than latest"),
        ("cpu", f"mirror.example.com/python:3.11-slim@{DIGEST}", "name the tag without a digest"),
        ("cpu", "Mirror Python:3.11", "expected an image with a tag"),
    ],
)
def test_bad_base_image_is_a_usage_error_and_nothing_is_written(
    tmp_path: Path, variants: str, image: str, message: str
) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    result = CliRunner().invoke(main, ["init", "--variants", variants, "--base-image", image, str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "Dockerfile").exists() and not (tmp_path / "docker").exists()


# -- writing -------------------------------------------------------------------------------------


def test_existing_files_are_reported_and_nothing_is_written(tmp_path: Path) -> None:
    write_tree(tmp_path, {**FASTAPI_APP, "Dockerfile": "FROM scratch\n", ".dockerignore": "*.log\n"})
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "would overwrite .dockerignore, Dockerfile" in result.output and "nothing was written" in result.output
    assert (tmp_path / "Dockerfile").read_text() == "FROM scratch\n"
    assert not (tmp_path / "docker-bake.hcl").exists() and not (tmp_path / ".github").exists()


def test_force_replaces_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {**FASTAPI_APP, "Dockerfile": "FROM scratch\n"})
    (tmp_path / "Dockerfile").chmod(0o640)
    monkeypatch.setattr(init_command, "local_pinner", lambda: unpinned)
    result = CliRunner().invoke(main, ["init", "--force", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"replaced {tmp_path / 'Dockerfile'}" in result.output
    assert f"wrote {tmp_path / 'docker-bake.hcl'}" in result.output
    assert "runs:    the FastAPI app `app` in app/main.py, served by uvicorn, port 8000" in result.output
    assert (tmp_path / "Dockerfile").read_text().startswith("# Dockerfile: the cpu image of ")
    assert (tmp_path / "Dockerfile").stat().st_mode & 0o777 == 0o640  # the replaced file's mode is kept
    assert not list(tmp_path.rglob("*.dockopt-tmp"))


def test_a_failure_while_writing_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    calls = []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        run_init(InitOptions(str(tmp_path)), stream=open(os.devnull, "w"), pin=unpinned)  # noqa: SIM115
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert after == [p for p in before if (tmp_path / p).is_file()]


# -- .dockerignore, bake, workflow ---------------------------------------------------------------


def test_dockerignore_excludes_what_the_tree_has_and_keeps_what_is_copied(tmp_path: Path) -> None:
    write_tree(tmp_path, FASTAPI_APP)
    write_tree(
        tmp_path,
        {
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".venv/lib/python3.11/site-packages/big.py": "x" * 5000,
            "env2/pyvenv.cfg": "home = /usr/bin\n",
            "web/node_modules/react/index.js": "x",
            "dist/app-1.0.whl": "x",
            "app.egg-info/PKG-INFO": "x",
            "models/classifier.safetensors": "x" * 2048,
            "app/weights/head.pt": "x" * 1024,
            "data/train.csv": "x" * (1 << 20),
            "app/data/labels.json": "{}",  # small: may be configuration, kept
            "app/__pycache__/main.cpython-311.pyc": "x",
            ".env": "TOKEN=1\n",
            "config/.env.production": "TOKEN=2\n",
            ".env.example": "TOKEN=\n",
            "deploy/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            ".git/HEAD": "ref: refs/heads/main\n",
        },
    )
    run_init(InitOptions(str(tmp_path)), stream=open(os.devnull, "w"), pin=unpinned)  # noqa: SIM115
    matcher = IgnoreMatcher(read_ignore_file(tmp_path / ".dockerignore").patterns)
    for excluded in (
        ".venv",
        "env2",
        "web/node_modules",
        "dist",
        "app.egg-info",
        "models/classifier.safetensors",
        "app/weights/head.pt",
        "data",
        "app/__pycache__",
        ".env",
        "config/.env.production",
        "deploy/id_ed25519",
        ".git",
        ".github",
        "docker-bake.hcl",
        "docker/versions.txt",
        "Dockerfile",  # the engine reads it all the same
    ):
        assert matcher.excluded(excluded), excluded
    for kept in ("requirements.txt", "app/main.py", "app/data/labels.json", ".env.example"):
        assert not matcher.excluded(kept), kept
    report = analyze_context(tmp_path, tmp_path / "Dockerfile")
    assert report.heavy == ()
    assert report.secrets_sent == ()
    # `data` names the large data directory at the root; the small app/data deeper down is kept on purpose
    assert [(g.pattern.text, g.examples, g.suggested) for g in report.pattern_gaps] == [("data", ("app/data",), False)]
    assert [s.path for s in report.sources] == ["requirements.txt", ""]  # the manifest, then the whole context


def test_bake_file_has_a_target_per_variant(tmp_path: Path) -> None:
    run_init(InitOptions(str(write_tree(tmp_path, FASTAPI_APP)), variants="cpu,cuda"), open(os.devnull, "w"), unpinned)  # noqa: SIM115
    graph = build_graph(tmp_path)
    assert {name: image.dockerfile for name, image in graph.images.items()} == {
        "cpu": "docker/Dockerfile.cpu",
        "cuda": "docker/Dockerfile.cuda",
    }
    assert {image.target for image in graph.images.values()} == {"runtime"}
    assert not graph.errors


def test_workflow_lints_to_sarif_builds_with_gha_cache_per_variant_and_scans(tmp_path: Path) -> None:
    setup = plan_setup(write_tree(tmp_path, FASTAPI_APP), parse_variants("cpu,rocm"), "3.11", unpinned)
    workflow = yaml.safe_load(setup.files[".github/workflows/docker.yml"])
    name = setup.project.name
    lint_steps = workflow["jobs"]["lint"]["steps"]
    assert any(s.get("run") == "dockopt lint --format sarif -o dockopt.sarif ." for s in lint_steps)
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in lint_steps)
    build = workflow["jobs"]["build"]
    assert build["strategy"]["matrix"]["include"] == [
        {"variant": "cpu", "dockerfile": "docker/Dockerfile.cpu"},
        {"variant": "rocm", "dockerfile": "docker/Dockerfile.rocm"},
    ]
    by_name = {s.get("name"): s for s in build["steps"]}
    options = by_name["Build"]["with"]
    assert options["cache-from"] == f"type=gha,scope={name}-${{{{ matrix.variant }}}}"
    assert options["cache-to"] == f"type=gha,mode=max,scope={name}-${{{{ matrix.variant }}}}"
    assert by_name["Scan the image"]["uses"].startswith("aquasecurity/trivy-action@")
    assert by_name["Scan the image"]["with"]["image-ref"] == options["tags"]
