"""Edits inside RUN instructions, shared by the fixes of the build-cache rules (DO101-DO105).

A RUN body can only be extended or shortened safely when its shell structure is known: the top-level
``&&`` chain of a shell-form RUN (``a && b | c && d`` has three elements) is found with tree-sitter-bash
on the text the shell receives, and mapped back to offsets in the Dockerfile. Bodies with shell comments,
``;``, ``||``, ``&`` or newlines at the top level are not chains: appending ``&& x`` to them would change
when ``x`` runs, or land inside a comment.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from dockopt.findings import Edit
from dockopt.rules._insert import line_ending
from dockopt.shell import Command, Script
from dockopt.shell.parse import bash_query, parse_tree
from dockopt.syntax import Dockerfile, Form, Instruction, LineKind
from dockopt.syntax.source import go_rstrip

DEFAULT_INDENT = "    "
# Shell builtins whose effect lasts beyond their command: joined to a later RUN, they would reach it.
STATEFUL_BUILTINS = frozenset(
    {
        "cd", "pushd", "popd", "export", "set", "unset", "source", ".", "umask", "alias", "unalias", "shopt",
        "trap", "exec", "exit", "return", "ulimit", "readonly", "declare", "typeset", "local", "eval", "hash",
        "shift", "enable", "builtin", "break", "continue",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Element:
    """One statement of a top-level ``&&`` chain, as a range of the Dockerfile's text."""

    start: int
    end: int


@dataclass(slots=True)
class Body:
    """The shell text of a shell-form RUN: its top-level structure, in Dockerfile offsets."""

    statements: tuple[Element, ...]  # top-level statements (the elements of a chain, or those split by ;)
    chain: bool  # one statement list joined only by && (a single statement is a chain of one)
    clean_end: bool  # no trailing ;/&, no shell comment: text appended after it stays a separate command
    start: int
    end: int
    root: ts.Node  # the parsed shell, for the questions only some fixes ask
    _stateful: bool | None = None

    @property
    def stateful(self) -> bool:
        """A builtin or assignment at any level whose effect outlives its command (found when first asked)."""
        if self._stateful is None:
            self._stateful = _stateful(self.root)
        return self._stateful


# Several fixes ask for the same RUN's body: each is parsed once. The instruction is kept with its body,
# so its id cannot be reused while the entry exists.
_BODIES: dict[int, tuple[Instruction, Body | None]] = {}
_BODIES_LIMIT = 4096


def body(ins: Instruction) -> Body | None:
    """The structure of a shell-form RUN without heredocs, or None when it cannot be known."""
    known = _BODIES.get(id(ins))
    if known is not None and known[0] is ins:
        return known[1]
    if len(_BODIES) >= _BODIES_LIMIT:
        _BODIES.clear()
    found = _body(ins)
    _BODIES[id(ins)] = (ins, found)
    return found


def _body(ins: Instruction) -> Body | None:
    if ins.keyword != "RUN" or ins.form is not Form.SHELL or ins.heredocs or ins.arguments_span is None:
        return None
    arguments = ins.arguments
    if not arguments:
        return None
    base = len(go_rstrip(ins.logical)) - len(arguments)
    data = arguments.encode("utf-8")
    ascii_only = len(data) == len(arguments)
    offsets = ins.source_offsets(base, len(arguments))  # source offset of each character of the arguments

    def char(byte_offset: int) -> int:
        return byte_offset if ascii_only else len(data[:byte_offset].decode("utf-8", errors="replace"))

    def start_of(node: ts.Node) -> int:
        return offsets[char(node.start_byte)]

    def end_of(node: ts.Node) -> int:
        last = char(node.end_byte) - 1
        return (offsets[last] if last >= 0 else ins.source_offset(base - 1)) + 1

    root = parse_tree(data).root_node
    if root.has_error:
        return None
    named = [c for c in root.children if c.is_named]
    tokens = [c.type for c in root.children if not c.is_named]
    if not named or any(c.type == "comment" for c in named):
        return None
    chain = len(named) == 1 and not tokens
    elements: list[ts.Node] = _flatten(named[0]) if chain else named
    if chain and not elements:
        chain, elements = False, named
    return Body(
        statements=tuple(Element(start_of(n), end_of(n)) for n in elements),
        chain=chain,
        clean_end=root.children[-1].type not in (";", "&") and not (b"#" in data and _has(root, "comment")),
        start=start_of(named[0]),
        end=end_of(named[-1]),
        root=root,
    )


def _flatten(node: ts.Node) -> list[ts.Node]:
    """The elements of an ``&&`` chain (empty when another operator joins them)."""
    if node.type != "list":
        return [node]
    result: list[ts.Node] = []
    for child in node.children:
        if not child.is_named:
            if child.type != "&&":
                return []
            continue
        part = _flatten(child)
        if not part:
            return []
        result.extend(part)
    return result


def _has(node: ts.Node, kind: str) -> bool:
    return node.type == kind or any(_has(child, kind) for child in node.children)


# What can outlive its command: declarations (export, local, ...), functions, unset, assignments that
# are not a command's prefix, and the builtins of STATEFUL_BUILTINS.
_STATEFUL = bash_query(
    "(declaration_command) @lasting (function_definition) @lasting (unset_command) @lasting "
    "(variable_assignment) @assignment (command name: (command_name) @name)"
)


def _stateful(root: ts.Node) -> bool:
    found = ts.QueryCursor(_STATEFUL).captures(root)
    if found.get("lasting"):
        return True
    for node in found.get("assignment", ()):
        if node.parent is None or node.parent.type != "command":
            return True
    return any(
        node.text is not None and node.text.decode("utf-8", "replace") in STATEFUL_BUILTINS
        for node in found.get("name", ())
    )


def lock(df: Dockerfile, offset: int) -> Edit:
    """An edit that rewrites one character as it is: added to a fix, it makes every other fix that touches that
    character (a flag added to the same RUN, by any rule) wait for the next pass instead of being combined
    with this one on text neither of them saw."""
    return Edit(offset, offset + 1, df.text[offset : offset + 1])


def insert_in_header(df: Dockerfile, ins: Instruction, keyword_start: int, text: str) -> Edit | None:
    """Insert ``text`` right before the RUN's command, as one edit over its keyword and flags, so that any other
    fix that changes them conflicts with this one."""
    if ins.arguments_span is None:
        return None
    start = ins.arguments_span.start
    return Edit(keyword_start, start + 1, df.text[keyword_start:start] + text + df.text[start : start + 1])


def flags_key(ins: Instruction) -> tuple[tuple[str, str], ...]:
    """The flags as BuildKit reads them; the fields of a --mount in any order."""
    result = []
    for flag in ins.flags:
        if flag.name == "mount":
            value = ",".join(f"{k}={v}" for k, v in sorted(flag.key_values().items()))
        else:
            value = flag.value or ""
        result.append((flag.name, value))
    return tuple(sorted(result))


def continuation_indent(df: Dockerfile, ins: Instruction) -> str:
    """The indentation of the RUN's continuation lines (four spaces when it has none)."""
    for line in ins.lines[1:]:
        if line.kind is LineKind.CONTENT:
            text = df.source(line.span)
            stripped = text.lstrip(" \t")
            if stripped:
                return text[: len(text) - len(stripped)]
    return DEFAULT_INDENT


def continuation(df: Dockerfile, ins: Instruction) -> str:
    """What ends a line and starts the next inside ``ins``: `` \\``, the line ending, the indentation."""
    return f" {df.escape}{line_ending(df)}{continuation_indent(df, ins)}"


def lost_comment(ins: Instruction, start: int, end: int) -> bool:
    """Deleting ``[start, end)`` of the source would delete a comment line of ``ins``."""
    return any(line.kind is LineKind.COMMENT and line.full.start < end and start < line.full.end for line in ins.lines)


def remove_statement(ins: Instruction, shape: Body, index: int) -> Edit | None:
    """Delete one element of an ``&&`` chain together with the ``&&`` that joins it to its neighbour."""
    statements = shape.statements
    if not shape.chain or len(statements) < 2:
        return None
    if index > 0:
        start, end = statements[index - 1].end, statements[index].end
    else:
        start, end = statements[0].start, statements[1].start
    if lost_comment(ins, start, end):
        return None
    return Edit(start, end, "")


def remove_word(df: Dockerfile, ins: Instruction, start: int, end: int) -> Edit | None:
    """Delete a word and one space next to it; a word alone on a continuation line takes its line along."""
    text = df.text
    line = next((ln for ln in ins.lines if ln.span.start <= start < ln.full.end), None)
    if line is None:
        return None
    before = text[line.span.start : start]
    after = text[end : line.span.end]
    escape = df.escape
    if line is not ins.lines[0] and not before.strip() and after.strip() == escape:
        return Edit(line.full.start, line.full.end, "")
    if start > 0 and text[start - 1] in " \t":
        return Edit(start - 1, end, "")
    if end < len(text) and text[end] in " \t":
        return Edit(start, end + 1, "")
    return None


def drop_command(df: Dockerfile, ins: Instruction, script: Script, command: Command) -> Edit | None:
    """Delete a command that is a whole statement of the RUN: an element of its top-level ``&&`` chain, or a
    line of its heredoc script under ``set -e`` (without it, the script stops at the same failures and ends
    with the same status as before, since the removed command succeeded or stopped it)."""
    if command.nested or command.in_pipeline or command.conditional or command.in_subshell:
        return None
    if ins.heredocs:
        if not ({"e", "errexit"} & script.set_options) or not any(
            c.name == "set" and c.end <= command.start for c in script.commands
        ):
            return None
        text = df.text
        for line in ins.lines:
            if line.kind is LineKind.HEREDOC and line.span.start <= command.start < line.span.end:
                if text[line.span.start : line.span.end].strip() != text[command.start : command.end]:
                    return None
                return Edit(line.full.start, line.full.end, "")
        return None
    shape = body(ins)
    if shape is None:
        return None
    index = next((i for i, e in enumerate(shape.statements) if e.start == command.start and e.end >= command.end), None)
    return None if index is None else remove_statement(ins, shape, index)
