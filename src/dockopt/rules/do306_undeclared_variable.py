"""DO306: ARG used in FROM without a default, or a variable used but never declared."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.findings import Finding, Severity
from dockopt.model import StageModel
from dockopt.rules._pins import ImageReference, bare_uses
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction
from dockopt.syntax.expand import ExpandedInstruction

# Set by the ENV of common base images (python, nvidia/cuda, node, golang, eclipse-temurin, rust, ruby,
# nginx, conda/micromamba) or by the shell; an image we cannot see probably defines them.
COMMON_IMAGE_VARIABLES = frozenset(
    {
        "PATH", "HOME", "HOSTNAME", "USER", "SHELL", "PWD", "TERM", "TZ", "LANG", "LANGUAGE", "LC_ALL",
        "LD_LIBRARY_PATH", "LIBRARY_PATH", "PKG_CONFIG_PATH",
        "PYTHON_VERSION", "PYTHON_SHA256", "PYTHON_PIP_VERSION", "PYTHON_SETUPTOOLS_VERSION", "PYTHON_GET_PIP_URL",
        "PYTHON_GET_PIP_SHA256", "GPG_KEY",
        "CUDA_VERSION", "CUDA_HOME", "NVARCH", "NCCL_VERSION", "CUDNN_VERSION", "PYTORCH_VERSION",
        "NODE_VERSION", "YARN_VERSION", "GOLANG_VERSION", "GOPATH", "GOTOOLCHAIN", "JAVA_HOME", "JAVA_VERSION",
        "RUSTUP_HOME", "CARGO_HOME", "RUST_VERSION", "RUBY_VERSION", "GEM_HOME", "BUNDLE_APP_CONFIG",
        "NGINX_VERSION", "CONDA_DIR", "MAMBA_ROOT_PREFIX", "MAMBA_USER", "MAMBA_EXE", "ENV_NAME",
    }
)  # fmt: skip
COMMON_IMAGE_PREFIXES = ("NVIDIA_", "NV_")  # the CUDA images' NVIDIA_VISIBLE_DEVICES, NV_CUDA_LIB_VERSION, ...
PLATFORM_ARGS = frozenset(
    f"{prefix}{suffix}"
    for prefix in ("BUILD", "TARGET")
    for suffix in ("PLATFORM", "OS", "OSVERSION", "ARCH", "VARIANT")
) | {"TARGETSTAGE"}


@dataclass(frozen=True, slots=True)
class _Declaration:
    name: str
    instruction: Instruction
    stage: int | None  # None: a global ARG (before the first FROM)


class UndeclaredVariable(Rule):
    """ARG used in FROM without a default, or a variable that is never declared.

    What it does:
        Flags, in the instructions BuildKit expands itself (FROM, COPY, ADD, ENV, WORKDIR, USER,
        LABEL, EXPOSE, VOLUME, STOPSIGNAL, and the `--chown`/`--chmod`/`--mount` flags):

        - a FROM that uses an ARG without a default (`ARG BASE` / `FROM ${BASE}`), or a name no
          ARG before the first FROM declares;
        - a variable no ARG or ENV of the file declares;
        - a global ARG (declared before the first FROM) used in a stage that does not repeat
          `ARG NAME`, an automatic platform arg (`TARGETARCH`…) not declared in the stage, and a
          variable used before the line that declares it.

        Not flagged: RUN, CMD and ENTRYPOINT bodies (the shell expands those when they run), uses
        with a modifier that handles an unset value (`${TAG:-latest}`, `${X:+…}`), `ENV X=…:$X`
        (appending to what the base image may set), names declared only in another stage, and
        names a base image may set (see Deliberate differences).

    Why is this bad?
        BuildKit replaces an unset variable with an empty string and carries on. An ARG without
        a default in FROM leaves a broken reference unless every caller passes `--build-arg`
        (`python:${PY}-slim` becomes `python:-slim` and the build fails), or silently selects
        another image (`python:3.11${VARIANT}` becomes `python:3.11`, the full image instead of
        the slim one). In a stage, a misspelt or undeclared name gives `WORKDIR /` instead of
        `/opt/app`, `COPY --chown=:` or an empty LABEL, without any error. Global ARGs are only
        visible to FROM lines: a stage must repeat `ARG NAME` to see the value.

    Example:
        ```dockerfile
        ARG PYTHON
        ARG APP_VERSION=1.4.2
        FROM python:${PYTHON}-slim
        LABEL org.opencontainers.image.version=${APP_VERSION}
        WORKDIR ${APP_HOME}
        ```

    Use instead:
        ```dockerfile
        ARG PYTHON=3.11
        ARG APP_VERSION=1.4.2
        FROM python:${PYTHON}-slim
        ARG APP_VERSION
        LABEL org.opencontainers.image.version=${APP_VERSION}
        ENV APP_HOME=/opt/app
        WORKDIR ${APP_HOME}
        ```

    Deliberate differences:
        BuildKit's UndefinedVar check reports every name that neither this file nor the base
        image's ENV sets. dockopt cannot see the ENV of external images, so it stays silent on:

        - `ENV PYTHONPATH=/app:$PYTHONPATH` and other appends to a variable's own value;
        - variables that common official base images set: PATH, HOME, HOSTNAME, USER, SHELL,
          PWD, TERM, TZ, LANG, LANGUAGE, LC_ALL, LD_LIBRARY_PATH, LIBRARY_PATH, PKG_CONFIG_PATH,
          PYTHON_VERSION, PYTHON_SHA256, PYTHON_PIP_VERSION, PYTHON_SETUPTOOLS_VERSION,
          PYTHON_GET_PIP_URL, PYTHON_GET_PIP_SHA256, GPG_KEY, CUDA_VERSION, CUDA_HOME, NVARCH,
          NCCL_VERSION, CUDNN_VERSION, PYTORCH_VERSION, NVIDIA_* and NV_*, NODE_VERSION,
          YARN_VERSION, GOLANG_VERSION, GOPATH, GOTOOLCHAIN, JAVA_HOME, JAVA_VERSION, RUSTUP_HOME,
          CARGO_HOME, RUST_VERSION, RUBY_VERSION, GEM_HOME, BUNDLE_APP_CONFIG, NGINX_VERSION,
          CONDA_DIR, MAMBA_ROOT_PREFIX, MAMBA_USER, MAMBA_EXE, ENV_NAME;
        - any name declared nowhere in a stage built (directly or through earlier stages) on an
          image that is not `scratch`, an official image (`python`, `debian`, `node`…) or an image
          of this repository whose ENV is known: `quay.io/jupyter/scipy-notebook` sets NB_USER,
          and `${REGISTRY}/base` may set anything.
    """

    id = "DO306"
    name = "undeclared-variable"
    severity = Severity.WARNING
    groups = ("reproducibility", "correctness")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        declarations = _declarations(ctx)
        for expanded in ctx.expansion.instructions:
            ins = expanded.instruction
            if not expanded.unset:
                continue
            if ins.keyword == "FROM":
                yield from self._from(ctx, ins, expanded, declarations)
            elif expanded.stage is not None:
                yield from self._in_stage(ctx, ins, expanded, declarations)

    def _from(
        self, ctx: FileContext, ins: Instruction, expanded: ExpandedInstruction, declarations: list[_Declaration]
    ) -> Iterator[Finding]:
        for use in _uses(ctx, ins, ins.logical, expanded.unset):
            name = use.name
            global_arg = next((d for d in declarations if d.name == name and d.stage is None), None)
            in_stage = next((d for d in declarations if d.name == name and d.stage is not None), None)
            result = expanded.values[0] if expanded.values else ""
            if global_arg is not None:
                message = (
                    f"ARG {name} (line {global_arg.instruction.start_line}) has no default, so this FROM is "
                    f"{result!r} unless every build passes --build-arg {name}=…; give it a default "
                    f"(ARG {name}=<value>)"
                )
            elif in_stage is not None:
                message = (
                    f"{name} is declared on line {in_stage.instruction.start_line}, inside a stage: FROM lines only "
                    f"see ARGs declared before the first FROM, so this FROM is {result!r}; move ARG {name} to the top"
                )
            else:
                message = (
                    f"{name} is not declared: this FROM is {result!r} unless every build passes --build-arg "
                    f"{name}=…; declare ARG {name}=<default> before the first FROM"
                )
            yield self.finding(ctx, (use.start, use.end), message)

    def _in_stage(
        self, ctx: FileContext, ins: Instruction, expanded: ExpandedInstruction, declarations: list[_Declaration]
    ) -> Iterator[Finding]:
        state = ctx.state(ins)
        logical = ins.logical
        if ins.keyword == "RUN":  # only the flags are expanded by BuildKit; the shell expands the rest
            logical = logical[: len(logical.rstrip()) - len(ins.arguments)]
        names = {
            name
            for name in expanded.undeclared
            if name not in state.env
            and name not in COMMON_IMAGE_VARIABLES
            and not name.startswith(COMMON_IMAGE_PREFIXES)
        }
        if ins.keyword == "ENV":
            names -= set(ins.values[0::2])  # ENV X=...:$X appends to what the base image may set
        reported: set[str] = set()
        for use in _uses(ctx, ins, logical, names):
            if use.name in reported:
                continue
            message = _stage_message(use.name, ins, expanded, state.stage, declarations)
            if message is not None:
                reported.add(use.name)
                yield self.finding(ctx, (use.start, use.end), message)


@dataclass(frozen=True, slots=True)
class _Use:
    name: str
    start: int  # offsets in the Dockerfile
    end: int


def _uses(ctx: FileContext, ins: Instruction, text: str, names: frozenset[str] | set[str]) -> list[_Use]:
    """Bare uses of ``names`` in ``text`` (a prefix of ``ins.logical``), as offsets in the file."""
    return [
        _Use(use.name, ins.source_offset(use.start), ins.source_offset(use.end - 1) + 1)
        for use in bare_uses(text, names, ctx.df.escape)
    ]


def _stage_message(
    name: str,
    ins: Instruction,
    expanded: ExpandedInstruction,
    stage: StageModel,
    declarations: list[_Declaration],
) -> str | None:
    later = next(
        (
            d
            for d in declarations
            if d.name == name and d.stage == expanded.stage and d.instruction.span.start > ins.span.start
        ),
        None,
    )
    env_known = _base_env_known(stage)
    value = "an empty string" if env_known else "an empty string (unless the base image sets it)"
    if later is not None:
        return (
            f"${name} is used here but declared only later, on line {later.instruction.start_line}: here it expands "
            f"to {value}; move the {later.instruction.keyword} above this line"
        )
    global_arg = next((d for d in declarations if d.name == name and d.stage is None), None)
    if global_arg is not None:
        return (
            f"${name} is a global ARG (line {global_arg.instruction.start_line}), visible only to FROM lines: in "
            f"this stage it expands to {value}; repeat `ARG {name}` in the stage before using it"
        )
    if name in PLATFORM_ARGS:
        return (
            f"${name} is an automatic platform arg, visible in a stage only after `ARG {name}`: here it expands "
            "to an empty string; declare it in the stage"
        )
    if any(d.name == name for d in declarations) or not env_known:
        return None  # set in another stage, or possibly by a base image whose ENV we do not know
    candidates = sorted({d.name for d in declarations} | set(expanded.env))
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
    hint = f" (did you mean ${close[0]}?)" if close else ""
    return (
        f"${name} is never declared: no ARG or ENV of this file or its base image sets it, so it expands to an "
        f"empty string{hint}; declare it (ARG {name}=<default> or ENV {name}=…) before this line"
    )


def _declarations(ctx: FileContext) -> list[_Declaration]:
    found: list[_Declaration] = []
    for expanded in ctx.expansion.instructions:
        ins, stage = expanded.instruction, expanded.stage
        if ins.keyword == "ARG":
            found += [_Declaration(raw.partition("=")[0], ins, stage) for raw in ins.values]
        elif ins.keyword == "ENV" and stage is not None:
            found += [_Declaration(name, ins, stage) for name in ins.values[0::2]]
    return found


def _base_env_known(stage: StageModel) -> bool:
    """Whether the ENV of the image under this stage is known: scratch, an official image, or one of this repository.

    Official images (``python``, ``debian``, ``docker.io/library/node``) set only the variables of
    ``COMMON_IMAGE_VARIABLES``; any other image (``quay.io/jupyter/…``, ``nvidia/cuda``, ``${REGISTRY}/base``)
    may set anything.
    """
    root = stage
    while root.parent is not None:
        root = root.parent
    if root.base.known:
        return True
    name = ImageReference.parse(root.base_image).name.lower()
    return bool(name) and "$" not in name and ("/" not in name or name.startswith(("docker.io/library/", "library/")))
