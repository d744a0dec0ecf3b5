"""The semantic view of one Dockerfile that rules read: stages and the state in force at each instruction.

For every instruction the model knows the effective ENV and ARG (expanded, with BuildKit's scoping),
USER, WORKDIR and SHELL, the mounts of a RUN, which stage ends up in the image, and which stages
are only copied from. A stage built ``FROM`` an earlier stage starts from that stage's final
state; a stage built from an image of the same repository can start from a given ``BaseState``.
Rules read this model; they never re-implement inheritance or quoting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from dockopt.model.references import repository_name
from dockopt.shell import Script, parse_shell
from dockopt.syntax import Dockerfile, Form, Instruction, Stage
from dockopt.syntax.expand import Expansion, Variable, resolve
from dockopt.syntax.source import go_rstrip

DEFAULT_SHELL = ("/bin/sh", "-c")
# Accounts present in common base images; a USER naming one of these needs no useradd.
PREDEFINED_USERS = frozenset(
    {"root", "nobody", "daemon", "bin", "sys", "www-data", "node", "nonroot", "postgres", "nginx", "mail", "games"}
)
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})


@dataclass(frozen=True, slots=True)
class Mount:
    """One ``RUN --mount=...`` with its fields (``target`` is the path inside the build)."""

    type: str
    target: str
    source: str | None
    from_stage: str | None
    id: str | None
    sharing: str | None
    options: Mapping[str, str]
    instruction: Instruction

    @classmethod
    def parse(cls, fields: Mapping[str, str], instruction: Instruction) -> Mount:
        target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
        return cls(
            type=fields.get("type", "bind"),
            target=target.rstrip("/") or "/",
            source=fields.get("source") or fields.get("src"),
            from_stage=fields.get("from"),
            id=fields.get("id"),
            sharing=fields.get("sharing"),
            options=dict(fields),
            instruction=instruction,
        )

    def covers(self, path: str) -> bool:
        """True when ``path`` is the mount target or inside it."""
        path = path.rstrip("/") or "/"
        return path == self.target or path.startswith(self.target.rstrip("/") + "/")


@dataclass(frozen=True)
class BaseState:
    """What is known of an image this Dockerfile builds on (from the repository, or nothing)."""

    env: Mapping[str, str] = field(default_factory=dict)
    env_origin: Mapping[str, str] = field(default_factory=dict)  # name -> "file:line" that set it
    user: str | None = None
    workdir: str = "/"
    shell: tuple[str, ...] = DEFAULT_SHELL
    users: frozenset[str] = frozenset()
    packages: frozenset[str] = frozenset()  # normalised names installed (pip), as far as known
    known: bool = False  # False for external images: nothing is known about them


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(unsafe_hash=True)
class State:
    """What is in force when an instruction runs (before its own effect)."""

    instruction: Instruction
    stage: StageModel
    env: Mapping[str, str]
    env_origin: Mapping[str, str]  # name -> where it was set: "line N" or "file:line" for a base image
    user: str | None  # None: the base image's default (root for images we know nothing of)
    workdir: str
    shell: tuple[str, ...]
    mounts: tuple[Mount, ...]

    @property
    def is_posix_shell(self) -> bool:
        program = self.shell[0].rsplit("/", 1)[-1].lower() if self.shell else "sh"
        return program in POSIX_SHELLS

    def cache_mounts(self) -> tuple[Mount, ...]:
        return tuple(m for m in self.mounts if m.type == "cache")

    def mount_covering(self, path: str, mount_type: str = "cache") -> Mount | None:
        for mount in self.mounts:
            if mount.type == mount_type and mount.covers(path):
                return mount
        return None

    def env_true(self, name: str) -> bool:
        """An ENV/ARG flag such as PIP_NO_CACHE_DIR set to a true-ish value."""
        return self.env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class StageModel:
    stage: Stage
    parent: StageModel | None  # the earlier stage this one is built FROM, if any
    base_image: str  # the expanded image reference ("" for a stage parent)
    base: BaseState
    states: list[State] = field(default_factory=list)
    in_final_image: bool = False  # the final stage, or a stage it is built FROM
    copied_by: list[int] = field(default_factory=list)  # indexes of stages that COPY --from this one
    users_created: set[str] = field(default_factory=set)  # by useradd/adduser in this stage or its parents
    end: BaseState = field(default_factory=BaseState)  # ENV, USER, WORKDIR, SHELL after its last instruction

    @property
    def index(self) -> int:
        return self.stage.index

    @property
    def name(self) -> str | None:
        return self.stage.name


class ImageModel:
    """All stages of one Dockerfile and the state at each instruction."""

    def __init__(
        self,
        df: Dockerfile,
        bases: Mapping[str, BaseState] | None = None,
        build_args: Mapping[str, str] | None = None,
    ) -> None:
        self.df = df
        self.bases = bases or {}
        self.expansion: Expansion = resolve(df, dict(build_args) if build_args else None)
        self.stages: list[StageModel] = []
        self._state_by_offset: dict[int, State] = {}
        self._scripts: dict[int, Script | None] = {}
        self._build()
        for model in self.stages:
            if model.parent is not None:
                model.users_created |= model.parent.users_created
            for state in model.states:
                if state.instruction.keyword == "RUN":
                    model.users_created |= _created_users(self.script(state.instruction))

    def release(self) -> None:
        """Break the model's reference cycles (a state names its stage, the stage lists its states).

        Called when a file is done: its objects are then freed at once by reference counting instead of
        piling up for the cyclic garbage collector, which otherwise costs lint a tenth of its time.
        """
        for stage in self.stages:
            stage.states = []
        self._state_by_offset = {}
        self._scripts = {}

    @cached_property
    def final(self) -> StageModel | None:
        return self.stages[-1] if self.stages else None

    def state(self, ins: Instruction) -> State:
        return self._state_by_offset[ins.span.start]

    def stage_of(self, ins: Instruction) -> StageModel | None:
        state = self._state_by_offset.get(ins.span.start)
        return state.stage if state else None

    def script(self, ins: Instruction) -> Script | None:
        """The parsed shell of a shell-form RUN/CMD/ENTRYPOINT, parsed once.

        None for the exec form and under a non-POSIX SHELL (pwsh, cmd). For ``RUN <<EOF`` the
        heredoc body is the script; comments inside continuations never reach the shell.
        """
        key = ins.span.start
        if key not in self._scripts:
            self._scripts[key] = self._parse_script(ins)
        return self._scripts[key]

    def _parse_script(self, ins: Instruction) -> Script | None:
        target = ins.sub if ins.sub is not None else ins
        state = self._state_by_offset.get(ins.span.start)
        if target.form is not Form.SHELL or (state is not None and not state.is_posix_shell):
            return None
        # Offsets are mapped by indexing a range or a table (a C call per word) rather than through a function.
        if target.heredocs and target.keyword == "RUN" and target.arguments.lstrip().startswith("<<"):
            doc = target.heredocs[0]
            base = doc.body.start
            return parse_shell(doc.content, range(base, base + len(doc.content) + 1).__getitem__)
        arguments = target.arguments
        if not arguments:
            return None
        # The arguments are the tail of the joined line, before any trailing white space.
        start = len(go_rstrip(target.logical)) - len(arguments)
        return parse_shell(arguments, target.source_offsets(start, len(arguments)).__getitem__)

    def user_exists(self, stage: StageModel, user: str) -> bool:
        """True when USER names an account created in the stage, its parents or its base, or a known one."""
        name = user.split(":", 1)[0]
        if not name or name.isdigit() or "$" in name or name in PREDEFINED_USERS:
            return True
        return name in stage.users_created or name in stage.base.users

    def env_line(self, ins: Instruction, name: str) -> int:
        """The line of ``ins`` where ``name`` is assigned (an ENV can span several lines)."""
        if len(ins.lines) == 1:
            return ins.start_line
        for line in ins.lines:
            text = self.df.source(line.span)
            words = text.replace("\t", " ").split(" ")
            if any(word == name or word.startswith(name + "=") for word in words):
                return line.number
        return ins.start_line

    def stages_in_image(self) -> list[StageModel]:
        """The final stage and the stages it is built FROM: what ends up in the image."""
        return [s for s in self.stages if s.in_final_image]

    def is_final(self, stage: StageModel) -> bool:
        return self.final is stage

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        by_name: dict[str, StageModel] = {}
        for stage in self.df.stages:
            from_state = self.expansion.at(stage.from_instruction)
            image = from_state.values[0] if from_state.values else stage.base
            parent = by_name.get(image.lower()) if image else None
            base = BaseState(known=True)
            if parent is None:
                base = self.bases.get(image) or self.bases.get(repository_name(image)) or BaseState()
            model = StageModel(stage=stage, parent=parent, base_image="" if parent else image, base=base)
            self._walk(model)
            self.stages.append(model)
            if stage.name:
                by_name[stage.name] = model
            for other_index in _copied_stages(stage, by_name, self.stages):
                self.stages[other_index].copied_by.append(stage.index)
        final = self.final
        while final is not None:
            final.in_final_image = True
            final = final.parent

    def _walk(self, model: StageModel) -> None:
        if model.parent is not None:
            parent = model.parent
            model.base = replace(parent.end, users=frozenset(parent.users_created) | parent.base.users)
        base = model.base
        env = dict(base.env)
        origin = dict(base.env_origin)
        user = base.user
        workdir = base.workdir
        shell = base.shell
        # Instructions that change neither ENV nor ARG share the dicts of the one before them.
        seen: Mapping[str, Variable] | None = None
        visible: dict[str, str] = {}
        visible_origin: dict[str, str] = {}
        for ins in model.stage.instructions:
            expanded = self.expansion.at(ins)
            if expanded.env is not seen:
                seen = expanded.env
                visible = dict(env)
                for name, variable in expanded.env.items():
                    visible[name] = variable.value
                    if name not in origin:
                        origin[name] = _where(variable)
                visible_origin = dict(origin)
            mounts = _mounts(ins, expanded.flags) if ins.flags and ins.keyword == "RUN" else ()
            state = State(ins, model, visible, visible_origin, user, workdir, shell, mounts)
            model.states.append(state)
            self._state_by_offset[ins.span.start] = state
            values = expanded.values if expanded.values is not None else ins.values
            if ins.keyword == "ENV":
                for name, value in zip(values[0::2], values[1::2], strict=False):
                    env[name] = value
                    origin[name] = f"line {self.env_line(ins, name)}"
                seen = None
            elif ins.keyword == "USER" and values:
                user = values[0]
            elif ins.keyword == "WORKDIR" and values:
                workdir = _join(workdir, values[0])
            elif ins.keyword == "SHELL" and ins.exec_args:
                shell = ins.exec_args
        # Only what ENV set (or the base had) is handed on; ARG values stay in the stage's own states.
        end_origin = {name: where for name, where in origin.items() if name in env or name in base.env_origin}
        model.end = BaseState(
            env=env, env_origin=end_origin, user=user, workdir=workdir, shell=shell, known=True
        )  # fmt: skip
        self._state_by_offset[model.stage.from_instruction.span.start] = State(
            model.stage.from_instruction, model, dict(base.env), dict(base.env_origin), base.user, base.workdir,
            base.shell, (),
        )  # fmt: skip


def _where(variable: Variable) -> str:
    return f"line {variable.instruction.start_line}" if variable.instruction is not None else "the base image"


def _join(current: str, path: str) -> str:
    if path.startswith("/") or (len(path) > 2 and path[1] == ":"):
        return path
    return current.rstrip("/") + "/" + path


def _mounts(ins: Instruction, flags: tuple[tuple[str, str | None], ...]) -> tuple[Mount, ...]:
    mounts = []
    expanded_values = [value or "" for name, value in flags if name == "mount"]
    for i, flag in enumerate(ins.flags_named("mount")):
        fields = flag.key_values()
        if i < len(expanded_values) and expanded_values[i]:
            fields = _fields(expanded_values[i])
        mounts.append(Mount.parse(fields, ins))
    return tuple(mounts)


def _fields(value: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for part in value.split(","):
        key, sep, val = part.partition("=")
        if key:
            result[key.strip().lower()] = val if sep else "true"
    return result


def _copied_stages(stage: Stage, by_name: Mapping[str, StageModel], models: list[StageModel]) -> list[int]:
    found: list[int] = []
    for ins in stage.instructions:
        target = ins.sub if ins.sub is not None else ins
        if not target.flags:
            continue
        references = [f.value for f in target.flags_named("from") if f.value]
        if target.keyword == "RUN":
            references += [f.key_values().get("from", "") for f in target.flags_named("mount")]
        for reference in references:
            if not reference:
                continue
            if reference.isdigit() and int(reference) < len(models):
                found.append(int(reference))
            elif reference.lower() in by_name and by_name[reference.lower()].index != stage.index:
                found.append(by_name[reference.lower()].index)
    return found


_USERADD_VALUE_FLAGS = frozenset(
    {"-u", "-g", "-G", "-d", "-s", "-c", "-k", "-K", "-p", "-e", "-f", "-b", "-Z", "--uid", "--gid", "--groups",
     "--home", "--home-dir", "--shell", "--comment", "--gecos", "--ingroup", "--skel", "--key", "--password",
     "--expiredate", "--inactive", "--base-dir", "-h"}
)  # fmt: skip


def _created_users(script: Script | None) -> set[str]:
    """Accounts created by useradd/adduser in a RUN (Debian, RHEL and Alpine spellings)."""
    users: set[str] = set()
    if script is None:
        return users
    for command in script.find("useradd", "adduser"):
        names = [w.text for w in command.positional(_USERADD_VALUE_FLAGS) if not w.dynamic]
        if not names:
            continue
        users.add(names[-1] if command.name == "useradd" else names[0])
    return users
