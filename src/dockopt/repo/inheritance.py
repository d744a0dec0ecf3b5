"""What an image built in the repository hands to the images built FROM it.

The final state of an image's Dockerfile (ENV with where each value was set, USER, WORKDIR,
SHELL, accounts created, Python packages installed) becomes the ``BaseState`` a child image's
model starts from. Images are processed in build order, so a chain of bases accumulates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockopt.model import BaseState, ImageModel, StageModel
from dockopt.model.references import repository_name
from dockopt.shell.packages import PackageOperation, classify
from dockopt.syntax import Dockerfile, Instruction


@dataclass(frozen=True)
class BuiltImage:
    """One image the repository builds: its Dockerfile and the references it is tagged with."""

    display_path: str
    df: Dockerfile
    references: tuple[str, ...]  # tags as built (e.g. localhost:5000/pipeline-cuda-base:2024.06)
    build_args: Mapping[str, str]


def base_states(images: Iterable[BuiltImage]) -> dict[str, BaseState]:
    """``repository_name`` -> the state each in-repository image hands to its children (in build order)."""
    states: dict[str, BaseState] = {}
    for image in images:
        model = ImageModel(image.df, states, image.build_args)
        final = model.final
        if final is None:
            continue
        state = _final_state(model, image.display_path)
        for reference in image.references:
            states[repository_name(reference)] = state
    return states


def _final_state(model: ImageModel, display_path: str) -> BaseState:
    final = model.final
    if final is None:
        return BaseState()
    env: dict[str, str] = dict(final.base.env)
    origin: dict[str, str] = dict(final.base.env_origin)
    user, workdir, shell = final.base.user, final.base.workdir, final.base.shell
    packages = set(final.base.packages)
    chain: list[StageModel] = []
    stage: StageModel | None = final
    while stage is not None:
        chain.insert(0, stage)
        stage = stage.parent
    if chain[0] is not final:
        root = chain[0]
        env, origin = dict(root.base.env), dict(root.base.env_origin)
        user, workdir, shell = root.base.user, root.base.workdir, root.base.shell
        packages = set(root.base.packages)
    for stage in chain:
        for state in stage.states:
            ins = state.instruction
            expanded = model.expansion.at(ins)
            values = expanded.values if expanded.values is not None else ins.values
            if ins.keyword == "ENV":
                for name, value in zip(values[0::2], values[1::2], strict=False):
                    env[name] = value
                    origin[name] = f"{display_path}:{ins.start_line}"
            elif ins.keyword == "USER" and values:
                user = values[0]
            elif ins.keyword == "WORKDIR" and values:
                workdir = values[0] if values[0].startswith("/") else workdir.rstrip("/") + "/" + values[0]
            elif ins.keyword == "SHELL" and ins.exec_args:
                shell = ins.exec_args
            elif ins.keyword == "RUN":
                packages |= _pip_packages(model, ins, state.env)
    return BaseState(
        env=env,
        env_origin=origin,
        user=user,
        workdir=workdir,
        shell=shell,
        users=frozenset(final.users_created) | final.base.users | (chain[0].base.users if chain else frozenset()),
        packages=frozenset(packages),
        known=True,
    )


def _pip_packages(model: ImageModel, ins: Instruction, env: Mapping[str, str]) -> set[str]:
    script = model.script(ins)
    found: set[str] = set()
    if script is None:
        return found
    for command in script.commands:
        operation = classify(command, script, env=env)
        if isinstance(operation, PackageOperation) and operation.installs and operation.manager in ("pip", "uv"):
            found.update(spec.name for spec in operation.packages)
    return found
