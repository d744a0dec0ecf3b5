"""Where things happen in a repository's Dockerfiles: package-manager commands and instructions, with their state.

Checks count these sites ("6/14 package installs") and point at them (file:line).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.model import ImageModel, StageModel, State
from dockopt.rules._cache import home_of
from dockopt.shell import Command
from dockopt.shell.packages import PackageOperation, classify
from dockopt.syntax import Instruction
from dockopt.verify.facts import RepositoryFacts


@dataclass(frozen=True)
class CommandSite:
    """One package-manager command of a RUN."""

    dockerfile: str
    model: ImageModel
    stage: StageModel
    state: State  # in force at the RUN
    operation: PackageOperation
    first_line: int  # of the command itself (a RUN can span many lines)
    last_line: int

    @property
    def command(self) -> Command:
        return self.operation.command

    @property
    def run(self) -> Instruction:
        return self.state.instruction


def package_commands(facts: RepositoryFacts) -> Iterator[CommandSite]:
    """Every package-manager command of every Dockerfile, classified with the ENV and user in force."""
    for dockerfile in facts.dockerfiles:
        model = facts.model(dockerfile)
        if model is None:
            continue
        for stage in model.stages:
            for state in stage.states:
                if state.instruction.keyword != "RUN":
                    continue
                script = model.script(state.instruction)
                if script is None:
                    continue
                home = home_of(state)[0]
                for command in script.commands:
                    operation = classify(command, script, env=state.env, home=home)
                    if isinstance(operation, PackageOperation):
                        first = model.df.position(command.start).line
                        last = model.df.position(max(command.end - 1, command.start)).line
                        yield CommandSite(dockerfile, model, stage, state, operation, first, last)


def lineage(stage: StageModel) -> list[StageModel]:
    """``stage`` and the stages of its file it is built FROM, the first one first."""
    chain = [stage]
    while chain[0].parent is not None:
        chain.insert(0, chain[0].parent)
    return chain


def final_instructions(model: ImageModel) -> list[Instruction]:
    """The instructions of the final stage and the stages it is built FROM, in build order."""
    if model.final is None:
        return []
    return [state.instruction for stage in lineage(model.final) for state in stage.states]
