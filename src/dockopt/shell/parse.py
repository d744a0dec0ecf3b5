"""Shell text of a RUN (or shell-form CMD/ENTRYPOINT) -> commands with argv, flags and positions.

tree-sitter-bash does the parsing; this module flattens its tree into the simple commands a rule
asks about, with quotes removed, wrappers (``sudo``, ``env A=b``, ``nohup``, ``time``,
``timeout N``) unwrapped, ``sh -c '...'`` bodies parsed too, and every word mapped back to a
character offset in the Dockerfile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter as ts
import tree_sitter_bash

_LANGUAGE = ts.Language(tree_sitter_bash.language())


@lru_cache(maxsize=1)
def _parser() -> ts.Parser:
    return ts.Parser(_LANGUAGE)


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Word:
    """One shell word: ``text`` with quotes and escapes removed, ``raw`` as written."""

    text: str
    raw: str
    start: int  # character offset in the Dockerfile
    end: int
    quoted: bool = False
    dynamic: bool = False  # contains $VAR, $(...), `...` or a glob the shell expands

    @property
    def is_flag(self) -> bool:
        return self.text.startswith("-") and self.text != "-" and not self.quoted


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Redirect:
    operator: str  # ">", ">>", "2>&1", "<", ...
    target: Word | None
    start: int
    end: int


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Command:
    """A simple command after unwrapping: ``sudo -E pip install x`` has name ``pip``."""

    name: str
    argv: tuple[Word, ...]  # argv[0] is the command name word
    start: int
    end: int
    wrappers: tuple[str, ...] = ()  # e.g. ("sudo",) or ("env",)
    assignments: tuple[tuple[str, str], ...] = ()  # FOO=bar prefixes and env A=b
    redirects: tuple[Redirect, ...] = ()
    in_pipeline: bool = False  # part of `a | b`
    pipeline_index: int = 0  # position inside its pipeline
    negated: bool = False
    conditional: bool = False  # inside if/while/case/||, may not run
    in_subshell: bool = False
    nested: bool = False  # found inside `sh -c "..."` or $(...)
    # has_flag's index of the arguments: long flags (before any "="), short flags (bundles split)
    _flags: tuple[frozenset[str], frozenset[str]] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def args(self) -> tuple[Word, ...]:
        return self.argv[1:]

    def has_flag(self, *names: str) -> bool:
        """True when any of ``names`` (``-y``, ``--yes``, ``--no-cache-dir``) is given.

        Short flags also match inside a bundle (``-qy`` has ``-y``); long flags match
        ``--name`` and ``--name=value``.
        """
        index = self._flags
        if index is None:
            index = self._flags = _flag_index(self.args)
        long_flags, short_flags = index
        for name in names:
            if name.startswith("--"):
                if name in long_flags or ("=" in name and self._has_word(name)):
                    return True
            elif len(name) == 2 and name in short_flags:
                return True
        return False

    def _has_word(self, name: str) -> bool:
        return any(word.text == name or word.text.startswith(name + "=") for word in self.args)

    def flag_value(self, *names: str) -> str | None:
        """The value of ``--name=value``, ``--name value`` or ``-n value`` (last one wins)."""
        found: str | None = None
        words = self.args
        for i, word in enumerate(words):
            for name in names:
                if word.text == name and i + 1 < len(words):
                    found = words[i + 1].text
                elif name.startswith("--") and word.text.startswith(name + "="):
                    found = word.text[len(name) + 1 :]
                elif len(name) == 2 and len(word.text) > 2 and word.text.startswith(name) and word.text[1] != "-":
                    found = word.text[2:]
        return found

    def positional(self, takes_value: frozenset[str] = frozenset()) -> list[Word]:
        """Arguments that are not flags; ``takes_value`` names flags that consume the next word."""
        result: list[Word] = []
        skip = False
        end_of_flags = False
        for word in self.args:
            if skip:
                skip = False
                continue
            if not end_of_flags and word.text == "--" and not word.quoted:
                end_of_flags = True
                continue
            if not end_of_flags and word.is_flag:
                if word.text in takes_value:
                    skip = True
                continue
            result.append(word)
        return result

    @property
    def subcommand(self) -> str | None:
        """The first non-flag argument (``install`` in ``apt-get -q install``)."""
        for word in self.args:
            if not word.is_flag:
                return word.text
        return None


def _flag_index(args: tuple[Word, ...]) -> tuple[frozenset[str], frozenset[str]]:
    long_flags: set[str] = set()
    short_flags: set[str] = set()
    for word in args:
        text = word.text
        if not text.startswith("-"):
            continue  # a quoted word counts only when it is a flag
        if text.startswith("--"):
            long_flags.add(text.partition("=")[0])
            continue
        short_flags.add(text)
        if text[1:].isalpha():  # a bundle of single-letter flags, such as -qy
            short_flags.update("-" + letter for letter in text[1:])
    return frozenset(long_flags), frozenset(short_flags)


@dataclass(slots=True)
class Script:
    """The commands of one shell text, in source order."""

    text: str
    commands: list[Command] = field(default_factory=list)
    set_options: frozenset[str] = frozenset()  # from `set -eux`, `set -o pipefail`
    has_pipe: bool = False
    has_error: bool = False

    def find(self, *names: str) -> Iterator[Command]:
        for command in self.commands:
            if command.name in names:
                yield command


# Wrappers whose argv after their own options is another command. Values: options taking a value.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "--user", "--group"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "command": frozenset(),
    "exec": frozenset({"-a"}),
    "xargs": frozenset({"-n", "-I", "-P", "-L", "-d", "-a", "-s", "-E"}),
    "chroot": frozenset(),
    "unbuffer": frozenset(),
}
# Wrappers that take one positional argument before the command (timeout DURATION cmd).
_WRAPPER_POSITIONALS = {"timeout": 1, "chroot": 1}
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/bash"})


def parse_shell(text: str, to_source: Callable[[int], int] | None = None) -> Script:
    """Parse shell text. ``to_source`` maps a character offset in ``text`` to the Dockerfile."""
    mapper = to_source or (lambda offset: offset)
    data = text.encode("utf-8")
    tree = parse_tree(data)
    builder = _Builder(text, data, mapper)
    builder.visit(tree.root_node, _Ctx())
    script = Script(text=text, commands=builder.commands, set_options=frozenset(builder.set_options))
    script.has_pipe = builder.has_pipe
    script.has_error = tree.root_node.has_error
    return script


def bash_query(source: str) -> ts.Query:
    """A tree-sitter query over tree-sitter-bash trees (matched in C: faster than walking nodes in Python)."""
    return ts.Query(_LANGUAGE, source)


# The fixes of several rules read the structure of a RUN the model parsed already: the last trees are kept.
_TREES: dict[bytes, ts.Tree] = {}
_TREES_KEPT = 512


def parse_tree(data: bytes) -> ts.Tree:
    """tree-sitter-bash's tree of ``data`` (UTF-8 shell text); trees of recent texts are reused, never edited."""
    tree = _TREES.get(data)
    if tree is None:
        if len(_TREES) >= _TREES_KEPT:
            del _TREES[next(iter(_TREES))]
        tree = _TREES[data] = _parser().parse(data)
    return tree


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class _Ctx:
    conditional: bool = False
    in_subshell: bool = False
    nested: bool = False
    in_pipeline: bool = False
    pipeline_index: int = 0
    negated: bool = False
    redirects: tuple[Redirect, ...] = ()
    extra_words: tuple[Word, ...] = ()  # words tree-sitter put after a redirect target: still arguments

    def but(self, **changes: object) -> _Ctx:
        copy = _Ctx(
            self.conditional, self.in_subshell, self.nested, self.in_pipeline, self.pipeline_index, self.negated,
            self.redirects, self.extra_words,
        )  # fmt: skip
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy


class _Builder:
    def __init__(self, text: str, data: bytes, to_source: Callable[[int], int]) -> None:
        self.text = text
        self.data = data
        self.to_source = to_source
        self.ascii = len(data) == len(text)
        self.commands: list[Command] = []
        self.set_options: set[str] = set()
        self.has_pipe = False

    def char(self, byte_offset: int) -> int:
        if self.ascii:
            return byte_offset
        return len(self.data[:byte_offset].decode("utf-8", errors="replace"))

    def src(self, byte_offset: int) -> int:
        return self.to_source(self.char(byte_offset))

    def src_end(self, byte_offset: int) -> int:
        char = self.char(byte_offset)
        return self.to_source(char - 1) + 1 if char > 0 else self.to_source(0)

    def node_text(self, node: ts.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    # -- traversal -------------------------------------------------------------------------
    def visit(self, node: ts.Node, ctx: _Ctx) -> None:
        kind = node.type
        if kind == "command":
            self.command(node, ctx)
            return
        if kind == "pipeline":
            self.has_pipe = True
            for index, child in enumerate(node.named_children):
                self.visit(child, ctx.but(in_pipeline=True, pipeline_index=index))
            return
        if kind == "redirected_statement":
            redirects: list[Redirect] = []
            extra: list[Word] = []
            for child in node.named_children:
                if child.type.endswith("redirect"):
                    redirect, trailing = self.redirect(child)
                    redirects.append(redirect)
                    extra.extend(trailing)
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(body, ctx.but(redirects=ctx.redirects + tuple(redirects), extra_words=tuple(extra)))
            return
        if kind == "declaration_command":
            self.declaration(node, ctx)
            return
        if kind == "list":
            self.visit_list(node, ctx)
            return
        if kind in ("if_statement", "while_statement", "case_statement", "elif_clause", "else_clause"):
            for child in node.named_children:
                self.visit(child, ctx.but(conditional=True))
            return
        if kind == "subshell":
            for child in node.named_children:
                self.visit(child, ctx.but(in_subshell=True))
            return
        if kind == "negated_command":
            for child in node.named_children:
                self.visit(child, ctx.but(negated=True))
            return
        if kind in ("command_substitution", "process_substitution"):
            for child in node.named_children:
                self.visit(child, ctx.but(nested=True, in_pipeline=False, redirects=()))
            return
        if kind == "function_definition":
            return  # a function body runs only when called; not modelled
        for child in node.named_children:
            self.visit(child, ctx)

    def visit_list(self, node: ts.Node, ctx: _Ctx) -> None:
        # `a && b || c`: what follows `||` runs only when the left side failed.
        conditional = ctx.conditional
        redirects = ctx.redirects
        children = node.children
        named = [c for c in children if c.is_named]
        for i, child in enumerate(children):
            if not child.is_named:
                if child.type == "||":
                    conditional = True
                continue
            last = child is named[-1]
            self.visit(
                child,
                ctx.but(
                    conditional=conditional,
                    redirects=redirects if last else (),
                    extra_words=ctx.extra_words if last else (),
                ),
            )
            _ = i

    def redirect(self, node: ts.Node) -> tuple[Redirect, list[Word]]:
        """The redirect, and the words after its target (bash reads those as command arguments)."""
        operator_parts: list[str] = []
        target: Word | None = None
        trailing: list[Word] = []
        for child in node.children:
            if child.type in _WORD_NODES:
                if target is None:
                    target = self.word(child)
                else:
                    trailing.append(self.word(child))
            elif child.type == "file_descriptor" or not child.is_named or child.type == "heredoc_start":
                operator_parts.append(self.node_text(child))
        end = target.end if target is not None else self.src_end(node.end_byte)
        return Redirect("".join(operator_parts), target, self.src(node.start_byte), end), trailing

    def command(self, node: ts.Node, ctx: _Ctx) -> None:
        assignments: list[tuple[str, str]] = []
        words: list[Word] = []
        redirects = list(ctx.redirects)
        for child in node.named_children:
            kind = child.type
            if kind == "variable_assignment":
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                name = self.node_text(name_node) if name_node else ""
                value = self.word(value_node).text if value_node else ""
                assignments.append((name, value))
            elif kind == "command_name":
                inner = child.named_children[0] if child.named_children else child
                words.append(self.word(inner))
            elif kind.endswith("redirect"):
                redirect, trailing = self.redirect(child)
                redirects.append(redirect)
                words.extend(trailing)
            elif kind in ("command_substitution", "process_substitution"):
                words.append(self.word(child))
                self.visit(child, ctx)
            else:
                word = self.word(child)
                words.append(word)
                if "(" in word.raw or "`" in word.raw:  # else it holds no $(...), `...`, <(...) or >(...)
                    for sub in _substitutions(child):
                        self.visit(sub, ctx.but(nested=True, in_pipeline=False, redirects=()))
        words.extend(ctx.extra_words)
        if not words:
            return
        self.emit(words, assignments, redirects, node, ctx)

    def declaration(self, node: ts.Node, ctx: _Ctx) -> None:
        """``export A=1 B``: a command named ``export`` whose assignments a later command inherits."""
        words: list[Word] = []
        assignments: list[tuple[str, str]] = []
        for child in node.children:
            if child.type == "variable_assignment":
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                name = self.node_text(name_node) if name_node else ""
                assignments.append((name, self.word(value_node).text if value_node else ""))
            words.append(self.word(child))
        if words:
            self.emit(words, assignments, list(ctx.redirects), node, ctx)

    def emit(
        self,
        words: list[Word],
        assignments: list[tuple[str, str]],
        redirects: list[Redirect],
        node: ts.Node,
        ctx: _Ctx,
    ) -> None:
        wrappers: list[str] = []
        while words and _basename(words[0].text) in _WRAPPERS and len(words) > 1:
            wrapper = _basename(words[0].text)
            takes_value = _WRAPPERS[wrapper]
            rest = words[1:]
            positionals = _WRAPPER_POSITIONALS.get(wrapper, 0)
            i = 0
            while i < len(rest):
                text = rest[i].text
                if wrapper == "env" and "=" in text and not text.startswith("-"):
                    name, _, value = text.partition("=")
                    assignments.append((name, value))
                    i += 1
                    continue
                if text.startswith("-") and text != "-":
                    i += 2 if text in takes_value else 1
                    continue
                if positionals and wrapper in _WRAPPER_POSITIONALS:
                    positionals -= 1
                    i += 1
                    continue
                break
            if i >= len(rest):
                break
            wrappers.append(wrapper)
            words = rest[i:]
        name = _basename(words[0].text)
        if name == "set":
            self.record_set(words)
        command = Command(  # positional, in field order: name, argv, start, end, wrappers, assignments, ...
            name,
            tuple(words),
            self.src(node.start_byte),
            self.src_end(node.end_byte),
            tuple(wrappers),
            tuple(assignments),
            tuple(redirects),
            ctx.in_pipeline,
            ctx.pipeline_index,
            ctx.negated,
            ctx.conditional,
            ctx.in_subshell,
            ctx.nested,
        )
        self.commands.append(command)
        if name in _SHELLS or words[0].text in _SHELLS:
            self.nested_shell(words, ctx)

    def nested_shell(self, words: list[Word], ctx: _Ctx) -> None:
        """Parse the script of ``sh -c '...'`` as commands too."""
        for i, word in enumerate(words[1:-1], start=1):
            if word.text.startswith("-") and "c" in word.text[1:] and not word.text.startswith("--"):
                body = words[i + 1]
                if body.dynamic:
                    return
                offset = 1 if body.raw[:1] in ("'", '"') else 0
                base = body.start + offset
                inner = parse_shell(body.text, _shifted(base))
                for command in inner.commands:
                    self.commands.append(_replace_nested(command, ctx))
                self.set_options |= inner.set_options
                self.has_pipe = self.has_pipe or inner.has_pipe
                return

    def record_set(self, words: list[Word]) -> None:
        args = words[1:]
        for i, word in enumerate(args):
            text = word.text
            if text == "-o" and i + 1 < len(args):
                self.set_options.add(args[i + 1].text)
            elif text.startswith("-") and not text.startswith("--"):
                self.set_options.update(text[1:])
            elif text.startswith("-o"):
                self.set_options.add(text[2:])

    def word(self, node: ts.Node) -> Word:
        start, end = node.start_byte, node.end_byte
        raw = self.data[start:end].decode("utf-8", errors="replace")
        first, last = self.src(start), self.src_end(end)
        if node.type == "word":  # most words: no quotes, no expansion
            text, dynamic = _bare(raw)
            return Word(text, raw, first, last, False, dynamic)
        text, quoted, dynamic = _unquote(node, self, raw)
        return Word(text, raw, first, last, quoted, dynamic)


def _shifted(base: int) -> Callable[[int], int]:
    return lambda offset: base + offset


def _replace_nested(command: Command, ctx: _Ctx) -> Command:
    return Command(
        name=command.name,
        argv=command.argv,
        start=command.start,
        end=command.end,
        wrappers=command.wrappers,
        assignments=command.assignments,
        redirects=command.redirects,
        in_pipeline=command.in_pipeline or ctx.in_pipeline,
        pipeline_index=command.pipeline_index,
        negated=command.negated,
        conditional=command.conditional or ctx.conditional,
        in_subshell=command.in_subshell,
        nested=True,
    )


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1] if "/" in text else text


def _substitutions(node: ts.Node) -> Iterator[ts.Node]:
    for child in node.named_children:
        if child.type in ("command_substitution", "process_substitution"):
            yield child
        else:
            yield from _substitutions(child)


_DYNAMIC = frozenset(
    {"simple_expansion", "expansion", "command_substitution", "process_substitution", "arithmetic_expansion"}
)
_WORD_NODES = frozenset({"word", "string", "raw_string", "concatenation", "number", "simple_expansion", "expansion"})


def _unquote(node: ts.Node, builder: _Builder, raw: str | None = None) -> tuple[str, bool, bool]:
    """(text without quotes, was quoted, contains expansions); ``raw`` is the node's text when known."""
    kind = node.type
    if raw is None:
        raw = builder.node_text(node)
    if kind == "raw_string":
        return raw[1:-1], True, False
    if kind == "string":
        parts: list[str] = []
        dynamic = False
        inner_start = node.start_byte + 1
        inner_end = node.end_byte - 1 if raw.endswith('"') and len(raw) > 1 else node.end_byte
        cursor = inner_start
        for child in node.named_children:
            if child.type in _DYNAMIC:
                dynamic = True
            if child.start_byte > cursor:
                parts.append(_unescape_double(builder.data[cursor : child.start_byte].decode("utf-8", "replace")))
            if child.type == "string_content":
                parts.append(_unescape_double(builder.node_text(child)))
            else:
                parts.append(builder.node_text(child))
            cursor = child.end_byte
        if inner_end > cursor:
            parts.append(_unescape_double(builder.data[cursor:inner_end].decode("utf-8", "replace")))
        return "".join(parts), True, dynamic
    if kind == "ansi_c_string":
        return raw[2:-1], True, False
    if kind == "concatenation":
        texts = []
        quoted = False
        dynamic = False
        for child in node.children:
            text, q, d = _unquote(child, builder)
            texts.append(text)
            quoted = quoted or q
            dynamic = dynamic or d
        return "".join(texts), quoted, dynamic
    if kind in _DYNAMIC:
        return raw, False, True
    if kind == "word":
        text, dynamic = _bare(raw)
        return text, False, dynamic
    return raw, False, False


def _bare(raw: str) -> tuple[str, bool]:
    """An unquoted word: its text, and whether the shell expands it as a glob."""
    return _unescape_bare(raw), ("*" in raw or "?" in raw or "[" in raw) and not raw.startswith("-")


def _unescape_bare(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _unescape_double(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)
