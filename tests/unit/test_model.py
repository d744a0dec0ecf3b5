"""The semantic model: state at each instruction, inheritance across stages, mounts, users, scripts."""

from __future__ import annotations

from dockopt.model import BaseState, ImageModel
from dockopt.syntax import parse

TEXT = """\
ARG PY=3.11
FROM python:${PY}-slim AS base
ENV PIP_NO_CACHE_DIR=1 APP=/srv
WORKDIR $APP
RUN useradd --system --uid 10001 --home-dir /srv app

FROM base AS build
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked pip install -r requirements.txt
WORKDIR src

FROM python:3.11-slim AS assets
SHELL ["pwsh", "-Command"]
RUN Write-Host hi

FROM base
COPY --from=build /srv /srv
COPY --from=2 /x /x
USER app
CMD python -m app
"""


def model() -> ImageModel:
    return ImageModel(parse(TEXT))


def test_stages_final_and_copied_from() -> None:
    m = model()
    assert [s.name for s in m.stages] == ["base", "build", "assets", None]
    assert [s.in_final_image for s in m.stages] == [True, False, False, True]
    assert m.stages[1].copied_by == [3]
    assert m.stages[2].copied_by == [3]
    assert m.stages[1].parent is m.stages[0]
    assert m.stages[0].base_image == "python:3.11-slim"


def test_env_workdir_user_shell_in_force() -> None:
    m = model()
    ins = m.df.instructions
    run_build = next(i for i in ins if i.keyword == "RUN" and i.flags)
    state = m.state(run_build)
    assert state.env_true("PIP_NO_CACHE_DIR")  # inherited from the parent stage
    assert state.env_origin["PIP_NO_CACHE_DIR"] == "line 3"
    assert state.workdir == "/srv"
    assert state.mount_covering("/root/.cache/pip") is not None
    assert state.mount_covering("/root/.cache/pip").sharing == "locked"
    assert state.mount_covering("/var/cache/apt") is None
    workdir_src = next(i for i in ins if i.keyword == "WORKDIR" and i.values == ("src",))
    assert m.state(workdir_src).workdir == "/srv"
    cmd = ins[-1]
    assert m.state(cmd).user == "app"
    assert m.state(cmd).workdir == "/srv"
    pwsh_run = next(i for i in ins if i.keyword == "RUN" and "Write-Host" in i.arguments)
    assert not m.state(pwsh_run).is_posix_shell
    assert m.script(pwsh_run) is None


def test_users_created_are_inherited_by_child_stages() -> None:
    m = model()
    final = m.stages[-1]
    assert "app" in final.users_created
    assert m.user_exists(final, "app")
    assert m.user_exists(final, "1000:1000")
    assert m.user_exists(final, "nobody")
    assert not m.user_exists(m.stages[2], "app")


def test_base_state_from_the_repository_is_the_starting_point() -> None:
    df = parse("FROM registry/ml-base:1\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\nUSER svc\n")
    base = BaseState(env={"PIP_NO_CACHE_DIR": "true"}, env_origin={"PIP_NO_CACHE_DIR": "docker/base/Dockerfile:4"},
                     users=frozenset({"svc"}), known=True)
    m = ImageModel(df, {"registry/ml-base:1": base})
    run = df.instructions[1]
    assert m.state(run).env_true("PIP_NO_CACHE_DIR")
    assert m.state(run).env_origin["PIP_NO_CACHE_DIR"] == "docker/base/Dockerfile:4"
    assert m.user_exists(m.stages[0], "svc")


def test_heredoc_body_is_the_script_and_continuation_comments_are_dropped() -> None:
    df = parse(
        "FROM debian:bookworm-slim\n"
        "RUN <<EOF\nset -eux\napt-get update\nEOF\n"
        "RUN apt-get install -y curl \\\n# && rm -rf /\n    && echo done\n"
    )
    m = ImageModel(df)
    heredoc_run, continued = df.instructions[1], df.instructions[2]
    script = m.script(heredoc_run)
    assert script is not None
    assert [c.name for c in script.commands] == ["set", "apt-get"]
    assert script.set_options >= {"e", "u", "x"}
    apt = script.commands[1]
    assert df.text[apt.start : apt.end] == "apt-get update"
    script = m.script(continued)
    assert script is not None
    assert [c.name for c in script.commands] == ["apt-get", "echo"]
    echo = script.commands[1]
    assert df.position(echo.start).line == 8
    assert df.text[echo.start : echo.end] == "echo done"


def test_mount_fields_are_expanded() -> None:
    df = parse("FROM python:3.11-slim\nARG CACHE=/root/.cache/pip\nRUN --mount=type=cache,target=$CACHE pip install x\n")
    m = ImageModel(df)
    assert m.state(df.instructions[2]).mount_covering("/root/.cache/pip/wheels") is not None
