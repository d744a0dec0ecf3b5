""".pre-commit-hooks.yaml: the hooks run dockopt's own commands, and their `files`/`exclude` patterns pick
exactly the files `dockopt lint DIR` treats as Dockerfiles (dockopt.repo.discovery.is_dockerfile_name),
applied the way pre-commit applies them (re.search on the path relative to the repository root)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from dockopt.cli import main
from dockopt.repo.discovery import is_dockerfile_name

HOOKS_FILE = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"

NAMES = [
    "Dockerfile", "Containerfile", "dockerfile", "Dockerfile.gpu", "Dockerfile.cpu.base", "Containerfile.rocm",
    "api.Dockerfile", "api.dockerfile", "base.Containerfile", ".Dockerfile", "Dockerfile.",
    "Dockerfile.dockerignore", "Dockerfile.md", "api.Dockerfile.orig", "Dockerfile.rej", "Dockerfile.swp",
    "Dockerfile.bak", "Dockerfile~", "api.Dockerfile~", "Dockerfile.gpu.bak",
    "dockerfile.dev", "DOCKERFILE", "containerfile", "MyDockerfile", "Dockerfiles", "Dockerfile-dev",
    "api.containerfile", "docker-compose.yml", "README.md", "requirements.txt", ".dockerignore", "Dockerfilex",
]  # fmt: skip
DIRECTORIES = ["", "docker/", "docker/asr/", "Dockerfile.d/", "api.Dockerfile/", "services/Containerfile/"]


def _hooks() -> dict[str, dict[str, object]]:
    hooks = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return {hook["id"]: hook for hook in hooks}


def _selected(hook: dict[str, object], path: str) -> bool:
    """pre-commit's filter: `files` found in the path (default: everything) and `exclude` not (default '^$')."""
    files, exclude = str(hook.get("files", "")), str(hook.get("exclude", "^$"))
    return bool(re.search(files, path)) and not re.search(exclude, path)


def test_the_hooks_run_dockopt_commands() -> None:
    hooks = _hooks()
    assert set(hooks) == {"dockopt-lint", "dockopt-fix"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["language"] == "python"
    assert hooks["dockopt-lint"]["entry"] == "dockopt lint"
    assert hooks["dockopt-fix"]["entry"] == "dockopt fix --write"
    for hook in hooks.values():  # the entry parses as a dockopt command line (pre-commit appends the files)
        command = shlex.split(str(hook["entry"]))
        assert command[0] == "dockopt"
        result = CliRunner().invoke(main, [*command[1:], "--help"])
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("hook_id", ["dockopt-lint", "dockopt-fix"])
@pytest.mark.parametrize("directory", DIRECTORIES)
def test_files_are_the_dockerfile_names_of_discovery(hook_id: str, directory: str) -> None:
    hook = _hooks()[hook_id]
    chosen = {name for name in NAMES if _selected(hook, directory + name)}
    assert chosen == {name for name in NAMES if is_dockerfile_name(name)}
    assert "Dockerfile" in chosen and "Dockerfile.md" not in chosen


@given(
    st.lists(
        st.sampled_from(["Dockerfile", "dockerfile", "Containerfile", "docker", ".", "-", "~", "gpu", "md", "bak",
                         "dockerignore", "orig", "rej", "swp", "x", "DOCKERFILE"]),
        min_size=1, max_size=5,
    ).map("".join),
    st.sampled_from(DIRECTORIES),
)  # fmt: skip
def test_any_name_is_chosen_by_both_or_neither(name: str, directory: str) -> None:
    for hook in _hooks().values():
        assert _selected(hook, directory + name) == is_dockerfile_name(name), directory + name
