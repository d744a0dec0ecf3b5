"""Structural invariants every parsed tree must satisfy, whatever the input.

Shared by the property tests and ``benchmarks/fuzz_parser.py``: each check returns a list of
human-readable violations, empty when the tree is sound.
"""

from __future__ import annotations

from dockopt.syntax import Dockerfile, Instruction, Span, parse, parse_bytes
from dockopt.syntax.load import MAX_FILE_BYTES


def text_violations(text: str) -> list[str]:
    """Parse ``text`` and check the round trip and every invariant of the tree."""
    try:
        tree = parse(text)
    except Exception as exc:  # the property under test: nothing escapes
        return [f"parse raised {type(exc).__name__}: {exc}"]
    problems = []
    if tree.render() != text:
        problems.append("render(parse(text)) != text")
    return problems + tree_violations(tree)


def bytes_violations(data: bytes) -> list[str]:
    """Parse raw bytes: either a tree of the decoded text, or an error with a line."""
    try:
        tree = parse_bytes(data)
    except Exception as exc:
        return [f"parse_bytes raised {type(exc).__name__}: {exc}"]
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    readable = text is not None and b"\x00" not in data and len(data) <= MAX_FILE_BYTES
    if not readable:
        if not tree.errors:
            return ["unreadable bytes gave no error"]
        return [f"error without a usable line: {e}" for e in tree.errors if e.line < 1 or e.column < 1]
    problems = [] if tree.render() == text else ["render(parse_bytes(data)) != data.decode()"]
    return problems + tree_violations(tree)


def tree_violations(tree: Dockerfile) -> list[str]:
    return _tiling(tree) + _positions(tree) + _errors(tree) + [
        problem for ins in tree.instructions for problem in _instruction(tree, ins, ins.span)
    ]


def _tiling(tree: Dockerfile) -> list[str]:
    """Nodes cover the text from the first character to the last, without gaps or overlaps."""
    cursor = 0
    for node in tree.nodes:
        if node.span.start != cursor:
            return [f"{type(node).__name__} at {node.span} does not start at offset {cursor}"]
        if node.span.end <= node.span.start:
            return [f"empty {type(node).__name__} at {node.span}"]
        cursor = node.span.end
    if cursor != len(tree.text):
        return [f"nodes end at {cursor}, the text at {len(tree.text)}"]
    return []


def _positions(tree: Dockerfile) -> list[str]:
    problems = []
    for node in tree.nodes:
        expected = tree.position(node.span.start)
        if node.start != expected:
            problems.append(f"{type(node).__name__} at {node.span}: start {node.start}, offset says {expected}")
        if isinstance(node, Instruction) and node.lines:
            last = node.lines[-1].span  # the instruction ends at the last character of its last line
            end = tree.position(max(last.end - 1, last.start))
            if node.end != end:
                problems.append(f"{node.keyword} at {node.span}: end {node.end}, its last line says {end}")
    return problems


def _errors(tree: Dockerfile) -> list[str]:
    last_line = max(1, tree.line_index.line_count)
    return [
        f"error outside the file: {e}"
        for e in tree.errors
        if not (1 <= e.line <= last_line and e.column >= 1 and e.message)
    ]


def _within(inner: Span, outer: Span) -> bool:
    return outer.start <= inner.start <= inner.end <= outer.end


def _instruction(tree: Dockerfile, ins: Instruction, outer: Span, top: bool = True) -> list[str]:
    """Sub-parts lie inside the instruction and point at the characters they name."""
    where = f"{ins.keyword} at line {ins.start_line}"
    problems = []
    if not _within(ins.span, outer):
        problems.append(f"{where}: span {ins.span} outside {outer}")
    problems += _lines(tree, ins, where, top)
    previous_end = ins.span.start
    for flag in ins.flags:
        if not _within(flag.span, ins.span) or flag.span.start < previous_end:
            problems.append(f"{where}: flag {flag.raw!r} at {flag.span} is out of place")
        elif tree.text[flag.span.start] != "-" or not flag.raw.startswith("--"):
            problems.append(f"{where}: flag {flag.raw!r} does not point at its dashes")
        previous_end = flag.span.end
    if ins.arguments_span is not None:
        span = ins.arguments_span
        if not _within(span, ins.span) or span.start < previous_end:
            problems.append(f"{where}: arguments at {span} are out of place")
        elif tree.text[span.start] != ins.arguments[0] or tree.text[span.end - 1] != ins.arguments[-1]:
            problems.append(f"{where}: arguments span does not match {ins.arguments!r}")
    elif ins.arguments:
        problems.append(f"{where}: arguments {ins.arguments!r} without a span")
    for doc in ins.heredocs:
        if not _within(doc.body, ins.span) or tree.text[doc.body.start : doc.body.end] != doc.content:
            problems.append(f"{where}: heredoc {doc.name!r} body at {doc.body} does not hold its content")
    if ins.sub is not None:
        problems += _instruction(tree, ins.sub, ins.span, top=False)
    return problems


def _lines(tree: Dockerfile, ins: Instruction, where: str, top: bool) -> list[str]:
    """Physical lines run contiguously from the instruction's start to its end."""
    if not ins.lines:
        return [f"{where}: no physical lines"]
    cursor = ins.lines[0].full.start
    for line in ins.lines:
        if line.full.start != cursor or not _within(line.span, line.full):
            return [f"{where}: physical line {line.number} at {line.full} breaks the sequence"]
        if (tree.position(line.full.start).line, tree.position(line.full.start).column) != (line.number, 1):
            return [f"{where}: physical line {line.number} is not at offset {line.full.start}"]
        cursor = line.full.end
    if top and (ins.lines[0].full.start, cursor) != (ins.span.start, ins.span.end):
        return [f"{where}: physical lines {ins.lines[0].full.start}..{cursor} differ from span {ins.span}"]
    if ins.end.line != ins.lines[-1].number:
        return [f"{where}: ends on line {ins.end.line}, its last physical line is {ins.lines[-1].number}"]
    return []
