"""Compose files: services that build, with compose's paths and interpolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.repo.compose import interpolate, is_compose_name, load_compose, read_env_file

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${REGISTRY:-localhost:5000}/app", "localhost:5000/app"),
        ("${SET:-default}", "value"),
        ("${EMPTY:-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${MISSING-default}", "default"),
        ("${SET:+alt}", "alt"),
        ("${MISSING:+alt}", ""),
        ("${MISSING}", "${MISSING}"),
        ("$MISSING/x", "${MISSING}/x"),
        ("$SET/x", "value/x"),
        ("${MISSING:?must be set}", "${MISSING}"),
        ("$$HOME", "$HOME"),
        ("${A:-${SET}}", "value"),
        ("${unterminated", "${unterminated"),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, {"SET": "value", "EMPTY": ""}) == expected


def test_names() -> None:
    for name in ("docker-compose.yml", "docker-compose.prod.yaml", "compose.yaml", "compose.override.yml"):
        assert is_compose_name(name)
    for name in ("compose.json", "my-compose.yml", "docker-compose.yml.bak"):
        assert not is_compose_name(name)


def test_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nexport A=1\nB='two words'\nC=x # trailing\nnot a line\nD=\"q\"\n")
    assert read_env_file(env) == {"A": "1", "B": "two words", "C": "x", "D": "q"}
    assert read_env_file(tmp_path / "missing") == {}


def test_fixture_services() -> None:
    root = REPOS / "baked"
    compose = load_compose(root / "docker-compose.yml", root)
    assert compose.errors == ()
    notebook, sidecar = compose.builds
    assert (notebook.name, notebook.line, notebook.kind, notebook.source) == (
        "notebook",
        2,
        "compose",
        "docker-compose.yml",
    )
    assert notebook.context == "notebook"
    assert notebook.dockerfile == "notebook/Dockerfile"
    assert notebook.tags == ("acme-notebook:dev",)
    # REGISTRY comes from .env; UNSET_ARG has no value anywhere, so it is not passed
    assert notebook.args == {"BASE": "ghcr.io/acme/trainer:2.0"}
    assert (sidecar.name, sidecar.line) == ("sidecar", 13)
    assert sidecar.dockerfile == "sidecar/Containerfile"
    assert sidecar.contexts == {"app": "service:notebook"}
    assert sidecar.tags == ()


def test_build_forms(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    compose_file = tmp_path / "sub" / "compose.yaml"
    compose_file.write_text(
        "x-common: &common\n"
        "  args: {A: 1, FLAG: true}\n"
        "services:\n"
        "  short:\n"
        "    build: ../app\n"
        "  mapping:\n"
        "    build:\n"
        "      <<: *common\n"
        "      context: .\n"
        "      dockerfile: docker/Dockerfile.prod\n"
        "      target: runtime\n"
        "      tags: [extra:1]\n"
        "    image: main:1\n"
        "  inline:\n"
        "    build:\n"
        "      dockerfile_inline: FROM alpine\n"
        "  remote:\n"
        "    build: https://github.com/acme/app.git#main\n"
        "  bad:\n"
        "    build: [1, 2]\n"
        "  image-only:\n"
        "    image: redis\n"
    )
    compose = load_compose(compose_file, tmp_path)
    short, mapping = compose.builds
    assert (short.context, short.dockerfile, short.order) == ("app", "app/Dockerfile", 0)
    assert mapping.context == "sub"
    assert mapping.dockerfile == "sub/docker/Dockerfile.prod"
    assert mapping.args == {"A": "1", "FLAG": "true"}
    assert mapping.target == "runtime"
    assert mapping.tags == ("main:1", "extra:1")
    assert mapping.order == 1
    assert [w.line for w in compose.warnings] == [19]
    assert "bad" in compose.warnings[0].message


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text("services:\n  web:\n    build: .\n    ports: [8000:8000\n")
    compose = load_compose(path, tmp_path)
    assert compose.builds == ()
    [error] = compose.errors
    assert error.file == "docker-compose.yml"
    assert error.line == 5
    assert error.message.startswith("invalid YAML")


def test_not_a_compose_file(tmp_path: Path) -> None:
    path = tmp_path / "compose.yml"
    path.write_text("- just\n- a list\n")
    assert load_compose(path, tmp_path).builds == ()
