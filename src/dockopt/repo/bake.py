"""Bake files (``docker-bake.hcl``, ``docker-bake.json``): their targets as builds.

The HCL reader covers what bake files use in practice: ``variable`` blocks with defaults, ``target``
blocks (context, dockerfile, tags, args, target, inherits, contexts), ``group`` blocks, comments
(``#``, ``//``, ``/* */``), strings with ``${...}`` interpolation (``$${`` escapes it), heredocs,
lists and objects. Expressions beyond that (function calls, conditionals, ``for``) are read past
and give an unresolved value, shown as ``${<expression>}``, rather than an error.

Bake's semantics: the files of one directory are merged in bake's order (``docker-bake.json``,
``docker-bake.hcl``, then the ``.override`` files; a later definition of a variable or an attribute
wins); a target inherits the attributes of its ``inherits`` (maps such as ``args`` are merged);
``context`` is relative to the bake file and ``dockerfile`` to the context. Variables take their
defaults: the process environment is not read. A target that only serves as a parent (inherited,
and in no group) is not a build.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from dockopt.repo.builds import Build, Problem, relative_path, under
from dockopt.repo.compose import is_remote_context

# bake reads the files of a directory in this order; later ones override earlier ones
_FILE_ORDER = ("docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl")
_MERGED_MAPS = frozenset({"args", "contexts", "labels", "annotations"})
_PUNCTUATION = ("==", "!=", "<=", ">=", "&&", "||", "=>", "...", *"{}[]()=,:.?!+-*/%<>")
_BINARY = frozenset({"==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_MAX_DEPTH = 32


class BakeError(Exception):
    """The file is not HCL (or JSON) bake can read; ``offset`` is where the problem is."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


# -- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    value: str | None  # numbers and booleans as their text; None for null


@dataclass(frozen=True, slots=True)
class _Template:
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class _Reference:
    name: str


@dataclass(frozen=True, slots=True)
class _Tuple:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class _Object:
    items: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class _Opaque:
    """An expression read but not evaluated (a function call, a conditional, a ``for``)."""

    text: str


Expr: TypeAlias = _Literal | _Template | _Reference | _Tuple | _Object | _Opaque
Value: TypeAlias = str | list["Value"] | dict[str, "Value"] | None


_ParseFn: TypeAlias = Callable[[], Expr | None]


@dataclass(slots=True)
class _Block:
    kind: str
    labels: tuple[str, ...]
    line: int
    source: str
    attributes: dict[str, Expr] = field(default_factory=dict)


# -- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ident, number, string, heredoc, punct, newline, eof
    text: str  # a string's raw content between its quotes; a heredoc's body
    offset: int


def _string_end(text: str, i: int) -> int:
    """The offset of the closing quote of a string whose content starts at ``i``."""
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == '"':
            return i
        elif ch == "\n":
            break
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            i = _interpolation_end(text, i + 2)
        else:
            i += 1
    raise BakeError(i, "unterminated string")


def _interpolation_end(text: str, i: int) -> int:
    """The offset just after the ``}`` closing an interpolation whose expression starts at ``i``."""
    depth = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i = _string_end(text, i + 1) + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise BakeError(i, "unterminated ${ interpolation")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            tokens.append(_Token("newline", "\n", i))
            i += 1
        elif ch in " \t\r\ufeff":
            i += 1
        elif ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise BakeError(i, "unterminated /* comment")
            i = end + 2
        elif ch == '"':
            end = _string_end(text, i + 1)
            tokens.append(_Token("string", text[i + 1 : end], i))
            i = end + 1
        elif (heredoc := _HEREDOC.match(text, i)) is not None:
            i = _heredoc(text, heredoc, tokens)
        elif (ident := _IDENT.match(text, i)) is not None:
            tokens.append(_Token("ident", ident.group(), i))
            i = ident.end()
        elif (number := _NUMBER.match(text, i)) is not None:
            tokens.append(_Token("number", number.group(), i))
            i = number.end()
        else:
            punct = next((p for p in _PUNCTUATION if text.startswith(p, i)), None)
            if punct is None:
                raise BakeError(i, f"unexpected character {ch!r}")
            tokens.append(_Token("punct", punct, i))
            i += len(punct)
    tokens.append(_Token("eof", "", len(text)))
    return tokens


def _heredoc(text: str, match: re.Match[str], tokens: list[_Token]) -> int:
    strip, name = match.group(1), match.group(2)
    terminator = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*\r?$", re.MULTILINE)
    end = terminator.search(text, match.end())
    if end is None:
        raise BakeError(match.start(), f"heredoc <<{name} is never terminated")
    body = text[match.end() : end.start()]
    if strip:
        lines = body.splitlines(keepends=True)
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        cut = min(indents, default=0)
        body = "".join(line[cut:] for line in lines)
    tokens.append(_Token("heredoc", body, match.start()))
    return end.end()


# -- parser ------------------------------------------------------------------------------------


class _Parser:
    """HCL's structure (blocks and attributes) and the expression subset bake files use."""

    def __init__(self, text: str, source: str, lines: Sequence[int]) -> None:
        self.text = text
        self.source = source
        self.line_starts = lines
        self.tokens = _tokenize(text)
        self.pos = 0
        self.nesting = 0  # inside (), [] or an object newlines are white space

    # tokens
    def peek(self) -> _Token:
        while self.nesting and self.tokens[self.pos].kind == "newline":
            self.pos += 1
        return self.tokens[self.pos]

    def next(self) -> _Token:
        token = self.peek()
        if token.kind != "eof":
            self.pos += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token.kind == "punct" and token.text == text

    def expect(self, text: str) -> _Token:
        token = self.next()
        if token.kind != "punct" or token.text != text:
            raise BakeError(token.offset, f"expected {text!r}, found {_describe(token)}")
        return token

    def line(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    # structure
    def body(self, closing: bool) -> list[tuple[str, Expr] | _Block]:
        items: list[tuple[str, Expr] | _Block] = []
        while True:
            token = self.peek()
            if token.kind == "newline":
                self.pos += 1
                continue
            if token.kind == "eof":
                if closing:
                    raise BakeError(token.offset, "missing '}' at the end of a block")
                return items
            if token.kind == "punct" and token.text == "}" and closing:
                return items
            if token.kind != "ident":
                raise BakeError(token.offset, f"expected an attribute or a block, found {_describe(token)}")
            self.pos += 1
            if self.at("="):
                self.pos += 1
                items.append((token.text, self.expression()))
                end = self.peek()
                if end.kind not in ("newline", "eof") and not (end.kind == "punct" and end.text == "}"):
                    raise BakeError(end.offset, f"expected a new line after attribute {token.text}")
            else:
                items.append(self.block(token))

    def block(self, kind: _Token) -> _Block:
        labels: list[str] = []
        while self.peek().kind in ("string", "ident"):
            labels.append(self.next().text)
        self.expect("{")
        block = _Block(kind.text, tuple(labels), self.line(kind.offset), self.source)
        for item in self.body(closing=True):
            if isinstance(item, tuple):
                block.attributes[item[0]] = item[1]
        self.expect("}")
        return block

    # expressions
    def expression(self) -> Expr:
        start = self.peek().offset
        expr = self.binary()
        if self.at("?"):
            self.pos += 1
            self.expression()
            self.expect(":")
            self.expression()
            return self.opaque(start)
        return expr

    def binary(self) -> Expr:
        start = self.peek().offset
        expr = self.unary()
        combined = False
        while self.peek().kind == "punct" and self.peek().text in _BINARY:
            self.pos += 1
            self.unary()
            combined = True
        return self.opaque(start) if combined else expr

    def unary(self) -> Expr:
        start = self.peek().offset
        if self.at("-") or self.at("!"):
            self.pos += 1
            self.unary()
            return self.opaque(start)
        expr = self.primary()
        traversed = False
        while self.at(".") or self.at("["):
            traversed = True
            if self.next().text == ".":
                self.next()  # an attribute name, an index or *
            else:
                self.nested(self.index)
        return self.opaque(start) if traversed else expr

    def index(self) -> None:
        if self.at("*"):
            self.pos += 1
        else:
            self.expression()
        self.expect("]")

    def primary(self) -> Expr:
        token = self.next()
        if token.kind == "number":
            return _Literal(token.text)
        if token.kind == "string":
            return _template(token.text, token.offset + 1, escapes=True)
        if token.kind == "heredoc":
            return _template(token.text, token.offset, escapes=False)
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return _Literal(token.text)
            if token.text == "null":
                return _Literal(None)
            if self.at("("):
                self.pos += 1
                self.nested(self.call_arguments)
                return self.opaque(token.offset)
            return _Reference(token.text)
        if token.kind == "punct" and token.text == "(":
            return self.nested(self.parenthesised)
        if token.kind == "punct" and token.text == "[":
            return self.nested(lambda: self.sequence(token.offset))
        if token.kind == "punct" and token.text == "{":
            return self.nested(lambda: self.object(token.offset))
        raise BakeError(token.offset, f"expected an expression, found {_describe(token)}")

    def nested(self, parse: _ParseFn) -> Expr:
        """Run ``parse`` with newlines insignificant, as inside brackets."""
        self.nesting += 1
        try:
            return parse() or _Literal(None)
        finally:
            self.nesting -= 1

    def parenthesised(self) -> Expr:
        expr = self.expression()
        self.expect(")")
        return expr

    def call_arguments(self) -> None:
        while not self.at(")"):
            self.expression()
            if self.at("..."):
                self.pos += 1
            if not self.at(")"):
                self.expect(",")
        self.pos += 1

    def sequence(self, start: int) -> Expr:
        if self.peek().kind == "ident" and self.peek().text == "for":
            self.skip_to("]")
            return self.opaque(start)
        items: list[Expr] = []
        while not self.at("]"):
            items.append(self.expression())
            if not self.at("]"):
                self.expect(",")
        self.pos += 1
        return _Tuple(tuple(items))

    def object(self, start: int) -> Expr:
        if self.peek().kind == "ident" and self.peek().text == "for":
            self.skip_to("}")
            return self.opaque(start)
        items: list[tuple[str, Expr]] = []
        while not self.at("}"):
            key = self.next()
            if key.kind not in ("ident", "string", "number"):
                raise BakeError(key.offset, f"expected an object key, found {_describe(key)}")
            if not (self.at("=") or self.at(":")):
                raise BakeError(self.peek().offset, f"expected '=' after {key.text}")
            self.pos += 1
            items.append((key.text, self.expression()))
            if self.at(","):
                self.pos += 1
        self.pos += 1
        return _Object(tuple(items))

    def skip_to(self, closing: str) -> None:
        """Past the bracket that closes the current one (``for`` expressions are not evaluated)."""
        depth = 0
        while True:
            token = self.next()
            if token.kind == "eof":
                raise BakeError(token.offset, f"missing {closing!r}")
            if token.kind == "punct" and token.text in "([{":
                depth += 1
            elif token.kind == "punct" and token.text in ")]}":
                if depth == 0:
                    return
                depth -= 1

    def opaque(self, start: int) -> _Opaque:
        end = self.tokens[self.pos - 1]
        stop = end.offset + max(len(end.text), 1)
        if end.kind == "string":
            stop = end.offset + len(end.text) + 2
        return _Opaque(" ".join(self.text[start:stop].split()))


def _describe(token: _Token) -> str:
    if token.kind == "eof":
        return "the end of the file"
    if token.kind == "newline":
        return "a new line"
    return repr(token.text) if token.kind != "string" else "a string"


def _template(raw: str, offset: int, *, escapes: bool) -> Expr:
    """A string's content (``escapes``: a quoted string, else a heredoc) as literal text and interpolations."""
    parts: list[str | Expr] = []
    text: list[str] = []
    i = 0
    while i < len(raw):
        if raw.startswith(("$${", "%%{"), i):
            text.append(raw[i + 1 : i + 3])
            i += 3
        elif raw.startswith("%{", i):
            return _Opaque(raw)  # template directives (%{if}, %{for}) are not evaluated
        elif raw.startswith("${", i):
            end = _interpolation_end(raw, i + 2)
            inner = raw[i + 2 : end - 1].strip().removeprefix("~").removesuffix("~").strip()
            if text:
                parts.append("".join(text))
                text = []
            parts.append(_inner_expression(inner, offset + i + 2))
            i = end
        elif escapes and raw[i] == "\\" and i + 1 < len(raw):
            i = _escape(raw, i, text)
        else:
            text.append(raw[i])
            i += 1
    if text:
        parts.append("".join(text))
    return _Template(tuple(parts))


def _escape(raw: str, i: int, out: list[str]) -> int:
    code = raw[i + 1]
    if code in _ESCAPES:
        out.append(_ESCAPES[code])
        return i + 2
    width = {"u": 4, "U": 8}.get(code)
    if width and re.fullmatch(r"[0-9A-Fa-f]+", raw[i + 2 : i + 2 + width] or "-"):
        out.append(chr(int(raw[i + 2 : i + 2 + width], 16)))
        return i + 2 + width
    out.append(raw[i : i + 2])
    return i + 2


def _inner_expression(text: str, offset: int) -> Expr:
    try:
        parser = _Parser(text, "", [0])
        parser.nesting = 1
        expr = parser.expression()
        if parser.peek().kind != "eof":
            return _Opaque(text)
        return expr
    except BakeError as exc:
        raise BakeError(offset + exc.offset, exc.message) from None


# -- evaluation --------------------------------------------------------------------------------


class _Evaluator:
    """Values of expressions, with the bake variables' defaults; an unknown name stays ``${NAME}``."""

    def __init__(self, variables: dict[str, Expr | None]) -> None:
        self.variables = variables
        self.values: dict[str, Value] = {}
        self.resolving: set[str] = set()

    def variable(self, name: str) -> Value:
        if name in self.values:
            return self.values[name]
        default = self.variables.get(name)
        if default is None or name in self.resolving:
            return "${" + name + "}"
        self.resolving.add(name)
        try:
            value = self.value(default)
        finally:
            self.resolving.discard(name)
        self.values[name] = value
        return value

    def value(self, expr: Expr) -> Value:
        if isinstance(expr, _Literal):
            return expr.value
        if isinstance(expr, _Reference):
            return self.variable(expr.name)
        if isinstance(expr, _Tuple):
            return [self.value(item) for item in expr.items]
        if isinstance(expr, _Object):
            return {key: self.value(item) for key, item in expr.items}
        if isinstance(expr, _Opaque):
            return "${" + expr.text + "}"
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
            return self.value(expr.parts[0])  # "${VAR}" is VAR's value, whatever its type
        return "".join(part if isinstance(part, str) else self.text(part) for part in expr.parts)

    def text(self, expr: Expr) -> str:
        value = self.value(expr)
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        return "${" + (expr.text if isinstance(expr, _Opaque) else "...") + "}"


def _strings(value: Value) -> list[str]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return [value] if isinstance(value, str) else []


def _string_map(value: Value) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if isinstance(item, str)}


# -- files -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BakeFiles:
    """The builds of the bake files of one directory, and the problems that stopped reading one."""

    paths: tuple[str, ...]
    builds: tuple[Build, ...]
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def bake_order(paths: Iterable[Path]) -> list[Path]:
    """The files in the order bake merges them."""
    return sorted(paths, key=lambda p: (_FILE_ORDER.index(p.name) if p.name in _FILE_ORDER else 99, p.name))


def load_bake(paths: Sequence[Path], root: Path) -> BakeFiles:
    """The targets of the bake files of one directory (``paths``), merged as bake merges them."""
    displays = tuple(relative_path(root, path) for path in paths)
    blocks: list[_Block] = []
    errors: list[Problem] = []
    for path, display in zip(paths, displays, strict=True):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(Problem(display, 1, f"cannot read bake file: {exc}"))
            continue
        lines = _line_starts(text)
        try:
            read = _json_blocks if path.suffix == ".json" else _hcl_blocks
            blocks += read(text, display, lines)
        except BakeError as exc:
            errors.append(Problem(display, bisect_right(lines, exc.offset), exc.message))
    if not paths:
        return BakeFiles((), ())
    base = relative_path(root, paths[0].parent)
    builds, warnings = _builds(blocks, base, root)
    return BakeFiles(displays, tuple(builds), tuple(errors), tuple(warnings))


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _hcl_blocks(text: str, source: str, lines: Sequence[int]) -> list[_Block]:
    parser = _Parser(text, source, lines)
    blocks: list[_Block] = []
    for item in parser.body(closing=False):
        if isinstance(item, _Block):
            blocks.append(item)
        else:  # a top-level attribute is a variable with that default
            name, expr = item
            blocks.append(_Block("variable", (name,), 1, source, {"default": expr}))
    return blocks


def _json_blocks(text: str, source: str, lines: Sequence[int]) -> list[_Block]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BakeError(exc.pos, f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise BakeError(0, "a bake file holds a JSON object")
    blocks: list[_Block] = []
    for kind in ("variable", "group", "target"):
        section = data.get(kind)
        if not isinstance(section, dict):
            continue
        kind_at = text.find(f'"{kind}"')
        for name, body in section.items():
            if not isinstance(body, dict):
                raise BakeError(max(kind_at, 0), f"{kind} {name!r} must be a JSON object")
            at = re.compile(rf'"{re.escape(name)}"\s*:\s*\{{').search(text, max(kind_at, 0))
            line = bisect_right(lines, at.start()) if at else 1
            attributes = {key: _json_expr(value) for key, value in body.items()}
            blocks.append(_Block(kind, (name,), line, source, attributes))
    return blocks


def _json_expr(value: object) -> Expr:
    """JSON values as expressions: bake interpolates ``${...}`` in the strings of JSON files too."""
    if isinstance(value, str):
        return _template(value, 0, escapes=False)
    if isinstance(value, list):
        return _Tuple(tuple(_json_expr(item) for item in value))
    if isinstance(value, dict):
        return _Object(tuple((str(key), _json_expr(item)) for key, item in value.items()))
    if isinstance(value, bool):
        return _Literal("true" if value else "false")
    return _Literal(None if value is None else str(value))


def _builds(blocks: Sequence[_Block], base: str, root: Path) -> tuple[list[Build], list[Problem]]:
    variables: dict[str, Expr | None] = {}
    targets: dict[str, list[_Block]] = {}
    grouped: set[str] = set()
    for block in blocks:
        name = block.labels[0] if block.labels else ""
        if block.kind == "variable" and name:
            variables[name] = block.attributes.get("default", variables.get(name))
        elif block.kind == "target" and name:
            targets.setdefault(name, []).append(block)
    evaluator = _Evaluator(variables)
    for block in blocks:
        if block.kind == "group" and "targets" in block.attributes:
            grouped.update(_strings(evaluator.value(block.attributes["targets"])))
    warnings: list[Problem] = []
    resolved: dict[str, dict[str, Value]] = {}
    for name in targets:
        _target_attributes(name, targets, evaluator, resolved, warnings, ())
    parents = {p for name, attrs in resolved.items() for p in _strings(attrs.get("inherits")) if p != name}
    builds: list[Build] = []
    for name, attrs in resolved.items():
        if (name in parents and name not in grouped) or "dockerfile-inline" in attrs:
            continue
        first = targets[name][0]
        context = attrs.get("context")
        context = context if isinstance(context, str) else "."
        if is_remote_context(context):
            continue
        dockerfile = attrs.get("dockerfile")
        context_rel = under(root, base, context)
        target = attrs.get("target")
        builds.append(
            Build(
                source=first.source,
                line=first.line,
                kind="bake",
                name=name,
                dockerfile=under(root, context_rel, dockerfile if isinstance(dockerfile, str) else "Dockerfile"),
                context=context_rel,
                tags=tuple(dict.fromkeys(_strings(attrs.get("tags")))),
                args=_string_map(attrs.get("args")),
                target=target if isinstance(target, str) else None,
                contexts=_string_map(attrs.get("contexts")),
                order=len(builds),
            )
        )
    return builds, warnings


def _target_attributes(
    name: str,
    targets: dict[str, list[_Block]],
    evaluator: _Evaluator,
    resolved: dict[str, dict[str, Value]],
    warnings: list[Problem],
    chain: tuple[str, ...],
) -> dict[str, Value]:
    """A target's attributes with what it inherits, parents first (maps merged, the rest replaced)."""
    if name in resolved:
        return resolved[name]
    own: dict[str, Value] = {}
    for block in targets[name]:
        for key, expr in block.attributes.items():
            _merge(own, key, evaluator.value(expr))
    result: dict[str, Value] = {}
    for parent in _strings(own.get("inherits")):
        block = targets[name][0]
        if parent in chain or parent == name:
            warnings.append(Problem(block.source, block.line, f"target {name} inherits itself through {parent}"))
            continue
        if parent not in targets:
            warnings.append(Problem(block.source, block.line, f"target {name} inherits unknown target {parent}"))
            continue
        if len(chain) < _MAX_DEPTH:
            parent_attrs = _target_attributes(parent, targets, evaluator, resolved, warnings, (*chain, name))
            for key, value in parent_attrs.items():
                if key != "inherits":
                    _merge(result, key, value)
    for key, value in own.items():
        _merge(result, key, value)
    resolved[name] = result
    return result


def _merge(into: dict[str, Value], key: str, value: Value) -> None:
    current = into.get(key)
    if key in _MERGED_MAPS and isinstance(current, dict) and isinstance(value, dict):
        into[key] = {**current, **value}
    else:
        into[key] = value
