"""DO101's fix when the build context is on disk: the manifests it copies must be there, includes come along."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.trees import write_tree
from dockopt.config import Config
from dockopt.fix import fix_text

DO101 = Config(select=("DO101",))


def _fix(root: Path, dockerfile: str, files: dict[str, str]) -> str:
    write_tree(root, files)
    path = root / "Dockerfile"
    path.write_text(dockerfile, encoding="utf-8")
    return fix_text(dockerfile, DO101, unsafe=True, display_path=str(path)).text


PIP = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"


def test_included_requirement_files_are_copied_too(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "-r requirements/base.txt\n-c constraints.txt  # pins\nflask==3.0.3\n",
        "requirements/base.txt": "--requirement common.txt\n",
        "requirements/common.txt": "six==1.16.0\n",
        "constraints.txt": "six==1.16.0\n",
    }
    assert _fix(tmp_path, PIP, files) == (
        "FROM python:3.11-slim\nWORKDIR /app\n"
        "COPY requirements.txt constraints.txt ./\n"
        "COPY requirements/base.txt requirements/common.txt ./requirements/\n"
        "RUN pip install -r requirements.txt\n"
        "COPY . .\n"
    )


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": "-e .\n"},  # the project itself: the install needs the code
        {"requirements.txt": "./vendor/lib\n"},
        {"requirements.txt": "-r missing.txt\n"},
        {"other.txt": "six\n"},  # the file the install names is not in the context
    ],
    ids=["editable-project", "local-path", "missing-include", "missing-file"],
)
def test_no_fix_when_the_install_needs_more_of_the_context(tmp_path: Path, files: dict[str, str]) -> None:
    assert _fix(tmp_path, PIP, files) == PIP


def test_project_install_gets_its_lock_installed_first(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.11-slim\nWORKDIR /src\nCOPY . .\nRUN pip install --no-cache-dir -e .\n"
    files = {"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n', "requirements.lock": "six==1.16.0\n"}
    assert _fix(tmp_path, dockerfile, files) == (
        "FROM python:3.11-slim\nWORKDIR /src\n"
        "COPY requirements.lock ./\n"
        "RUN pip install --no-cache-dir -r requirements.lock\n"
        "COPY . .\n"
        "RUN pip install --no-cache-dir -e .\n"
    )


def test_project_install_without_a_lock_gets_no_fix(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.11-slim\nWORKDIR /src\nCOPY . .\nRUN pip install .\n"
    files = {"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'}
    assert _fix(tmp_path, dockerfile, files) == dockerfile


def test_uv_sync_takes_python_version_along_and_refuses_path_sources(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen\n"
    files = {"pyproject.toml": '[project]\nname = "x"\n', "uv.lock": "version = 1\n", ".python-version": "3.11\n"}
    assert _fix(tmp_path, dockerfile, files) == (
        "FROM python:3.11-slim\nWORKDIR /app\n"
        "COPY pyproject.toml uv.lock .python-version ./\n"
        "RUN uv sync --frozen --no-install-project\n"
        "COPY . .\n"
        "RUN uv sync --frozen\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.uv.sources]\nlib = { path = "lib" }\n', encoding="utf-8")
    assert fix_text(dockerfile, DO101, unsafe=True, display_path=str(tmp_path / "Dockerfile")).text == dockerfile
