"""What an image built in the repository hands to the images built FROM it.

The final state of an image's Dockerfile (ENV with where each value was set, USER, WORKDIR,
SHELL, accounts created, Python packages installed) becomes the ``BaseState`` a child image's
model starts from. Images are processed in build order, so a chain of bases accumulates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dockopt.model import BaseState, ImageModel, StageModel
from dockopt.model.references import repository_name
from dockopt.repo.graph import ImageGraph
from dockopt.shell.packages import PackageOperation, classify
from dockopt.syntax import Instruction, load_file


@dataclass(frozen=True)
class Inherited:
    """What linting one Dockerfile needs from the repository: its bases' states and its build args."""

    bases: Mapping[str, BaseState]  # by the base reference as its FROM resolves it
    build_args: Mapping[str, str]
    base_of: tuple[str, ...] = ()  # images of the repository built FROM this one


def inherited_states(graph: ImageGraph) -> dict[str, Inherited]:
    """Dockerfile path (relative to the graph's root) -> the states of its in-repository bases.

    Images are visited in build order, so a chain of bases accumulates: an ENV set in the CUDA
    base reaches the stages built on the ML base built on it.
    """
    finals: dict[str, BaseState] = {}
    result: dict[str, Inherited] = {}
    for name in graph.build_order:
        image = graph.images[name]
        bases: dict[str, BaseState] = {}
        for reference in image.bases:
            if reference.image is not None and reference.image in finals:
                state = finals[reference.image]
                bases[reference.resolved] = state
                bases[repository_name(reference.resolved)] = state
        args = {k: v for k, v in image.args.items() if "$" not in v}
        result.setdefault(image.dockerfile, Inherited(bases, args, tuple(graph.children(name))))
        df = load_file(graph.root / image.dockerfile, image.dockerfile)
        if df.errors or not df.nodes:
            continue
        finals[name] = _final_state(ImageModel(df, bases, args), image.dockerfile)
    return result


def _final_state(model: ImageModel, display_path: str) -> BaseState:
    """The final stage's end state, with origins named by file, plus accounts and pip packages."""
    final = model.final
    if final is None:
        return BaseState()
    chain: list[StageModel] = []
    stage: StageModel | None = final
    while stage is not None:
        chain.insert(0, stage)
        stage = stage.parent
    packages = set(chain[0].base.packages)
    for stage in chain:
        for state in stage.states:
            if state.instruction.keyword == "RUN":
                packages |= _pip_packages(model, state.instruction, state.env)
    end = final.end
    return replace(
        end,
        env_origin={name: _in_file(where, display_path) for name, where in end.env_origin.items()},
        users=frozenset(final.users_created) | final.base.users | chain[0].base.users,
        packages=frozenset(packages),
    )


def _in_file(where: str, display_path: str) -> str:
    """``line 7`` (within the model's own file) -> ``docker/base/Dockerfile:7``; other origins as they are."""
    return f"{display_path}:{where[5:]}" if where.startswith("line ") else where


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
