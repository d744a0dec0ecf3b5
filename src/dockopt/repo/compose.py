"""Compose files: the services that build an image, with their context, Dockerfile, args, target and tags.

Compose's own rules are followed: paths are relative to the directory of the compose file, the
Dockerfile is relative to the build context, and ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:+alt}``, ``${VAR:?err}``, ``$VAR`` and ``$$`` are interpolated with the variables of the
``.env`` file beside it. The process environment is not read, so the result is the same on every
machine; a variable that has no value stays as ``${VAR}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockopt.repo.builds import Build, Problem, relative_path, under

_COMPOSE_NAME = re.compile(r"(?:docker-)?compose[^/]*\.ya?ml")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?=])(.*))?", re.DOTALL)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)")

if TYPE_CHECKING:
    import yaml


@dataclass(frozen=True, slots=True)
class ComposeFile:
    """The builds one compose file declares, and what made it unreadable (``errors``) or odd (``warnings``)."""

    path: str
    builds: tuple[Build, ...]
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def is_compose_name(name: str) -> bool:
    """``docker-compose*.yml``, ``docker-compose*.yaml``, ``compose*.yaml``, ``compose*.yml``."""
    return _COMPOSE_NAME.fullmatch(name) is not None


def is_remote_context(context: str) -> bool:
    """A Git or HTTP URL, not a directory of the repository."""
    return _REMOTE.match(context) is not None


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation; a variable without a value is kept as ``${NAME}``."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        following = text[i + 1 : i + 2]
        if ch != "$":
            out.append(ch)
            i += 1
        elif following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                out.append(text[i:])
                break
            out.append(_braced(text[i + 2 : end], text[i : end + 1], env))
            i = end + 1
        elif (match := _NAME.match(text, i + 1)) is not None:
            out.append(env.get(match.group(), "${" + match.group() + "}"))
            i = match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _braced(inner: str, raw: str, env: Mapping[str, str]) -> str:
    match = _BRACED.fullmatch(inner)
    if match is None:
        return raw
    name, operator, word = match.group(1), match.group(2), match.group(3) or ""
    value = env.get(name)
    if operator is None or operator in (":?", "?"):
        return value if value is not None else "${" + name + "}"
    if operator in (":-", ":="):
        return value if value else interpolate(word, env)
    if operator in ("-", "="):
        return value if value is not None else interpolate(word, env)
    if operator == ":+":
        return interpolate(word, env) if value else ""
    return interpolate(word, env) if value is not None else ""  # "+"


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (``export`` prefix, quotes and ``#`` comments allowed)."""
    env: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return env
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or _NAME.fullmatch(key) is None:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        env[key] = value
    return env


def load_compose(path: Path, root: Path) -> ComposeFile:
    """The builds of one compose file; ``root`` is the repository root the paths are made relative to."""
    display = relative_path(root, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ComposeFile(display, (), (Problem(display, 1, f"cannot read compose file: {exc}"),))
    import yaml  # here: most runs read no compose file, and PyYAML takes 10 ms to import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when PyYAML has it: 15x faster
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return ComposeFile(display, (), (Problem(display, line, f"invalid YAML: {problem}"),))
    finally:
        loader.dispose()
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return ComposeFile(display, ())
    lines = _service_lines(node)
    env = read_env_file(path.parent / ".env")
    base = relative_path(root, path.parent)
    builds: list[Build] = []
    warnings: list[Problem] = []
    for name, service in services.items():
        if not isinstance(service, dict) or service.get("build") is None:
            continue
        line = lines.get(str(name), 1)
        build = _build(service, str(name), display, line, base, root, env, len(builds))
        if isinstance(build, Problem):
            warnings.append(build)
        elif build is not None:
            builds.append(build)
    return ComposeFile(display, tuple(builds), (), tuple(warnings))


def _service_lines(node: yaml.Node | None) -> dict[str, int]:
    """Service name -> the 1-based line of its key."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "services" and isinstance(value, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 1 for k, _ in value.value if isinstance(k, yaml.ScalarNode)}
    return {}


def _build(
    service: Mapping[str, Any],
    name: str,
    source: str,
    line: int,
    base: str,
    root: Path,
    env: Mapping[str, str],
    order: int,
) -> Build | Problem | None:
    spec = service["build"]
    if isinstance(spec, str):
        spec = {"context": spec}
    if not isinstance(spec, dict):
        return Problem(source, line, f"service {name}: `build` must be a string or a mapping")
    if "dockerfile_inline" in spec:
        return None  # no Dockerfile in the repository to analyse
    context = interpolate(str(spec.get("context", ".")), env)
    if is_remote_context(context):
        return None
    dockerfile = interpolate(str(spec.get("dockerfile", "Dockerfile")), env)
    context_rel = under(root, base, context)
    tags = [interpolate(str(tag), env) for tag in spec.get("tags") or () if tag is not None]
    if service.get("image") is not None:
        tags.insert(0, interpolate(str(service["image"]), env))
    target = spec.get("target")
    return Build(
        source=source,
        line=line,
        kind="compose",
        name=name,
        dockerfile=under(root, context_rel, dockerfile),
        context=context_rel,
        tags=tuple(dict.fromkeys(tags)),
        args=_pairs(spec.get("args"), env),
        target=interpolate(str(target), env) if target is not None else None,
        contexts=_pairs(spec.get("additional_contexts"), env),
        order=order,
    )


def _pairs(value: object, env: Mapping[str, str]) -> dict[str, str]:
    """A compose mapping or ``KEY=VALUE`` list; a key without a value takes it from ``env`` when there."""
    items: list[tuple[str, object]] = []
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        for entry in value:
            key, sep, text = str(entry).partition("=")
            items.append((key, text if sep else None))
    result: dict[str, str] = {}
    for key, val in items:
        if val is None:
            if key in env:
                result[key] = env[key]
            continue
        text = str(val).lower() if isinstance(val, bool) else str(val)
        result[key] = interpolate(text, env)
    return result
