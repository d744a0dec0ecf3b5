"""Which files `dockopt lint` reads: each Dockerfile once, however it is reached, shown relative to the cwd."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockopt.commands.lint import collect_files
from dockopt.config import Config


def test_a_file_reached_twice_is_linted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM scratch\n")
    os.symlink(tmp_path / "a" / "Dockerfile", tmp_path / "Dockerfile")  # a symlinked file
    os.symlink(tmp_path / "a", tmp_path / "b")  # a symlinked directory: the walk does not follow it
    monkeypatch.chdir(tmp_path)
    found = collect_files((".", "a/Dockerfile", str(tmp_path / "a" / "Dockerfile")), Config())
    assert found == [(Path("Dockerfile"), "a/Dockerfile")]


def test_files_outside_the_cwd_keep_the_path_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo" / "svc").mkdir(parents=True)
    (tmp_path / "repo" / "svc" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    found = collect_files(("../repo",), Config())
    assert found == [(Path("../repo/svc/Dockerfile"), "../repo/svc/Dockerfile")]
