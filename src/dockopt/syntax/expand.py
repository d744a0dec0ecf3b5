"""Variable expansion as BuildKit applies it, as a pass separate from parsing.

Two layers:

* the word expander, ``expand_word`` / ``expand_words``: the semantics of BuildKit's shell lexer
  (``frontend/dockerfile/shell/lex.go``, ``ProcessWord`` / ``ProcessWords``): ``$VAR``, ``${VAR}``,
  the ``-`` ``+`` ``?`` modifiers with and without ``:``, prefix/suffix removal (``#`` ``##`` ``%``
  ``%%``), substitution (``/`` ``//``), single and double quotes, and the Dockerfile's escape
  character. Unset variables expand to the empty string and are reported by name. Errors are
  returned in the result, never raised.
* ``resolve``: BuildKit's scoping of ARG and ENV over a parsed Dockerfile (``dockerfile2llb``):
  the environment in force at every instruction, and the expanded values of the instructions
  BuildKit expands itself. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD bodies are left
  alone: a shell (or a later build) expands them.

Scoping, as BuildKit does it:

* ARGs before the first FROM are global and usable only in FROM lines (image and ``--platform``),
  together with the automatic platform args (``TARGETARCH``, ``BUILDPLATFORM``, ...).
* In a stage, ``ARG NAME`` without a value takes the build arg, else the global value; with a
  value, the build arg overrides its default. A value is visible from the declaration on.
* ARG and ENV share one environment in which the later assignment wins: ``ENV`` after ``ARG``
  shadows it (and ``ARG X=1`` after ``ENV X`` wins for the rest of the build, as in BuildKit).
* A stage built ``FROM <earlier stage>`` starts with that stage's final environment, ARG values
  included (BuildKit carries the whole build state over), and its declared ARG names.
* Other stages start with ``PATH``: the base image's ENV is not known here, and BuildKit sets
  its default ``PATH`` when the image has none.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from dockopt.syntax.nodes import Dockerfile, Instruction
from dockopt.syntax.source import go_fields, is_go_space

T = TypeVar("T")

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_MAX_NESTING = 64  # ${a:-${b:-...}} deeper than this is an error rather than a RecursionError


# -- the word expander ------------------------------------------------------------------------


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Expanded(Generic[T]):
    """The result of expanding one word: the value, and what it referred to.

    ``value`` is the expanded text (``expand_word``) or the list of words (``expand_words``);
    it is empty when ``error`` is set. ``used`` holds the names that were set, ``unset`` the names
    that were referenced while unset (``${X:-d}`` counts: BuildKit reports it too).
    """

    value: T
    used: frozenset[str] = frozenset()
    unset: frozenset[str] = frozenset()
    error: str | None = None


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> Expanded[str]:
    """Expand ``word`` as BuildKit's ``ProcessWord``: quotes removed, spaces kept."""
    if not _needs_lexer(word, escape):
        return Expanded(word, frozenset(), frozenset(), None)  # most words: nothing to expand or unquote
    lexer = _Lexer(word, env, escape)
    text, _, error = lexer.run()
    return Expanded(text, frozenset(lexer.used), frozenset(lexer.unset), error)


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> Expanded[tuple[str, ...]]:
    """Expand ``text`` as BuildKit's ``ProcessWords``: split on unquoted spaces (also those
    produced by a variable's value), then quotes removed."""
    if not _needs_lexer(text, escape):
        return Expanded(tuple(go_fields(text)), frozenset(), frozenset(), None)
    lexer = _Lexer(text, env, escape)
    _, words, error = lexer.run()
    return Expanded(words, frozenset(lexer.used), frozenset(lexer.unset), error)


def _needs_lexer(text: str, escape: str) -> bool:
    return "$" in text or "'" in text or '"' in text or escape in text


class _LexError(Exception):
    """Internal: stops the lexer; turned into ``Expanded.error`` at the API."""


class _Words:
    """Word splitting as the lexer goes: raw parts never split, expanded values do."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.word = ""

    def add_char(self, ch: str) -> None:
        if not is_go_space(ch):
            self.word += ch
        elif self.word:
            self.words.append(self.word)
            self.word = ""

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        self.word += text

    def done(self) -> tuple[str, ...]:
        return (*self.words, self.word) if self.word else tuple(self.words)


class _Lexer:
    """One pass over a word; ``""`` from ``peek``/``next`` means end of input."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.raw_escapes = False
        self.depth = 0
        self.used: set[str] = set()
        self.unset: set[str] = set()

    def run(self) -> tuple[str, tuple[str, ...], str | None]:
        """The whole text as one word and as words, or the error that stopped the lexer."""
        try:
            text, words = self.until(None, raw_escapes=False)
        except _LexError as exc:
            return "", (), str(exc)
        return text, words.done(), None

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += len(ch)
        return ch

    def lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.used.add(name)
            return self.env[name], True
        self.unset.add(name)
        return "", False

    def until(self, stop: str | None, raw_escapes: bool) -> tuple[str, _Words]:
        """Read up to ``stop`` (consumed) or the end; ``raw_escapes`` keeps escape characters."""
        self.depth += 1
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            if self.depth > _MAX_NESTING:
                raise _LexError("expansion nested too deeply")
            return self._until(stop)
        finally:
            self.raw_escapes = saved
            self.depth -= 1

    def _until(self, stop: str | None) -> tuple[str, _Words]:
        result: list[str] = []
        words = _Words()
        while ch := self.peek():
            if ch == stop:
                self.pos += 1
                return "".join(result), words
            if ch == "$":
                part = self.dollar()
                words.add_string(part)
            elif ch in "'\"":
                part = self.single_quoted() if ch == "'" else self.double_quoted()
                words.add_raw(part)
            else:
                part = self.plain(words)
            result.append(part)
        if stop is not None:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words

    def plain(self, words: _Words) -> str:
        """An unquoted character; the escape character makes the next one literal."""
        ch = self.next()
        if ch != self.escape:
            words.add_char(ch)
            return ch
        kept = ch if self.raw_escapes else ""
        escaped = self.next()
        words.add_raw(kept + escaped)
        return kept + escaped

    def single_quoted(self) -> str:
        self.pos += 1
        end = self.text.find("'", self.pos)
        if end < 0:
            raise _LexError("unexpected end of statement while looking for matching single-quote")
        content = self.text[self.pos : end]
        self.pos = end + 1
        return content

    def double_quoted(self) -> str:
        self.pos += 1
        result: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.pos += 1
                return "".join(result)
            if ch == "$":
                result.append(self.dollar())
                continue
            self.pos += 1
            if ch == self.escape:
                if self.raw_escapes:
                    result.append(ch)
                following = self.peek()
                if not following:
                    continue  # the missing closing quote is reported on the next turn
                if following in ('"', "$", self.escape):  # the only characters it escapes here
                    ch = self.next()
            result.append(ch)

    def name(self) -> str:
        """A variable name: letters, digits and _, or a run of digits, or one special parameter."""
        ch = self.peek()
        if ch.isdecimal():
            start = self.pos
            while self.peek().isdecimal():
                self.pos += 1
            return self.text[start : self.pos]
        if ch in _SPECIAL_PARAMS:
            self.pos += 1
            return ch
        start = self.pos
        while (ch := self.peek()) and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.pos += 1
        return self.text[start : self.pos]

    def dollar(self) -> str:
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            return self.lookup(name)[0] if name else "$"
        self.pos += 1
        ch = self.peek()
        if not ch:
            raise _LexError("syntax error: missing '}'")
        if ch in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if not ch:
            raise _LexError("syntax error: missing '}'")
        if ch == "}":
            return self.lookup(name)[0]
        if ch == "/":
            return self.substitute(name)
        if ch == ":":
            return self.modifier(name, self.next(), null_is_unset=True)
        if ch in "+-?#%":
            return self.modifier(name, ch, null_is_unset=False)
        raise _LexError(f"unsupported modifier ({ch}) in substitution")

    def operand(self, stop: str, raw_escapes: bool, missing: str) -> str:
        try:
            text, _ = self.until(stop, raw_escapes)
        except _LexError as exc:
            if not self.peek():
                raise _LexError(f"syntax error: missing {missing}") from exc
            raise
        return text

    def modifier(self, name: str, op: str, null_is_unset: bool) -> str:
        """``${name<op>word}`` and ``${name:<op>word}`` after the operator."""
        word = self.operand("}", raw_escapes=op in ("#", "%"), missing="'}'")
        value, is_set = self.lookup(name)
        empty = not is_set or (null_is_unset and value == "")
        if op == "-":
            return word if empty else value
        if op == "+":
            return "" if empty else word
        if op == "?":
            if empty:
                default = "is not allowed to be unset" if not is_set else "is not allowed to be empty"
                raise _LexError(f"{name}: {word or default}")
            return value
        if op in ("#", "%"):
            greedy = word.startswith(op)
            pattern = word[1:] if greedy else word
            return _trim_suffix(pattern, value, greedy) if op == "%" else _trim_prefix(pattern, value, greedy)
        raise _LexError(f"unsupported modifier ({':' if null_is_unset else ''}{op}) in substitution")

    def substitute(self, name: str) -> str:
        """``${name/pattern/replacement}``, or every match with ``//``."""
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        pattern = self.operand("/", raw_escapes=True, missing="'/' in ${}")
        replacement = self.operand("}", raw_escapes=True, missing="'}'")
        value, _ = self.lookup(name)
        regex = _pattern_regex(pattern, greedy=True, anchored=False)
        if not replace_all:
            match = regex.search(value)
            return value if match is None else value[: match.start()] + replacement + value[match.end() :]
        return _replace_all(regex, value, replacement)


def _pattern_tokens(pattern: str) -> list[str]:
    """Split a shell pattern into characters, keeping ``\\x`` pairs together."""
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        step = 2 if pattern[i] == "\\" and i + 1 < len(pattern) else 1
        tokens.append(pattern[i : i + step])
        i += step
    return tokens


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """A shell wildcard pattern (``*``, ``?``, ``\\`` escapes; no brackets) as a regex."""
    out = ["^"] if anchored else []
    for token in _pattern_tokens(pattern):
        if token == "*":
            out.append(".*" if greedy else ".*?")
        elif token == "?":
            out.append(".")
        elif token in ("\\}", "\\/"):
            out.append(re.escape(token[1]))  # escaped only to get past the ${} syntax
        elif token.startswith("\\"):
            if token[1:] not in ("*", "?", "\\"):
                raise _LexError(f"invalid pattern ({pattern}) in substitution: invalid escape '{token}'")
            out.append(token)
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _pattern_regex(pattern, greedy, anchored=True).search(value)
    return value if match is None else value[match.end() :]


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # A regex finds the leftmost match only: reverse pattern and value to find the rightmost.
    reversed_pattern = "".join(reversed(_pattern_tokens(pattern)))
    return _trim_prefix(reversed_pattern, value[::-1], greedy)[::-1]


def _replace_all(regex: re.Pattern[str], value: str, replacement: str) -> str:
    """Go's ReplaceAllString with a literal replacement: an empty match right after a match is skipped."""
    out: list[str] = []
    last = 0
    previous_end = -1
    for match in regex.finditer(value):
        if match.start() == match.end() == previous_end:
            continue
        out.append(value[last : match.start()])
        out.append(replacement)
        last = previous_end = match.end()
    out.append(value[last:])
    return "".join(out)


# -- BuildKit's scoping over a Dockerfile ------------------------------------------------------


class Origin(Enum):
    ARG = "arg"
    ENV = "env"
    IMAGE = "image"  # PATH, as BuildKit sets it for a base image without one


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Variable:
    """A variable in force: its expanded value and where it came from.

    ``instruction`` is the ARG/ENV that set it; None for the automatic platform args and PATH.
    """

    name: str
    value: str
    origin: Origin
    instruction: Instruction | None = field(default=None, compare=False, repr=False)


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class ExpandedInstruction:
    """One instruction with the environment in force at it and its expanded values.

    ``env`` is what the instruction's own expansion sees (before its own effect). ``declared``
    holds the ARG names declared in scope, with or without a value. ``values`` is
    ``Instruction.values`` expanded (ENV/LABEL: key, value, ...; ARG: ``NAME=value`` or ``NAME``;
    EXPOSE: one port per word; FROM: the image only, a stage name is never expanded), or None
    for the instructions BuildKit does not expand. ``flags`` are (name, value) in source order,
    the value expanded where BuildKit expands it (FROM --platform, COPY/ADD --chown/--chmod,
    ADD --checksum, the fields of RUN --mount).
    """

    instruction: Instruction
    stage: int | None  # index into Dockerfile.stages; None before the first FROM
    env: Mapping[str, Variable]
    declared: frozenset[str]
    values: tuple[str, ...] | None
    flags: tuple[tuple[str, str | None], ...]
    unset: frozenset[str]
    errors: tuple[str, ...]

    @property
    def undeclared(self) -> frozenset[str]:
        """Names used while unset and declared by no ARG in scope (BuildKit's UndefinedVar)."""
        return self.unset - self.declared

    def environment(self) -> dict[str, str]:
        """``env`` as plain name -> value."""
        return {name: var.value for name, var in self.env.items()}


@dataclass(frozen=True, slots=True)
class Expansion:
    """``resolve``'s result: every instruction of the Dockerfile in source order, expanded."""

    instructions: tuple[ExpandedInstruction, ...]
    global_env: Mapping[str, Variable]  # what FROM lines see
    _by_id: dict[int, ExpandedInstruction] = field(default_factory=dict, repr=False, compare=False)

    def at(self, instruction: Instruction) -> ExpandedInstruction:
        """The expansion of one instruction of the resolved Dockerfile."""
        if not self._by_id:  # built once, on first use
            self._by_id.update((id(item.instruction), item) for item in self.instructions)
        item = self._by_id.get(id(instruction))
        if item is None or item.instruction is not instruction:
            raise KeyError("the instruction is not part of this expansion")
        return item


def resolve(df: Dockerfile, build_args: Mapping[str, str] | None = None, platform: str = "linux/amd64") -> Expansion:
    """Apply BuildKit's ARG/ENV scoping and expansion to every instruction of ``df``.

    ``platform`` (``os/arch[/variant]``) is both the build and the target platform; it gives the
    automatic args (``TARGETARCH`` ...), which ``build_args`` can override like any other.
    """
    return _Resolver(df, dict(build_args or {}), platform).run()


def _platform_args(platform: str, target_stage: str) -> dict[str, str]:
    os_name, _, rest = platform.partition("/")
    arch, _, variant = rest.partition("/")
    result = {"TARGETSTAGE": target_stage}
    for prefix in ("BUILD", "TARGET"):
        result[f"{prefix}PLATFORM"] = platform
        result[f"{prefix}OS"] = os_name
        result[f"{prefix}OSVERSION"] = ""
        result[f"{prefix}ARCH"] = arch
        result[f"{prefix}VARIANT"] = variant
    return result


@dataclass
class _Scope:
    """The environment of the global scope or of one stage, while resolving."""

    env: dict[str, Variable]
    declared: set[str]

    def copy(self) -> _Scope:
        return _Scope(dict(self.env), set(self.declared))

    def values(self) -> dict[str, str]:
        return {name: var.value for name, var in self.env.items()}


_NOTHING_UNSET: frozenset[str] = frozenset()


class _Collector:
    """Expands the words of one instruction, gathering unset names and errors."""

    def __init__(self, env: Mapping[str, str], escape: str) -> None:
        self.env = env
        self.escape = escape
        self.unset: set[str] = set()
        self.errors: list[str] = []

    def word(self, text: str) -> str:
        if not _needs_lexer(text, self.escape):
            return text  # expand_word's answer, without making its record
        return self._keep(expand_word(text, self.env, self.escape)).value

    def words(self, text: str) -> tuple[str, ...]:
        return self._keep(expand_words(text, self.env, self.escape)).value

    def _keep(self, result: Expanded[T]) -> Expanded[T]:
        self.unset |= result.unset
        if result.error is not None:
            self.errors.append(result.error)
        return result


class _Resolver:
    def __init__(self, df: Dockerfile, build_args: dict[str, str], platform: str) -> None:
        self.df = df
        self.stages = df.stages
        self.build_args = build_args
        target = (self.stages[-1].name or "") if self.stages else ""
        automatic = {k: build_args.get(k, v) for k, v in _platform_args(platform, target).items()}
        self.global_scope = _Scope({k: Variable(k, v, Origin.ARG) for k, v in automatic.items()}, set())
        self.scope = self.global_scope
        self.stage: int | None = None
        self.finished: list[_Scope] = []  # the final scope of each stage before the current one
        self.results: list[ExpandedInstruction] = []
        # The scope as the next instruction sees it, shared by the instructions that change nothing
        # (most of them): made anew only after an ARG, an ENV or a FROM.
        self.snapshot: tuple[dict[str, Variable], frozenset[str], dict[str, str]] | None = None

    def run(self) -> Expansion:
        for ins in self.df.instructions:
            if ins.keyword == "FROM":
                self.from_(ins)
            else:
                self.instruction(ins)
        return Expansion(tuple(self.results), dict(self.global_scope.env))

    def record(
        self,
        ins: Instruction,
        env: Mapping[str, Variable],
        declared: frozenset[str],
        collector: _Collector,
        values: tuple[str, ...] | None,
        flags: tuple[tuple[str, str | None], ...],
    ) -> None:
        self.results.append(
            ExpandedInstruction(
                instruction=ins,
                stage=self.stage,
                env=env,
                declared=declared,
                values=values,
                flags=flags,
                unset=frozenset(collector.unset) if collector.unset else _NOTHING_UNSET,
                errors=tuple(collector.errors) if collector.errors else (),
            )
        )

    def from_(self, ins: Instruction) -> None:
        if self.stage is not None:
            self.finished.append(self.scope)
        self.stage = len(self.finished)
        collector = _Collector(self.global_scope.values(), self.df.escape)
        flags = _expand_flags(ins, collector, frozenset({"platform"}))
        for flag, (name, value) in zip(ins.flags, flags, strict=True):
            if name == "platform" and not value:
                collector.errors.append(f"empty platform value from expression {flag.value or ''}")
        image = collector.word(ins.values[0]) if ins.values else ""
        if not image:
            collector.errors.append(f"base name ({' '.join(ins.values[:1])}) should not be blank")
        scope = self.global_scope
        self.record(ins, dict(scope.env), frozenset(scope.declared), collector, (image, *ins.values[1:]), flags)
        self.scope = self.base_scope(image)
        self.snapshot = None

    def base_scope(self, image: str) -> _Scope:
        """A new stage's scope: an earlier stage's final one, or a base image's PATH."""
        for index in reversed(range(len(self.finished))):
            if self.stages[index].name is not None and self.stages[index].name == image:
                return self.finished[index].copy()
        return _Scope({"PATH": Variable("PATH", DEFAULT_PATH, Origin.IMAGE)}, set())

    def instruction(self, ins: Instruction) -> None:
        if self.snapshot is None:
            scope = self.scope
            self.snapshot = (dict(scope.env), frozenset(scope.declared), scope.values())
        env, declared, visible = self.snapshot
        collector = _Collector(visible, self.df.escape)
        handler = _HANDLERS.get(ins.keyword) if self.stage is not None or ins.keyword == "ARG" else None
        values = handler(self, ins, collector) if handler else None
        if handler is not None and ins.keyword in ("ARG", "ENV"):
            self.snapshot = None
        flags = _expand_flags(ins, collector, _EXPANDED_FLAGS.get(ins.keyword, frozenset())) if ins.flags else ()
        if ins.keyword == "COPY":
            _check_copy_from(ins, collector)
        self.record(ins, env, declared, collector, values, flags)

    # Handlers: expand an instruction's values and apply its effect on the scope.

    def each(self, ins: Instruction, collector: _Collector) -> tuple[str, ...]:
        """Every value expanded on its own, with the environment before the instruction."""
        return tuple(collector.word(value) for value in ins.values)

    def env(self, ins: Instruction, collector: _Collector) -> tuple[str, ...]:
        values = self.each(ins, collector)
        for name, value in zip(values[::2], values[1::2], strict=False):
            self.scope.env[name] = Variable(name, value, Origin.ENV, ins)
        return values

    def expose(self, ins: Instruction, collector: _Collector) -> tuple[str, ...]:
        return tuple(port for value in ins.values for port in collector.words(value))

    def arg(self, ins: Instruction, collector: _Collector) -> tuple[str, ...]:
        values: list[str] = []
        for raw in ins.values:
            name, has_default, default = raw.partition("=")
            collector.env = self.scope.values()  # each ARG sees those before it
            value = self.arg_value(name, default if has_default else None, collector)
            self.scope.declared.add(name)
            if value is not None:
                self.scope.env[name] = Variable(name, value, Origin.ARG, ins)
            values.append(name if value is None else f"{name}={value}")
        return tuple(values)

    def arg_value(self, name: str, default: str | None, collector: _Collector) -> str | None:
        """A build arg wins; then the default; then, in a stage, the global value."""
        if name in self.build_args:
            return self.build_args[name]
        if default is not None:
            return collector.word(default)
        inherited = self.global_scope.env.get(name) if self.stage is not None else None
        return inherited.value if inherited else None


_HANDLERS: dict[str, Callable[[_Resolver, Instruction, _Collector], tuple[str, ...]]] = {
    "ARG": _Resolver.arg,
    "ENV": _Resolver.env,
    "EXPOSE": _Resolver.expose,
    **dict.fromkeys(("ADD", "COPY", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"), _Resolver.each),
}
_EXPANDED_FLAGS = {
    "COPY": frozenset({"chown", "chmod"}),
    "ADD": frozenset({"chown", "chmod", "checksum"}),
    "RUN": frozenset({"mount"}),
}


def _expand_flags(
    ins: Instruction, collector: _Collector, expanded: frozenset[str]
) -> tuple[tuple[str, str | None], ...]:
    result: list[tuple[str, str | None]] = []
    for flag in ins.flags:
        value = flag.value
        if value is not None and flag.name in expanded:
            value = _expand_mount(value, collector) if flag.name == "mount" else collector.word(value)
        result.append((flag.name, value))
    return tuple(result)


def _expand_mount(value: str, collector: _Collector) -> str:
    """RUN --mount: each ``key=value`` field's value is expanded on its own, after the CSV split."""
    fields = next(csv.reader([value]), [])
    expanded = []
    for item in fields:
        key, sep, field_value = item.partition("=")
        expanded.append(f"{key}={collector.word(field_value)}" if sep else item)
    return ",".join(expanded)


def _check_copy_from(ins: Instruction, collector: _Collector) -> None:
    for flag in ins.flags:
        if flag.name == "from" and flag.value and expand_word(flag.value, {}, collector.escape).value != flag.value:
            collector.errors.append(
                "variable expansion is not supported for --from, define a new stage with FROM "
                "using ARG from global scope as a workaround"
            )
